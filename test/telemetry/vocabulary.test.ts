import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { aliasKey, loadVocabulary, parseVocabulary, sigmaKey, VOCABULARY_FILE, VocabularyError } from '../../src/telemetry/vocabulary.js';
import { closure, needOf, statusOf } from '../../src/telemetry/match.js';

/** The shipped file read independently with `yaml`, not through the loader. */
const raw = parse(readFileSync(VOCABULARY_FILE, 'utf8')) as {
  channels: { id: string; events: Record<string, { aliases?: Record<string, unknown[]> }>; aliases?: Record<string, unknown[]> }[];
  sources: { id: string; aliases?: Record<string, unknown[]> }[];
  kinds: { id: string; providedBy: string[]; aliases?: Record<string, unknown[]> }[];
};

describe('the shipped vocabulary', () => {
  const v = loadVocabulary();

  it('has no duplicate ids and every event id is its channel id plus the number', () => {
    const ids = [
      ...raw.channels.flatMap((c) => [c.id, ...Object.keys(c.events).map((n) => `${c.id}:${n}`)]),
      ...raw.sources.map((s) => s.id), ...raw.kinds.map((k) => k.id),
    ];
    expect(new Set(ids).size).toBe(ids.length);
    expect([...v.entries.keys()].sort()).toEqual([...ids].sort());
  });

  it('resolves every alias written in the file to exactly the entry it is written under', () => {
    const written: [string, string][] = [];
    const take = (id: string, aliases: Record<string, unknown[]> | undefined) => {
      for (const [scheme, names] of Object.entries(aliases ?? {})) {
        for (const n of names) {
          const key = scheme === 'sigma'
            ? sigmaKey(...(['product', 'category', 'service'].map((f) => (n as Record<string, string | undefined>)[f]) as [string, string, string]))
            : aliasKey(scheme as 'splunk', String(n));
          written.push([key, id]);
        }
      }
    };
    for (const c of raw.channels) {
      take(c.id, c.aliases);
      for (const [n, e] of Object.entries(c.events)) take(`${c.id}:${n}`, e.aliases);
    }
    for (const s of raw.sources) take(s.id, s.aliases);
    for (const k of raw.kinds) take(k.id, k.aliases);
    expect(new Set(written.map(([k]) => k)).size).toBe(written.length);
    for (const [key, id] of written) expect(v.aliases.get(key), key).toBe(id);
    expect(v.aliases.size).toBe(written.length);
  });

  it("maps Sigma's Windows categories to the Sysmon events of pySigma's pipeline and to Security 4688", () => {
    const providers = (category: string) => v.entries.get(v.aliases.get(sigmaKey('windows', category, undefined))!)!.providedBy;
    expect(providers('process_creation')).toEqual(['windows:sysmon:1', 'windows:security:4688']);
    expect(providers('network_connection')).toContain('windows:sysmon:3');
    expect(providers('image_load')).toEqual(['windows:sysmon:7']);
    expect(providers('process_access')).toEqual(['windows:sysmon:10']);
    expect(providers('file_event')).toEqual(['windows:sysmon:11']);
    expect(providers('registry_set')).toContain('windows:sysmon:13');
    expect(providers('registry_event')).toEqual(expect.arrayContaining(['windows:sysmon:12', 'windows:sysmon:13', 'windows:sysmon:14']));
    expect(providers('dns_query')).toEqual(['windows:sysmon:22']);
    expect(providers('file_delete')).toEqual(['windows:sysmon:23', 'windows:sysmon:26']);
    expect(providers('pipe_created')).toEqual(['windows:sysmon:17', 'windows:sysmon:18']);
    expect(providers('wmi_event')).toEqual(['windows:sysmon:19', 'windows:sysmon:20', 'windows:sysmon:21']);
  });

  it('lets Splunk, ATT&CK and Sigma names of Sysmon 1 meet: one profile id runs all three', () => {
    const have = closure(v, ['windows:sysmon:1']);
    const runs = (refs: Parameters<typeof needOf>[1]) => statusOf(needOf(v, refs), have);
    expect(runs([{ scheme: 'sigma', product: 'windows', category: 'process_creation' }])).toBe('runnable');
    expect(runs([{ scheme: 'splunk', name: 'Sysmon EventID 1' }])).toBe('runnable');
    expect(runs([{ scheme: 'attack', name: 'WinEventLog:Sysmon', channel: 'EventCode=1' }])).toBe('runnable');
    expect(runs([{ scheme: 'splunk', name: 'Sysmon EventID 1 AND Sysmon EventID 11' }])).toBe('blocked');
    expect(runs([{ scheme: 'sigma', product: 'windows', service: 'sysmon' }])).toBe('blocked');
    expect(runs([{ scheme: 'elastic-index', name: 'winlogbeat-*' }])).toBe('unknown');
    expect(runs([{ scheme: 'sentinel', name: 'NoSuchTable' }])).toBe('unknown');
    expect(runs(undefined)).toBe('unknown');
  });
});

describe('parseVocabulary refuses a broken vocabulary', () => {
  const bad = (text: string, message: RegExp) => expect(() => parseVocabulary(text)).toThrow(message);
  it('names the problem', () => {
    bad('sources: [{id: a:b, title: A}, {id: a:b, title: B}]', /id a:b appears twice/);
    bad('sources: [{id: a:b, title: A, aliases: {splunk: [X]}}, {id: a:c, title: C, aliases: {splunk: [x]}}]', /alias splunk:x belongs to both a:b and a:c/);
    bad('sources: [{id: a:b, title: A}]\nkinds: [{id: k:x, title: K, providedBy: [a:nope]}]', /provider a:nope is not in the vocabulary/);
    bad('sources: [{id: a:b, title: A, aliases: {nosuch: [x]}}]', /unknown alias scheme "nosuch"/);
    bad('sources: [{id: Bad Id, title: A}]', /not lowercase words/);
    bad('- a list', /not a mapping/);
    expect(() => parseVocabulary('sources: [{id: a:b, title: A, aliases: {splunk: [X]}}]\nignore: {splunk: [x]}')).toThrow(VocabularyError);
  });
});

describe('docs/telemetry.md', () => {
  it('lists every log a profile can name, and every kind', () => {
    const doc = readFileSync(new URL('../../docs/telemetry.md', import.meta.url), 'utf8');
    const v = loadVocabulary();
    for (const e of v.entries.values()) {
      if (e.kind === 'channel' || e.kind === 'source') expect(doc, e.id).toContain(`| \`${e.profile}\` | \`${e.id}\` |`);
      if (e.kind === 'kind') expect(doc, e.id).toContain(`| \`${e.id}\` |`);
    }
  });
});
