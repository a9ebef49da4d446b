/**
 * The version crosswalk on the real releases: ATT&CK 18.1 (../shared/attack-18.1) into the
 * loaded release of the data folder. Expectations come from an independent reading of the raw
 * bundles (test/attack-raw.ts), so the next release needs no edits here.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { rawAttack } from '../attack-raw.js';
import { cli, DATA_DIR, fixtureDir, PREVIOUS_ATTACK_DIR, tempDir } from '../helpers.js';

const db = () => inject('kbPath');
const loadedMajor = () => rawAttack().collectionVersion!.split('.')[0];

/** An id neither release knows and that cannot read as "newer" (far above both ranges). */
function unknownToBoth(): string[] {
  const now = rawAttack();
  const before = rawAttack(PREVIOUS_ATTACK_DIR);
  const out: string[] = [];
  for (let n = 9990; out.length < 2; n++) if (!now.techniques.has(`T${n}`) && !before.techniques.has(`T${n}`)) out.push(`T${n}`);
  return out;
}

function writeJson(doc: unknown): string {
  const file = join(tempDir(), 'in.json');
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

interface JsonReport {
  from: string | null;
  to: string;
  summary: { ids: number; unchanged: number; replaced: number; untranslated: number; newer: number };
  translations: { input: string; id: string; ids: string[]; outcome: string; notes: string[]; newer?: boolean }[];
  entries?: { from: { techniqueID: string; tactic?: string }; to: { techniqueID: string; tactic?: string }[]; notes: string[] }[];
  layer?: { versions: { attack: string }; techniques: Record<string, unknown>[]; metadata: { name: string; value: string }[] };
}

describe('purplebook translate on the real releases', () => {
  it('an 18.1 layer: T1562.001 and T1070.001 under defense-evasion land under defense-impairment, T1059.001 stays', () => {
    const raw = rawAttack();
    const layer = {
      name: 'team coverage', versions: { attack: '18', navigator: '5.1.0', layer: '4.5' }, domain: 'enterprise-attack',
      techniques: [
        { techniqueID: 'T1562.001', tactic: 'defense-evasion', score: 3, comment: 'EDR tamper rule', color: '#ff0000' },
        { techniqueID: 'T1070.001', tactic: 'defense-evasion', score: 2 },
        { techniqueID: 'T1059.001', tactic: 'execution', score: 1, metadata: [{ name: 'owner', value: 'blue' }] },
      ],
      gradient: { colors: ['#ffffff', '#66b1ff'], minValue: 0, maxValue: 3 },
    };
    const r = cli(['translate', writeJson(layer), '--db', db()]);
    expect(r.stderr).toMatch(/3 technique ids from ATT&CK 18 to ATT&CK \d+\.\d+: 1 unchanged, 2 replaced, 0 could not be translated/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { versions: { attack: string }; techniques: Record<string, unknown>[]; gradient: unknown; name: string };
    // The replacements are what the loaded bundle's revoked-by relationships say.
    expect(raw.resolve('T1562.001')).toEqual(['T1685']);
    expect(raw.resolve('T1070.001')).toEqual(['T1685.005']);
    expect(raw.techniques.get('T1685')!.tactics).toEqual(['defense-impairment']);
    expect(out.techniques).toEqual([
      { techniqueID: 'T1685', tactic: 'defense-impairment', score: 3, comment: 'EDR tamper rule', color: '#ff0000' },
      { techniqueID: 'T1685.005', tactic: 'defense-impairment', score: 2 },
      { techniqueID: 'T1059.001', tactic: 'execution', score: 1, metadata: [{ name: 'owner', value: 'blue' }] },
    ]);
    expect(out.versions.attack).toBe(loadedMajor());
    expect([out.name, out.gradient]).toEqual([layer.name, layer.gradient]);
  });

  it('every 18.1 enterprise id translates as the 19.1 bundle says, and --from explains each tactic move', () => {
    const before = rawAttack(PREVIOUS_ATTACK_DIR);
    const now = rawAttack();
    const ids = [...before.techniques.keys()].filter((id) => /^T1\d{3}/.test(id)).sort();
    const r = cli(['translate', '-', '--from', PREVIOUS_ATTACK_DIR, '--format', 'json', '--db', db()], {}, ids.join('\n'));
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.translations.map((t) => t.id)).toEqual(ids);
    let untranslated = 0;
    let moves = 0;
    for (const t of report.translations) {
      const n = now.techniques.get(t.id);
      const expected = !n ? { outcome: 'unknown', ids: [] as string[] }
        : n.revoked ? { outcome: now.resolve(t.id).some((x) => x !== t.id) ? 'replaced' : 'unknown', ids: now.resolve(t.id).filter((x) => x !== t.id).sort() }
          : n.deprecated ? { outcome: 'deprecated', ids: [] } : { outcome: 'same', ids: [t.id] };
      expect([t.id, t.outcome, t.ids]).toEqual([t.id, expected.outcome, expected.ids]);
      if (!expected.ids.length) untranslated++;
      // A tactic move is stated whenever the 18.1 object's tactics differ from its replacement's in 19.1.
      const old = before.techniques.get(t.id)!;
      if (old.revoked || old.deprecated || !expected.ids.length) continue;
      for (const id of expected.ids) {
        const moved = [...old.tactics].sort().join() !== [...now.techniques.get(id)!.tactics].sort().join();
        if (moved) moves++;
        expect([t.id, t.notes.some((x) => x.startsWith('tactics: '))]).toEqual([t.id, moved]);
      }
    }
    // Defense Evasion split in 19: the crosswalk has moves to explain.
    expect(moves).toBeGreaterThan(100);
    expect(report.summary.untranslated).toBe(untranslated);
    expect(r.code).toBe(untranslated ? 4 : 0);
    expect(report.from).toBe('ATT&CK 18.1');
  });

  it('without --from a per-tactic layer still places T1078 (defense-evasion → the tactic its siblings do not take)', () => {
    const now = rawAttack().techniques.get('T1078')!;
    const entries = now.tactics.filter((t) => t !== 'stealth').map((tactic) => ({ techniqueID: 'T1078', tactic, score: 1 }));
    const r = cli(['translate', writeJson({ name: 'x', domain: 'enterprise-attack', techniques: [...entries, { techniqueID: 'T1078', tactic: 'defense-evasion', score: 1 }] }), '--format', 'json', '--db', db()]);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.layer!.techniques.map((t) => t.tactic).sort()).toEqual([...now.tactics].sort());
    expect(report.entries).toEqual([{ from: { techniqueID: 'T1078', tactic: 'defense-evasion' }, to: [{ techniqueID: 'T1078', tactic: 'stealth' }], notes: ['T1078: tactic defense-evasion → stealth'] }]);
  });

  it('a layer with ids unknown to both releases exits 4 and lists them; the entries are kept as they were', () => {
    const unknown = unknownToBoth();
    const layer = { name: 'x', domain: 'enterprise-attack', techniques: [{ techniqueID: 'T1059.001', score: 1 }, ...unknown.map((id) => ({ techniqueID: id, score: 2 }))] };
    const r = cli(['translate', writeJson(layer), '--from', PREVIOUS_ATTACK_DIR, '--db', db()]);
    expect(r.code).toBe(4);
    for (const id of unknown) expect(r.stderr).toContain(`  ${id}: unknown to ATT&CK 18.1 and ATT&CK ${rawAttack().collectionVersion}`);
    expect(r.stderr).toContain(`purplebook: 2 of 3 technique ids could not be translated`);
    expect((JSON.parse(r.stdout) as { techniques: unknown[] }).techniques).toEqual(layer.techniques);
  });

  it('a coverage baseline made on 18.1 compares with coverage on the loaded release', () => {
    const rules = fixtureDir({
      'tamper.yml': ['title: EDR tamper', 'id: 5f0a1b2c-0000-4000-8000-000000000001', 'status: test', 'logsource:', '    product: windows',
        'detection:', '    sel:', '        Image|endswith: x.exe', '    condition: sel', 'level: high', 'tags:', '    - attack.t1685'].join('\n'),
    });
    // The 18.1 baseline covered T1562.001 and T1070.001; today a rule covers T1685 only.
    const baseline = writeJson({ name: 'b', versions: { attack: '18' }, domain: 'enterprise-attack', techniques: [{ techniqueID: 'T1562.001', score: 1 }, { techniqueID: 'T1070.001', score: 1 }] });
    const r = cli(['coverage', '--rules', rules, '--baseline', baseline, '--format', 'json', '--db', db()]);
    expect(r.code).toBe(0);
    const b = (JSON.parse(r.stdout) as { baseline: { covered: number; gained: string[]; lost: string[]; carried: { from: string; to: string[] }[] } }).baseline;
    expect(b.carried).toEqual([{ from: 'T1070.001', to: ['T1685.005'] }, { from: 'T1562.001', to: ['T1685'] }]);
    expect(b.covered).toBe(2);
    expect(b.lost).toEqual(['T1685.005']);
    expect(b.gained).not.toContain('T1685');
    // The own-rule layer takes the same baseline through the same crosswalk.
    const layer = JSON.parse(cli(['layer', '--measure', 'own', '--rules', rules, '--baseline', baseline, '--db', db()]).stdout) as {
      techniques: { techniqueID: string; metadata: { name: string; value: string }[] }[]; metadata: { name: string; value: string }[];
    };
    const since = (id: string) => layer.techniques.find((t) => t.techniqueID === id)!.metadata.find((m) => m.name === 'since baseline')?.value;
    expect([since('T1685'), since('T1685.005')]).toEqual([undefined, 'lost']);
    expect(layer.metadata).toContainEqual({ name: 'since baseline', value: '0 gained, 1 lost of 2 covered then' });
    expect(cli(['layer', '--baseline', baseline, '--db', db()]).stderr).toBe('purplebook: --baseline compares own-rule coverage: it needs --measure own\n');
    const md = cli(['coverage', '--rules', rules, '--baseline', baseline, '--db', db()]).stdout;
    expect(md).toContain('Baseline ids carried to ATT&CK');
    expect(md).toContain('T1070.001 → T1685.005, T1562.001 → T1685');
  });

  it('own rules tagged with the next release\'s ids get one hint, in coverage and in translate', () => {
    const next = rawAttack().nextTechniqueId;
    const rules = fixtureDir({
      'future.yml': ['title: Future', 'id: 5f0a1b2c-0000-4000-8000-000000000002', 'status: test', 'logsource:', '    product: windows',
        'detection:', '    sel:', '        a: b', '    condition: sel', 'level: high', 'tags:', `    - attack.${next.toLowerCase()}`, '    - attack.t1059.001'].join('\n'),
    });
    const md = cli(['coverage', '--rules', rules, '--db', db()]);
    expect(md.stdout).toContain(`> Own rules use ATT&CK ids newer than the knowledge base's ATT&CK ${rawAttack().collectionVersion} (${next})`);
    const json = cli(['coverage', '--rules', rules, '--format', 'json', '--db', db()]);
    expect((JSON.parse(json.stdout) as { rules: { newerIds: string[] } }).rules.newerIds).toEqual([next]);
    expect(json.stderr).toContain('purplebook sync fetches it');
    const t = cli(['translate', '--rules', rules, '--format', 'json', '--db', db()]);
    expect(t.code).toBe(4);
    const report = JSON.parse(t.stdout) as JsonReport;
    expect(report.translations.find((x) => x.id === next)).toMatchObject({ outcome: 'unknown', newer: true });
  });

  it('plain lists: ids anywhere in the text, in input order, one per line out', () => {
    const r = cli(['translate', '-', '--db', db()], {}, 'T1059.001 PowerShell\nattack.t1562.001, t1070.001\n# T1059.001 again\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`T1059.001\n${rawAttack().resolve('T1562.001').join('\n')}\n${rawAttack().resolve('T1070.001').join('\n')}\n`);
  });
});

describe('purplebook translate: mistakes', () => {
  it('each refusal is one line and exit 2', () => {
    const dir = tempDir();
    const cases: [string[], string, RegExp][] = [
      [['translate'], '', /needs a FILE/],
      [['translate', join(dir, 'missing.json')], '', /missing\.json does not exist \(expected a Navigator layer/],
      [['translate', dir], '', /is a folder, expected a Navigator layer, a list of layers or a technique list/],
      [['translate', '-'], '   \n', /the input is empty/],
      [['translate', '-'], 'no ids here', /no technique ids in the input/],
      [['translate', '-'], '{"name": "x"}', /neither an ATT&CK Navigator layer/],
      [['translate', '-'], '{"techniques": [', /looks like JSON but is not valid/],
      [['translate', '-', '--format', 'layer'], 'T1059.001', /is a technique list: --format layer needs a layer/],
      [['translate', '-', '--format', 'pdf'], 'T1059.001', /--format must be one of layer, list, json, markdown/],
      [['translate', '-', '--from', dir], 'T1059.001', /--from .*: no ATT&CK bundle/],
      [['translate', '-', '--from', fixtureDir({ 'enterprise-attack.json': 'not json' })], 'T1059.001', /--from .*: no technique could be read/],
    ];
    for (const [args, stdin, message] of cases) {
      const r = cli([...args, '--db', db()], {}, stdin);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
  });

  it('a file that is not UTF-8 is refused', () => {
    const file = join(tempDir(), 'bin');
    writeFileSync(file, Buffer.from([0x54, 0x31, 0x30, 0x35, 0x39, 0xff, 0xfe]));
    const r = cli(['translate', file, '--db', db()]);
    expect([r.code, r.stderr.trim()]).toEqual([2, `purplebook: ${file} is not UTF-8 text`]);
  });

  it('reads the real 18.1 bundle folder and a data folder alike for --from', () => {
    const a = cli(['translate', '-', '--from', PREVIOUS_ATTACK_DIR, '--format', 'json', '--db', db()], {}, 'T1059.001');
    const b = cli(['translate', '-', '--from', DATA_DIR, '--format', 'json', '--db', db()], {}, 'T1059.001');
    expect((JSON.parse(a.stdout) as JsonReport).from).toBe('ATT&CK 18.1');
    expect((JSON.parse(b.stdout) as JsonReport).from).toBe(`ATT&CK ${rawAttack().collectionVersion}`);
    expect(readFileSync(join(PREVIOUS_ATTACK_DIR, 'MANIFEST.json'), 'utf8')).toContain('"version": "18.1"');
  });
});
