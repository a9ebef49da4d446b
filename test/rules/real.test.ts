/**
 * Real upstream folders read as if they were a team's rules repository. The expected (rule id,
 * technique) pairs are counted here with plain regular expressions over the files' text, not
 * with the parsers the reader uses.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { readOwnRules } from '../../src/rules/read.js';
import type { OwnRuleSet } from '../../src/rules/types.js';
import { DATA_DIR } from '../helpers.js';

function filesUnder(dir: string, ext: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith(ext)).map((f) => f.split('\\').join('/')).sort();
}

const pairsOf = (set: OwnRuleSet, lower = false) =>
  new Set(set.rules.flatMap((r) => r.techniqueIds.map((t) => `${r.id}|${lower ? t.toLowerCase() : t}`)));

interface Expected {
  pairs: Set<string>;
  ids: string[];
  unmapped: number;
  deprecated: number;
}

function expectedFrom(dir: string, ext: string, count: (text: string) => { id: string; techniques: string[]; deprecated: boolean }): Expected {
  const out: Expected = { pairs: new Set(), ids: [], unmapped: 0, deprecated: 0 };
  for (const f of filesUnder(dir, ext)) {
    const { id, techniques, deprecated } = count(readFileSync(join(dir, f), 'utf8'));
    out.ids.push(id);
    for (const t of techniques) out.pairs.add(`${id}|${t}`);
    if (!techniques.length) out.unmapped++;
    if (deprecated) out.deprecated++;
  }
  return out;
}

function compare(set: OwnRuleSet, exp: Expected, lower = false) {
  expect(set.rules.map((r) => r.id).sort()).toEqual([...exp.ids].sort());
  expect(pairsOf(set, lower)).toEqual(exp.pairs);
  expect(set.rules.filter((r) => !r.techniqueIds.length).length).toBe(exp.unmapped);
  expect(set.rules.filter((r) => r.deprecated).length).toBe(exp.deprecated);
}

describe('real rule folders read as own rules', () => {
  it('SigmaHQ windows/process_creation: every rule, every attack.tNNNN tag', () => {
    const dir = join(DATA_DIR, 'sigma', 'rules', 'windows', 'process_creation');
    const exp = expectedFrom(dir, '.yml', (text) => ({
      id: /^id:\s*['"]?([0-9a-f-]{36})/m.exec(text)![1]!,
      techniques: [...text.matchAll(/^\s+-\s+['"]?attack\.(t\d{4}(?:\.\d{3})?)['"]?\s*$/gim)].map((m) => m[1]!.toLowerCase()),
      deprecated: /^status:\s*deprecated\s*$/m.test(text),
    }));
    const set = readOwnRules([dir]);
    expect(exp.ids.length).toBeGreaterThan(1000);
    expect(set.files).toBe(exp.ids.length);
    expect(set.warnings).toEqual([]);
    expect(new Set(set.rules.map((r) => r.format))).toEqual(new Set(['sigma']));
    compare(set, exp, true);
  });

  it('Elastic rules/windows: technique and sub-technique ids of the threat tables', () => {
    const dir = join(DATA_DIR, 'elastic', 'rules', 'windows');
    const exp = expectedFrom(dir, '.toml', (text) => {
      // Every threat entry of these files is MITRE ATT&CK; a technique id line is `id = "Txxxx"`.
      expect(text.match(/^framework = .*/gm)?.every((l) => l === 'framework = "MITRE ATT&CK"') ?? true).toBe(true);
      return {
        id: /^rule_id = "([^"]+)"/m.exec(text)![1]!,
        techniques: [...text.matchAll(/^id = "(T\d{4}(?:\.\d{3})?)"\s*$/gm)].map((m) => m[1]!),
        deprecated: /^maturity = "deprecated"/m.test(text),
      };
    });
    const set = readOwnRules([dir]);
    expect(exp.ids.length).toBeGreaterThan(400);
    expect(set.warnings).toEqual([]);
    expect(new Set(set.rules.map((r) => r.format))).toEqual(new Set(['elastic-toml']));
    compare(set, exp);
  });

  it('Elastic _deprecated: every rule is deprecated', () => {
    const dir = join(DATA_DIR, 'elastic', 'rules', '_deprecated');
    const set = readOwnRules([dir]);
    expect(set.rules.length).toBe(filesUnder(dir, '.toml').length);
    expect(set.rules.every((r) => r.deprecated)).toBe(true);
  });

  it('Splunk ESCU detections/endpoint: tags.mitre_attack_id lists', () => {
    const dir = join(DATA_DIR, 'splunk', 'detections', 'endpoint');
    const exp = expectedFrom(dir, '.yml', (text) => {
      const block = /^ {2}mitre_attack_id:\n((?: {2}- .*\n)*)/m.exec(text)?.[1] ?? '';
      return {
        id: /^id:\s*(\S+)/m.exec(text)![1]!,
        techniques: [...block.matchAll(/- (\S+)/g)].map((m) => m[1]!),
        deprecated: /^status:\s*deprecated\s*$/m.test(text),
      };
    });
    const set = readOwnRules([dir]);
    expect(exp.ids.length).toBeGreaterThan(1000);
    expect(set.warnings).toEqual([]);
    compare(set, exp);
  });

  it('Splunk ESCU detections/deprecated: upstream files that are not YAML are warnings, the rest deprecated', () => {
    const dir = join(DATA_DIR, 'splunk', 'detections', 'deprecated');
    const files = filesUnder(dir, '.yml');
    const broken = files.filter((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).some((d) => 'errors' in d && d.errors.length));
    const set = readOwnRules([dir]);
    expect(set.warnings.map((w) => w.file).sort()).toEqual(broken);
    expect(set.rules.length).toBe(files.length - broken.length);
    expect(set.rules.every((r) => r.deprecated && r.format === 'splunk-escu')).toBe(true);
  });

  it('ThreatHunting savedsearches.conf: one rule per saved search, the [Txxxx] of its name', () => {
    const dir = join(DATA_DIR, 'threathunting');
    const text = readFileSync(join(dir, 'default', 'savedsearches.conf'), 'utf8');
    const headers = [...text.matchAll(/^\[(\[[^\]]+\] .*)\]\s*$/gm)].map((m) => m[1]!);
    const expected = new Set(headers.flatMap((h) => {
      const id = /^\[(T\d{4}(?:\.\d{3})?)\]/.exec(h)?.[1];
      return id && id !== 'T0000' ? [`${h}|${id}`] : [];
    }));
    const set = readOwnRules([dir]);
    expect(set.rules.map((r) => r.id)).toEqual(headers);
    expect(pairsOf(set)).toEqual(expected);
    expect(set.rules.every((r) => r.key === `default/savedsearches.conf#${set.rules.indexOf(r) + 1}`)).toBe(true);
  });
});
