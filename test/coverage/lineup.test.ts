/**
 * `purplebook lineup` on the real data: APT29 ordered by its Sigma rules with the stack
 * sigma,atomic-red-team (counts and order computed here from the tables), the lowest-level and
 * tactic filters, an intel layer's scores as the sort, the formats and the bad inputs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Lineup } from '../../src/coverage/lineup.js';
import { cli, tempDir } from '../helpers.js';
import { csvRecords } from './csv.js';
import { groupScope, openDb, tacticsOf } from './sql.js';

describe('purplebook lineup', () => {
  const kbPath = inject('kbPath');
  const db = openDb(kbPath);
  afterAll(() => db.close());

  /** Non-deprecated resources of one source mapped directly to each technique. */
  const countsOf = (source: string) => new Map((db.prepare(`SELECT m.technique, COUNT(*) AS n FROM mappings m JOIN resources r ON r.id = m.resource
    WHERE r.source = ? AND r.deprecated = 0 GROUP BY m.technique`).all(source) as { technique: string; n: number }[]).map((x) => [x.technique, x.n]));
  const lineup = (...args: string[]): Lineup => {
    const r = cli(['lineup', '--format', 'json', '--db', kbPath, ...args]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Lineup;
  };

  it('--group G0016 --stack sigma,atomic-red-team --sort rules orders APT29\'s techniques by their Sigma rules', () => {
    const l = lineup('--group', 'G0016', '--stack', 'sigma,atomic-red-team', '--sort', 'rules');
    const scope = groupScope(db, 'G0016');
    const sigma = countsOf('sigma');
    const atomic = countsOf('atomic-red-team');
    expect(l.rows.map((r) => r.id).sort()).toEqual(scope);
    const order = l.rows.map((r) => sigma.get(r.id) ?? 0);
    expect(order).toEqual([...order].sort((a, b) => b - a));
    expect(order[0]).toBe(Math.max(...scope.map((id) => sigma.get(id) ?? 0)));
    for (const r of l.rows) {
      expect([r.rules, r.tests, r.controls, r.guidance], r.id).toEqual([sigma.get(r.id) ?? 0, atomic.get(r.id) ?? 0, 0, 0]);
      expect(r.sources.map((s) => s.source)).toEqual(['sigma', 'atomic-red-team'].filter((s) => (s === 'sigma' ? sigma : atomic).get(r.id)));
    }
    // Equal Sigma counts: more tests first (then total), then the id.
    for (let i = 1; i < l.rows.length; i++) {
      const [a, b] = [l.rows[i - 1]!, l.rows[i]!];
      if (a.rules === b.rules && a.total === b.total) expect(a.id < b.id, `${a.id} ${b.id}`).toBe(true);
    }
    expect(l.rows.map((r) => r.rank)).toEqual(l.rows.map((_, i) => i + 1));
    expect(l.headline).toMatch(/^Sorted by executable detection rules of the control stack sigma, atomic-red-team, most first: the top rows have the most public rules/);
    expect(l.totals.rules).toBe(scope.reduce((n, id) => n + (sigma.get(id) ?? 0), 0));
    expect(l.stack).toEqual({ name: null, sources: ['sigma', 'atomic-red-team'] });

    const md = cli(['lineup', '--group', 'G0016', '--stack', 'sigma,atomic-red-team', '--sort', 'rules', '--db', kbPath]).stdout;
    expect(md).toContain(`> ${l.headline}`);
    expect(md.split('\n').find((x) => x.startsWith('| 1 |'))).toContain(`[${l.rows[0]!.id}]`);
    const csv = csvRecords(cli(['lineup', '--group', 'G0016', '--stack', 'sigma,atomic-red-team', '--sort', 'rules', '--format', 'csv', '--db', kbPath]).stdout);
    expect(csv.header.slice(-2)).toEqual(['sigma', 'atomic-red-team']);
    expect(csv.rows.map((r) => [r.id, Number(r.sigma), Number(r.rules)])).toEqual(l.rows.map((r) => [r.id, r.rules, r.rules]));
  });

  it('--lowest-level keeps sub-techniques where the threat has them and the technique otherwise; --tactic filters', () => {
    const scope = groupScope(db, 'G0016');
    const low = lineup('--group', 'G0016', '--lowest-level', '--sort', 'id');
    const withSubs = new Set(scope.filter((id) => id.includes('.')).map((id) => id.split('.')[0]));
    const expected = scope.filter((id) => !withSubs.has(id));
    expect(low.rows.map((r) => r.id)).toEqual(expected);
    expect(expected.some((id) => id.includes('.')) && expected.some((id) => !id.includes('.'))).toBe(true);
    expect(expected.length).toBeLessThan(scope.length);

    const exec = lineup('--group', 'G0016', '--tactic', 'execution', '--tactic', 'TA0008', '--sort', 'id');
    expect(exec.rows.map((r) => r.id)).toEqual(scope.filter((id) => tacticsOf(db, id).some((t) => t === 'execution' || t === 'lateral-movement')));
    expect(exec.tactics.map((t) => t.id)).toEqual(['TA0002', 'TA0008']);
    // By name, case-insensitive, comma-separated.
    expect(lineup('--group', 'G0016', '--tactic', 'Execution,LATERAL-movement', '--sort', 'id').rows.map((r) => r.id))
      .toEqual(exec.rows.map((r) => r.id));
    // Whole domain, lowest level: every active sub-technique and every technique without one.
    const all = db.prepare("SELECT id, is_sub, parent FROM techniques WHERE status = 'active' AND domain = 'enterprise-attack'").all() as { id: string; is_sub: number; parent: string | null }[];
    const parents = new Set(all.filter((t) => t.is_sub).map((t) => t.parent));
    const domainLow = lineup('--lowest-level', '--sort', 'id');
    expect(domainLow.rows.map((r) => r.id)).toEqual(all.filter((t) => !parents.has(t.id)).map((t) => t.id).sort());
  });

  it('a layer with scores as --techniques sorts by score', () => {
    const dir = tempDir();
    const file = join(dir, 'intel.json');
    writeFileSync(file, JSON.stringify({
      name: 'intel', domain: 'enterprise-attack', versions: { layer: '4.5' },
      techniques: [
        { techniqueID: 'T1059.001', score: 3 }, { techniqueID: 'T1003', score: 90 }, { techniqueID: 'T1021.004', tactic: 'lateral-movement', score: 50 },
        { techniqueID: 'T1566.001', score: '7' }, { techniqueID: 'T1105', score: 12 }, { techniqueID: 'T1105', tactic: 'other', score: 40 },
        { techniqueID: 'T1047', score: 99, enabled: false },
      ],
    }));
    const l = lineup('--techniques', file, '--sort', 'score', '--lowest-level');
    expect(l.rows.map((r) => [r.id, r.score])).toEqual([['T1003', 90], ['T1021.004', 50], ['T1105', 40], ['T1566.001', 7], ['T1059.001', 3]]);
    expect(l.scoresFrom).toBe(file);
    expect(l.headline).toContain('intel score');
    // Without --lowest-level the parents the list implies come too, with their best sub-technique's score.
    const parents = lineup('--techniques', file, '--sort', 'score');
    expect(parents.rows.find((r) => r.id === 'T1021')?.score).toBe(50);
    expect(parents.rows.find((r) => r.id === 'T1059')?.score).toBe(3);

    const plain = join(dir, 'ids.txt');
    writeFileSync(plain, 'T1003\nT1059.001\n');
    const noScores = cli(['lineup', '--techniques', plain, '--sort', 'score', '--db', kbPath]);
    expect(noScores.code).toBe(2);
    expect(noScores.stderr).toMatch(/--sort score needs --techniques with a Navigator layer whose techniques carry scores/);
  });

  it('bad input exits 2 with one line', () => {
    for (const [args, message] of [
      [['--sort', 'popularity'], /--sort must be one of rules, tests, controls, total, score, id/],
      [['--tactic', 'nowhere'], /unknown tactic "nowhere" in enterprise-attack; valid: reconnaissance/],
      [['--format', 'xml'], /--format must be one of markdown, json, csv/],
      [['--group', 'NoSuchGroup'], /no ATT&CK group "NoSuchGroup"/],
      [['--stack', 'sigma,nope'], /unknown source "nope"/],
    ] as [string[], RegExp][]) {
      const r = cli(['lineup', ...args, '--db', kbPath]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stdout, args.join(' ')).toBe('');
    }
  });
});
