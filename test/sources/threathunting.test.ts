import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { huntName, parseConf, threatHuntingSource } from '../../src/sources/threathunting.js';
import { collectSource } from '../../src/sources/collect.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import type { AttackIndex } from '../../src/attack/types.js';
import type { ResourceRecord } from '../../src/sources/types.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

const CONF = 'threathunting/default/savedsearches.conf';

function resolvedIds(a: AttackIndex, raw: string): string[] {
  const r = resolveTechniqueId(a, raw);
  return r.kind === 'ok' || r.kind === 'unknown' ? [r.id] : r.kind === 'revoked' ? r.ids : [];
}

function byTechnique(a: AttackIndex, records: ResourceRecord[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of records) for (const t of r.techniques) for (const id of resolvedIds(a, t.id)) {
    if (!out.has(id)) out.set(id, new Set());
    out.get(id)!.add(r.key);
  }
  return out;
}

const FIXTURE = [
  '# comment before any stanza',
  '[[T1101] Security Support Provider]',
  'cron_schedule = 0-59/15 * * * *',
  'description = first line \\',
  'second line',
  'search = `indextime` `sysmon` event_id=12 \\',
  '| eval mitre_category="Persistence,Privilege_Escalation" \\',
  '| eval mitre_technique_id="T1101" \\',
  '| `registry_whitelist`\\',
  '| collect `threathunting_index`',
  '',
  '[[T0000] Named Pipes]',
  'search = `sysmon` event_id=17 \\',
  '| eval mitre_technique_id="T1077"',
  '',
  '[[TH-SUPP] Support search]',
  'search = | multisearch\\',
  '[search `threathunting_file_summary_index` ]\\',
  '[search `sysmon` event_id IN (1,6) \\',
  '    | eval x=1]',
  'enableSched = 0',
  '',
  '[[T1170] MSHTA - Process]',
  'this line is garbage',
  'enableSched = 0',
  'search = `windows-security` event_id=4688 | eval mitre_technique_id="T1047"',
  '',
  '[[T1003.001] LSASS]',
  'search = `sysmon` event_id=10',
].join('\n');

describe('threathunting fixtures', () => {
  it('reads hunt stanzas across line continuations, skips placeholders and support stanzas, reports id mismatches', async () => {
    const dir = fixtureDir({ [CONF]: FIXTURE });
    const { records, warnings } = await collectSource(threatHuntingSource, { dataDir: dir, attack: realAttack() });
    expect(warnings.map((w) => w.file)).toEqual([CONF, CONF, CONF]);
    expect(warnings.map((w) => w.reason)).toEqual([
      'line 24: not a `key = value` line: this line is garbage',
      'stanza [[T0000] Named Pipes] (line 12) names T0000 but its search sets mitre_technique_id="T1077": the stanza id is used',
      'stanza [[T1170] MSHTA - Process] (line 23) names T1170 but its search sets mitre_technique_id="T1047": the stanza id is used',
    ]);
    // The `[search …]` continuation lines are not stanzas: TH-SUPP is stanza 3, MSHTA stanza 4.
    expect(records.map((r) => r.key)).toEqual([1, 2, 4, 5].map((n) => `default/savedsearches.conf#${n}`));
    expect(records.map((r) => r.techniques.map((t) => t.id))).toEqual([['T1101'], [], ['T1170'], ['T1003.001']]);
    const [ssp, pipes, mshta] = records;
    expect(ssp).toMatchObject({
      upstreamId: '[T1101] Security Support Provider',
      title: 'Security Support Provider',
      url: 'https://github.com/olafhartong/ThreatHunting/blob/master/default/savedsearches.conf#L2',
      description: 'first line second line',
      file: CONF,
      meta: { language: 'SPL', tactics: ['Persistence', 'Privilege Escalation'], dataSources: ['sysmon'], schedule: '0-59/15 * * * *' },
    });
    expect(String(ssp!.meta!.search)).toContain('| collect `threathunting_index`');
    expect(pipes!.meta).toMatchObject({ placeholderTechnique: 'T0000', searchTechniqueId: 'T1077' });
    expect(mshta!.meta).toMatchObject({ searchTechniqueId: 'T1047', scheduled: false, dataSources: ['windows-security'] });
  });

  it('warns on an empty, non-UTF-8 or stanza-less file and never throws', async () => {
    for (const [content, reason] of [
      ['', /^empty file$/],
      [Buffer.from([0x5b, 0xff, 0x5d]), /^not valid UTF-8$/],
      ['key = value\n# only comments\n', /^no \[stanza\] found$/],
    ] as const) {
      const { records, warnings } = await collectSource(threatHuntingSource, { dataDir: fixtureDir({ [CONF]: content }), attack: realAttack() });
      expect(records).toEqual([]);
      expect(warnings.map((w) => w.file)).toEqual([CONF]);
      expect(warnings[0]!.reason).toMatch(reason);
    }
  });

  it('a continuation running to the end of the file does not hang or lose the stanza', () => {
    const stanzas = parseConf('[[T1001] A]\nsearch = x \\\n[[T1002] B]\\');
    expect(stanzas.map((s) => s.name)).toEqual(['[T1001] A']);
    expect(stanzas[0]!.values.get('search')).toBe('x \n[[T1002] B]');
  });

  it('names', () => {
    expect(huntName('[T1101] Security Support Provider')).toEqual({ id: 'T1101', title: 'Security Support Provider' });
    expect(huntName('[t1003.001]')).toEqual({ id: 't1003.001', title: 't1003.001' });
    expect(huntName('[TH-SUPP] File')).toBeUndefined();
    expect(huntName('Plain name')).toBeUndefined();
  });
});

describe('threathunting on the shared data', () => {
  const FIXED = ['T1021.004', 'T1059.001', 'T1003', 'T1047', 'T1218.005', 'T1548.002', 'T1055', 'T1021.002', 'T1112', 'T1036', 'T1053'];

  /** Independent reading: header lines `[[Txxxx] …]` (continuation lines never start with `[[T`). */
  function independent(a: AttackIndex) {
    const text = readFileSync(join(DATA_DIR, CONF), 'utf8');
    const heads = [...text.matchAll(/^\[\[(T\d{4}(?:\.\d{3})?)\] [^\n]*\]$/gm)].map((m) => m[1]!);
    const exp = new Map<string, number>();
    let pairs = 0;
    for (const raw of heads) {
      if (raw === 'T0000') continue;
      const ids = new Set(resolvedIds(a, raw));
      pairs += ids.size;
      for (const id of ids) exp.set(id, (exp.get(id) ?? 0) + 1);
    }
    // Stanzas whose search tags its results with another id than the stanza name.
    const mismatches = text.split(/^(?=\[\[)/m).filter((block) => {
      const head = /^\[\[(T\d{4})\]/.exec(block)?.[1];
      const tagged = /mitre_technique_id\s*=\s*"(T\d{4})"/.exec(block)?.[1];
      return head && tagged && head !== tagged;
    }).length;
    return { exp, resources: heads.length, placeholders: heads.filter((h) => h === 'T0000').length, pairs, mismatches };
  }

  it('matches an independent count per technique and in total', async () => {
    const a = realAttack();
    const { exp, resources, placeholders, pairs, mismatches } = independent(a);
    // MANIFEST.json: 148 hunt stanzas, T0000 in 7.
    expect([resources, placeholders]).toEqual([148, 7]);
    const { records, warnings } = await collectSource(threatHuntingSource, { dataDir: DATA_DIR, attack: a });
    expect(records.length).toBe(resources);
    expect(records.filter((r) => !r.techniques.length)).toHaveLength(placeholders);
    const got = byTechnique(a, records);
    expect([...got.values()].reduce((n, s) => n + s.size, 0)).toBe(pairs);
    expect(got.size).toBe(exp.size);
    for (const t of FIXED) expect([t, got.get(t)?.size ?? 0]).toEqual([t, exp.get(t) ?? 0]);
    expect(exp.get('T1003')).toBeGreaterThan(0);
    expect(exp.get('T1059.001')).toBeGreaterThan(0);
    // Every warning is a stanza whose search sets another mitre_technique_id than its name.
    expect(mismatches).toBeGreaterThan(0);
    expect(warnings).toHaveLength(mismatches);
    for (const w of warnings) expect(w.reason).toMatch(/^stanza \[\[T\d{4}\] .*\] \(line \d+\) names T\d{4} but its search sets mitre_technique_id="T\d{4}"/);
    expect(records.every((r) => r.meta?.tactics !== undefined)).toBe(true);
  });
});
