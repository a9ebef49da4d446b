/**
 * Damaged technique ids end to end: what the connector passes on, resolution and the build turn
 * into mappings and warnings. Lower case is accepted silently; an id with whitespace inside is
 * read as the id it spells, with a warning naming the file and the id; an id with a NUL is no
 * technique at all, with a warning naming the file and the id. No spelling gives a technique that
 * was not written.
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildKnowledgeBase } from '../../src/kb/build.js';
import { normalizeTechniqueId, resolveTechniqueId } from '../../src/resolve.js';
import { atomicRedTeamSource } from '../../src/sources/atomic-red-team.js';
import { rtaSource } from '../../src/sources/rta.js';
import { sigmaSource } from '../../src/sources/sigma.js';
import { threatHuntingSource } from '../../src/sources/threathunting.js';
import { DATA_DIR, fixtureDir, realAttack, tempDir } from '../helpers.js';

/** The ICS bundle's own release (its x-mitre-collection), else "unknown": the fixture has no MANIFEST.json. */
const ICS_RELEASE = (() => {
  const bundle = JSON.parse(readFileSync(join(DATA_DIR, 'attack', 'ics-attack.json'), 'utf8')) as { objects: Record<string, unknown>[] };
  const collection = bundle.objects.find((o) => o.type === 'x-mitre-collection');
  return collection ? String(collection.x_mitre_version) : 'unknown';
})();

const atomic = (id: string) => `attack_technique: ${id}\ndisplay_name: Test\natomic_tests:\n  - name: one\n    supported_platforms: [windows]\n    executor: {name: command_prompt, command: whoami}\n`;
const sigma = (tag: string, n: number) => `title: Rule\nid: 0b5a1f3e-1111-4c2d-9e8f-00000000000${n}\ntags:\n  - ${tag}\nlogsource: {product: windows}\ndetection: {sel: {a: b}, condition: sel}\n`;

describe('damaged technique ids through the build', () => {
  it('lower case maps silently; inner whitespace maps with a warning; a NUL never maps and is reported, each naming the file', async () => {
    const data = fixtureDir({
      'attack/ics-attack.json': readFileSync(join(DATA_DIR, 'attack', 'ics-attack.json')),
      'atomic-red-team/atomics/T0814/T0814.yaml': atomic('t0814'),
      'atomic-red-team/atomics/T0801/T0801.yaml': atomic('T08 01'),
      'atomic-red-team/atomics/T0800/T0800.yaml': atomic('"T0800\\0"'),
      'sigma/rules/a/lower.yml': sigma('attack.T0814', 1),
      'sigma/rules/a/spaced.yml': sigma('attack.t0801 .001', 2),
      'sigma/rules/a/nul.yml': sigma('"attack.t0800\\0"', 3),
      'threathunting/default/savedsearches.conf': '[[T0801 ] Monitor]\nsearch = x\n\n[[T08 14] Denial]\nsearch = y\n\n[[T0800\u0000] Firmware]\nsearch = z\n',
      'rta/red_ttp/a.py': '# Name: A\n# ATT&CK: T0814 .001, t0801\n',
      'rta/red_ttp/b.py': '# Name: B\n# ATT&CK: T0800\u0000\n',
    });
    const db = join(tempDir(), 'kb.db');
    await buildKnowledgeBase({ dataDir: data, dbPath: db, quiet: true, sources: [atomicRedTeamSource, sigmaSource, threatHuntingSource, rtaSource] });
    const kb = new Database(db, { readonly: true });
    const mapped = kb.prepare('SELECT r.source, r.file, m.technique, m.raw_id FROM mappings m JOIN resources r ON r.id = m.resource ORDER BY r.source, r.file, m.technique').all();
    expect(mapped).toEqual([
      { source: 'atomic-red-team', file: 'atomic-red-team/atomics/T0801/T0801.yaml', technique: 'T0801', raw_id: 'T08 01' },
      { source: 'atomic-red-team', file: 'atomic-red-team/atomics/T0814/T0814.yaml', technique: 'T0814', raw_id: 't0814' },
      { source: 'rta', file: 'rta/red_ttp/a.py', technique: 'T0801', raw_id: 't0801' },
      { source: 'sigma', file: 'sigma/rules/a/lower.yml', technique: 'T0814', raw_id: 'T0814' },
      { source: 'threathunting', file: 'threathunting/default/savedsearches.conf', technique: 'T0801', raw_id: 'T0801' },
      { source: 'threathunting', file: 'threathunting/default/savedsearches.conf', technique: 'T0814', raw_id: 'T08 14' },
    ]);
    const warnings = kb.prepare("SELECT source, file, reason FROM warnings WHERE source != 'attack' AND source != 'adversaries' AND source != 'manifest' ORDER BY source, file, reason").all();
    expect(warnings).toEqual([
      { source: 'atomic-red-team', file: 'atomic-red-team/atomics/T0800/T0800.yaml', reason: '"T0800\u0000" is not an ATT&CK technique id' },
      { source: 'atomic-red-team', file: 'atomic-red-team/atomics/T0801/T0801.yaml', reason: 'technique id "T08 01" has whitespace inside: read as T0801' },
      // T0814.001 does not exist: the spaced id is read as written, never as its parent T0814.
      { source: 'rta', file: 'rta/red_ttp/a.py', reason: `technique T0814.001 is unknown to the loaded ATT&CK ${ICS_RELEASE}` },
      { source: 'rta', file: 'rta/red_ttp/a.py', reason: 'technique id "T0814 .001" has whitespace inside: read as T0814.001' },
      { source: 'rta', file: 'rta/red_ttp/b.py', reason: '"T0800\u0000" is not an ATT&CK technique id' },
      { source: 'sigma', file: 'sigma/rules/a/nul.yml', reason: '"t0800\u0000" is not an ATT&CK technique id' },
      { source: 'sigma', file: 'sigma/rules/a/spaced.yml', reason: `technique T0801.001 is unknown to the loaded ATT&CK ${ICS_RELEASE}` },
      { source: 'sigma', file: 'sigma/rules/a/spaced.yml', reason: 'technique id "t0801 .001" has whitespace inside: read as T0801.001' },
      { source: 'threathunting', file: 'threathunting/default/savedsearches.conf', reason: '"T0800\u0000" is not an ATT&CK technique id' },
      { source: 'threathunting', file: 'threathunting/default/savedsearches.conf', reason: 'technique id "T08 14" has whitespace inside: read as T0814' },
    ]);
    kb.close();
  });

  it('resolution: case and outer whitespace are spelling, a NUL is not an id', () => {
    const a = realAttack();
    expect(resolveTechniqueId(a, 't1059.001')).toMatchObject({ kind: 'ok', id: 'T1059.001' });
    expect(resolveTechniqueId(a, ' T1059.001 ')).toMatchObject({ kind: 'ok', id: 'T1059.001' });
    expect(resolveTechniqueId(a, 'T1059.001\u0000')).toEqual({ kind: 'invalid', raw: 'T1059.001\u0000' });
    expect(resolveTechniqueId(a, '\u0000T1059')).toEqual({ kind: 'invalid', raw: '\u0000T1059' });
    expect(normalizeTechniqueId('T1059 .001')).toBe('T1059.001');
  });
});
