/**
 * User mistakes never succeed silently: each is one line on stderr and a non-zero exit (2 for bad
 * input), names the path or value, and offers the closest valid values. Run against the compiled
 * CLI and the knowledge base built from the real data.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { computeCoverage } from '../../src/coverage/coverage.js';
import { KnowledgeBase } from '../../src/kb/open.js';
import { ALL_SOURCES } from '../../src/sources/registry.js';
import { selectThreats } from '../../src/threats/select.js';
import { createProgress } from '../../src/util/progress.js';
import { cli, DATA_DIR, fixtureDir, tempDir } from '../helpers.js';

/** stderr is exactly one `purplebook: …` line. */
function oneLine(r: { stderr: string }): string {
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^purplebook: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

describe('build refuses what would replace a good knowledge base with nothing', () => {
  it('a folder without an ATT&CK bundle: exit 2, nothing written, the data folder nearby named', () => {
    const db = join(tempDir(), 'kb.db');
    writeFileSync(db, 'a good knowledge base');
    for (const data of [dirname(DATA_DIR), join(DATA_DIR, 'sigma')]) {
      const r = cli(['build', '--data', data, '--db', db]);
      expect(r.code).toBe(2);
      expect(oneLine(r)).toBe(`purplebook: no ATT&CK bundle in ${data} (expected attack/enterprise-attack.json): nothing built; did you mean --data ${DATA_DIR}?`);
      expect(readFileSync(db, 'utf8')).toBe('a good knowledge base');
    }
    const empty = tempDir();
    const r = cli(['build', '--data', empty, '--db', db]);
    expect([r.code, oneLine(r)]).toEqual([2, `purplebook: no ATT&CK bundle in ${empty} (expected attack/enterprise-attack.json): nothing built (run \`purplebook sync\`, or pass the data folder with --data)`]);
    expect(readFileSync(db, 'utf8')).toBe('a good knowledge base');
  });

  it('a bundle from which no technique loads: exit 2, the reason named, nothing written', () => {
    const db = join(tempDir(), 'kb.db');
    writeFileSync(db, 'a good knowledge base');
    const data = fixtureDir({ 'attack/enterprise-attack.json': '{"type": "bundle", "objects": "not a list"}' });
    const r = cli(['build', '--data', data, '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`purplebook: no ATT&CK technique could be loaded from ${data} \\(attack/enterprise-attack.json: .+\\): nothing built\\n$`));
    expect(readFileSync(db, 'utf8')).toBe('a good knowledge base');
    expect(existsSync(`${db}.tmp`)).toBe(false);
  });

  it('warns, naming them, when the new data folder lacks sources the replaced knowledge base has', () => {
    const db = join(tempDir(), 'kb.db');
    copyFileSync(inject('kbPath'), db);
    const kb = KnowledgeBase.open(db);
    const loaded = kb.sources().filter((s) => s.loaded).map((s) => s.name);
    kb.close();
    const data = tempDir();
    mkdirSync(join(data, 'attack'));
    copyFileSync(join(DATA_DIR, 'attack', 'ics-attack.json'), join(data, 'attack', 'ics-attack.json'));
    // The folder holds only an ATT&CK bundle: every source but those read from the bundles is lost.
    const fromBundles = new Set(ALL_SOURCES.filter((s) => s.folder === 'attack').map((s) => s.name));
    const lost = loaded.filter((name) => !fromBundles.has(name));
    expect(lost.length).toBeGreaterThan(20);
    const r = cli(['build', '--data', data, '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`warning: kb.db has ${loaded.length} sources; ${data} lacks ${lost.length} of them, which the new build will not have: ${lost.join(', ')}\n`);
  });

  it('--db naming a folder is one line, not a stack trace', () => {
    const dir = tempDir();
    for (const args of [['build', '--data', DATA_DIR], ['show', 'T1021.004'], ['search', 'ssh']]) {
      const r = cli([...args, '--db', dir]);
      expect(r.code).toBe(2);
      expect(oneLine(r)).toBe(`purplebook: --db ${dir} is a folder; expected a knowledge-base file (e.g. ${dir}/purplebook.db)`);
    }
  });
});

describe('formats, options and values', () => {
  const kbPath = inject('kbPath');
  const run = (...args: string[]) => cli([...args, '--db', kbPath]);

  it('--json is --format json everywhere; conflicting format flags are bad input', () => {
    expect((JSON.parse(run('show', 'T1021.004', '--json').stdout) as { id: string }).id).toBe('T1021.004');
    expect((JSON.parse(run('coverage', '--group', 'G0016', '--json').stdout) as { summary: { total: number } }).summary.total).toBeGreaterThan(0);
    expect(JSON.parse(run('plan', '--group', 'G0016', '--json').stdout)).toHaveProperty('tactics');
    expect(JSON.parse(run('export', '--domain', 'ics', '--json').stdout)).toBeInstanceOf(Array);
    expect(JSON.parse(run('stats', '--format', 'json').stdout)).toHaveProperty('attack');
    expect(JSON.parse(run('layer', '--json').stdout)).toHaveProperty('techniques');
    for (const args of [['show', 'T1021.004', '--json', '--format', 'markdown'], ['coverage', '--json', '--csv'], ['gaps', '--csv', '--format', 'json']]) {
      const r = run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(oneLine(r)).toMatch(/ask for different formats: give one$/);
    }
    expect(oneLine(run('stats', '--format', 'yaml'))).toBe('purplebook: --format must be one of text, json, got "yaml"');
  });

  it('an unknown option is one line and a hint, not the whole help', () => {
    const r = run('show', 'T1021.004', '--jsn');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("purplebook: unknown option '--jsn' (did you mean --json?)\n(run `purplebook show --help` for its options)\n");
    const c = cli(['covrage']);
    expect(c.code).toBe(2);
    expect(c.stderr.split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('domains are case-insensitive; an unknown one names the closest', () => {
    const upper = run('gaps', '--domain', 'Enterprise', '--json');
    expect(upper.code).toBe(0);
    expect(upper.stdout).toBe(run('gaps', '--domain', 'enterprise', '--json').stdout);
    expect(run('layer', '--domain', 'ICS').code).toBe(0);
    const typo = run('gaps', '--domain', 'enterprize');
    expect([typo.code, oneLine(typo)]).toEqual([2, 'purplebook: unknown --domain "enterprize"; did you mean enterprise?']);
  });

  it('unknown values name the closest valid ones: platform, warnings source, pillar, group', () => {
    const platform = run('plan', '--group', 'G0016', '--platform', 'windowz');
    expect([platform.code, oneLine(platform)]).toEqual([2, 'purplebook: unknown --platform "windowz"; did you mean windows?']);
    expect(run('plan', '--group', 'G0016', '--platform', 'Windows,darwin').code).toBe(0);
    const source = run('warnings', '--source', 'sigmaa');
    expect([source.code, oneLine(source)]).toEqual([2, 'purplebook: unknown --source "sigmaa"; did you mean sigma?']);
    const pillar = run('gaps', '--pillar', 'tests');
    expect([pillar.code, oneLine(pillar)]).toEqual([2, 'purplebook: unknown --pillar "tests"; did you mean test?']);
    const group = run('threats', '--group', 'Cozy Bare');
    expect([group.code, oneLine(group)]).toEqual([2, 'purplebook: no ATT&CK group "Cozy Bare"; did you mean G0016 (APT29) a.k.a. Cozy Bear?']);
  });
});

describe('empty selections are errors, and ids that did not count are named', () => {
  const kbPath = inject('kbPath');
  const run = (...args: string[]) => cli([...args, '--db', kbPath]);
  const kb = KnowledgeBase.open(kbPath);
  const countries = [...new Set(kb.profiles().flatMap((p) => p.victimCountries))];

  it('a profile filter that matches no group fails a CI gate with exit 2 and the closest values', () => {
    expect(countries).toContain('Germany');
    expect(countries.some((c) => /atlantis/i.test(c))).toBe(false);
    const r = run('coverage', '--victim-country', 'Atlantis', '--fail-on-gaps');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(oneLine(r)).toBe(`purplebook: empty threat selection: victim country "Atlantis" matches no group (none of the ${countries.length} known values is close; \`purplebook threats --json\` lists the profiles)`);
    expect(oneLine(run('threats', '--victim-country', 'Germnay'))).toBe('purplebook: empty threat selection: victim country "Germnay" matches no group (closest: Germany)');
  });

  it('filters that each match groups but never together say so', () => {
    // Independently: a motivation and an origin country no single profile has together.
    const profiles = kb.profiles();
    const origins = [...new Set(profiles.map((p) => p.originCountry).filter((x): x is string => !!x))];
    const motivations = [...new Set(profiles.flatMap((p) => p.motivation))];
    const pair = origins.flatMap((o) => motivations.map((m) => [o, m] as const))
      .find(([o, m]) => !profiles.some((p) => p.originCountry === o && p.motivation.some((x) => x.toLowerCase().includes(m.toLowerCase()))))!;
    expect(pair).toBeDefined();
    const r = run('threats', '--origin-country', pair[0], '--motivation', pair[1]);
    expect(r.code).toBe(2);
    expect(oneLine(r)).toContain('empty threat selection: no group matches all of');
  });

  it('a threat with no technique in the report domain is an empty selection', () => {
    const r = run('coverage', '--group', 'G0016', '--domain', 'mobile');
    expect([r.code, oneLine(r)]).toEqual([2, expect.stringMatching(/^purplebook: empty selection: no technique of G0016 \(APT29\) is an active mobile technique \(enterprise technique: \d+ techniques\); try --domain$/)]);
  });

  it('a technique list names every id that did not count; a list with none that counts is an error', () => {
    const dir = tempDir();
    const list = join(dir, 'list.txt');
    writeFileSync(list, 'T1059.001, T9999, t1003 and T1086\nT105 TA0002\n');
    const r = run('coverage', '--techniques', list, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`purplebook: --techniques ${list}: 3 ids did not count: T105 (not a technique id), TA0002 (not a technique id), T9999 (unknown to ATT&CK ${kb.attackVersion})\n`);
    expect(r.stderr).toContain(`purplebook: --techniques ${list}: revoked ids counted as their replacement: T1086 → T1059.001\n`);
    const report = JSON.parse(r.stdout) as { excluded: { id: string; reason: string }[]; techniques: { id: string }[] };
    expect(report.techniques.map((t) => t.id)).toEqual(['T1003', 'T1059', 'T1059.001']);
    expect(report.excluded.map((e) => e.id)).toEqual(['T105', 'TA0002', 'T9999']);
    writeFileSync(list, 'T9999 T9998\n');
    const none = run('coverage', '--techniques', list);
    expect([none.code, oneLine(none)]).toEqual([2, `purplebook: empty threat selection: ${list} holds no technique of ATT&CK ${kb.attackVersion} (did not count: T9998: unknown to ATT&CK ${kb.attackVersion}, T9999: unknown to ATT&CK ${kb.attackVersion})`]);
  });
});

describe('status and sync name the data folder they use, chosen the same way', () => {
  it('both say which folder and why; a missing folder is said once', () => {
    const env = { PURPLEBOOK_DATA: DATA_DIR };
    const status = cli(['status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout.split('\n')[0]).toMatch(new RegExp(`^data folder: ${DATA_DIR}( \\(.*\\))? \\(\\$PURPLEBOOK_DATA\\)$`));
    const sync = cli(['sync', '--offline', '--source', 'attack'], env);
    expect(sync.code).toBe(0);
    expect(sync.stderr.split('\n')[0]).toBe(`data folder: ${DATA_DIR} ($PURPLEBOOK_DATA)`);
    expect(sync.stderr).toMatch(/attack: present/);
    // Nothing synced and no variable: both fall back to the same folder and say why.
    const home = { HOME: tempDir(), XDG_DATA_HOME: '', PURPLEBOOK_DATA: '' };
    const s2 = cli(['status'], home);
    const y2 = cli(['sync', '--offline', '--source', 'attack'], home);
    const named = (line: string) => /^data folder: (\S+) /.exec(line)?.[1];
    expect(named(y2.stderr.split('\n')[0]!)).toBe(named(s2.stdout.split('\n')[0]!));
    const missing = join(tempDir(), 'none');
    const m = cli(['status', '--dir', missing]);
    expect(m.code).toBe(1);
    expect(m.stdout).toBe('');
    expect(oneLine(m)).toBe(`purplebook: no data folder at ${missing} (--dir): run \`purplebook sync\` or pass --dir`);
  });
});

describe('long work shows progress', () => {
  it('coverage reports every technique done; the progress line is drawn on a TTY only', () => {
    const kb = KnowledgeBase.open(inject('kbPath'));
    const calls: [number, number][] = [];
    const report = computeCoverage(kb, { selection: selectThreats(kb, { group: ['G0016'] }), onProgress: (d, t) => calls.push([d, t]) });
    kb.close();
    expect(calls.length).toBe(report.techniques.length);
    expect(calls[calls.length - 1]).toEqual([report.techniques.length - 1, report.techniques.length]);
    const written: string[] = [];
    const tty = { isTTY: true, columns: 80, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const saved = process.env.CI;
    delete process.env.CI;
    try {
      const p = createProgress({ stream: tty });
      p.update('Computing coverage', 5, 10);
      p.done();
      const notTty = createProgress({ stream: { ...tty, isTTY: false } as unknown as NodeJS.WriteStream });
      notTty.update('Computing coverage', 5, 10);
    } finally {
      if (saved !== undefined) process.env.CI = saved;
    }
    expect(written.join('')).toContain('Computing coverage [############............] 5/10');
    expect(written.filter((s) => s.includes('Computing'))).toHaveLength(1);
  });
});
