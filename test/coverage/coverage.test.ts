import { afterAll, describe, expect, inject, it } from 'vitest';
import { computeCoverage } from '../../src/coverage/coverage.js';
import { comparePriority } from '../../src/coverage/priority.js';
import { KnowledgeBase } from '../../src/kb/open.js';
import type { OwnRule, OwnRuleSet } from '../../src/rules/types.js';
import { selectThreats, type ThreatSelection } from '../../src/threats/select.js';
import { adoptable, groupScope, openDb, pillarVolume, tacticsOf } from './sql.js';

const rule = (key: string, techniqueIds: string[], extra: Partial<OwnRule> = {}): OwnRule => ({
  key, file: `${key}.yml`, format: 'sigma', title: `rule ${key}`, techniqueIds, ...extra,
});
const ruleSet = (rules: OwnRule[]): OwnRuleSet => ({ rules, warnings: [{ file: 'broken.yml', reason: 'not YAML' }], files: rules.length + 1 });

/**
 * The specified order, written out on its own: threats, then "has public detections to adopt"
 * (rules; ATT&CK detection strategies have no query and exist for every technique), then "has
 * public tests", then volumes, then id.
 */
type Key = { id: string; threats: number; det: number; test: number };
function expectedOrder(keys: Key[]): string[] {
  return [...keys].sort((a, b) => {
    if (a.threats !== b.threats) return b.threats - a.threats;
    if ((a.det > 0) !== (b.det > 0)) return a.det > 0 ? -1 : 1;
    if ((a.test > 0) !== (b.test > 0)) return a.test > 0 ? -1 : 1;
    if (a.det !== b.det) return b.det - a.det;
    if (a.test !== b.test) return b.test - a.test;
    return a.id.localeCompare(b.id);
  }).map((k) => k.id);
}

describe('coverage', () => {
  const kb = KnowledgeBase.open(inject('kbPath'));
  const db = openDb(inject('kbPath'));
  afterAll(() => {
    kb.close();
    db.close();
  });

  /** Active enterprise techniques with the given (has detections, has tests) profile, by SQL. */
  const pick = (det: boolean, test: boolean, n = 1): string[] => {
    const ids = db.prepare("SELECT id FROM techniques WHERE status = 'active' AND domain = 'enterprise-attack' ORDER BY id").pluck().all() as string[];
    return ids.filter((id) => (adoptable(db, id) > 0) === det && (pillarVolume(db, id, 'test') > 0) === test).slice(0, n);
  };

  it('orders gaps: more threats first, then public detections to adopt, then public tests to validate', () => {
    const [both1, both2] = pick(true, true, 2);
    const [detOnly] = pick(true, false);
    const [testOnly] = pick(false, true);
    const [neither1, neither2] = pick(false, false, 2);
    for (const x of [both1, both2, detOnly, testOnly, neither1, neither2]) expect(x).toBeDefined();
    // neither1 is used by both threats: it must lead although nothing public exists for it.
    const users = new Map<string, string[]>([
      [both1!, ['X1']], [both2!, ['X2']], [detOnly!, ['X1']], [testOnly!, ['X2']], [neither1!, ['X1', 'X2']], [neither2!, ['X1']],
    ]);
    const selection: ThreatSelection = {
      threats: ['X1', 'X2'].map((id) => ({ id, name: id, kind: 'list', url: null, techniques: [...users].filter(([, u]) => u.includes(id)).map(([t]) => t) })),
      techniques: users, unjoined: [],
    };
    const report = computeCoverage(kb, { selection, rules: ruleSet([]) });
    const bothFirst = adoptable(db, both1!) >= adoptable(db, both2!) ? [both1, both2] : [both2, both1];
    expect(report.gaps).toEqual([neither1, ...bothFirst, detOnly, testOnly, neither2]);
    expect(report.gaps.map((id) => report.techniques.find((t) => t.id === id)!.priority)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('orders the gaps of two real groups as specified, from SQL counts', () => {
    const selection = selectThreats(kb, { group: ['G0016', 'G0007'] });
    const covered = ['T1059.001', 'T1003.001', 'T1566.001'];
    const report = computeCoverage(kb, { selection, rules: ruleSet(covered.map((id, i) => rule(`r${i}`, [id]))) });
    const scope = [...new Set([...groupScope(db, 'G0016'), ...groupScope(db, 'G0007')])];
    const keys = scope.filter((id) => !covered.includes(id)).map((id) => ({
      id, threats: ['G0016', 'G0007'].filter((g) => groupScope(db, g).includes(id)).length,
      det: adoptable(db, id), test: pillarVolume(db, id, 'test'),
    }));
    expect(report.gaps).toEqual(expectedOrder(keys));
    // Every level of the order is exercised by this data, so a wrong key would show.
    const pairs = keys.flatMap((a) => keys.map((b) => [a, b] as const));
    expect(pairs.some(([a, b]) => a.threats > b.threats && a.det === 0 && b.det > 0)).toBe(true);
    expect(pairs.some(([a, b]) => a.threats === b.threats && a.det > 0 && b.det === 0 && a.test === 0 && b.test > 0)).toBe(true);
    expect(pairs.some(([a, b]) => a.threats === b.threats && a.det > 0 && b.det > 0 && a.test > 0 && b.test === 0 && a.det < b.det)).toBe(true);
    expect(comparePriority({ id: 'T1', threats: 1, adoptableDetections: 0, testVolume: 9 }, { id: 'T2', threats: 1, adoptableDetections: 1, testVolume: 0 })).toBeGreaterThan(0);
  });

  it('G0016: covered / total and per tactic agree with an independent count', () => {
    const scope = groupScope(db, 'G0016');
    const inScope = new Set(scope);
    const revoked = (db.prepare("SELECT id, revoked_by FROM techniques WHERE status = 'revoked'").all() as { id: string; revoked_by: string }[])
      .map((r) => ({ id: r.id, to: JSON.parse(r.revoked_by) as string[] })).find((r) => r.to.length === 1 && inScope.has(r.to[0]!))!;
    expect(revoked).toBeDefined();
    const deprecated = db.prepare("SELECT id FROM techniques WHERE status = 'deprecated' AND domain = 'enterprise-attack' ORDER BY id LIMIT 1").pluck().get() as string;
    const outside = (db.prepare("SELECT id FROM techniques WHERE status = 'active' AND domain = 'enterprise-attack' ORDER BY id").pluck().all() as string[])
      .find((id) => !inScope.has(id))!;
    const subInScope = scope.find((id) => id.includes('.') && inScope.has(id.split('.')[0]!))!;
    const parentOnlyViaSub = subInScope.split('.')[0]!;
    const plain = scope.filter((id) => !id.includes('.') && id !== parentOnlyViaSub).slice(0, 5);
    const rules = ruleSet([
      ...plain.map((id, i) => rule(`plain${i}`, [id.toLowerCase()])),
      rule('sub', [`attack.${subInScope.toLowerCase()}`]),
      rule('revoked', [revoked.id]),
      rule('deprecated-rule', [plain[0]!, scope[scope.length - 1]!], { deprecated: true }),
      rule('outside', [outside]),
      rule('deprecated-technique', [deprecated]),
      rule('unknown', ['T9999', 'not-an-id']),
      rule('unmapped', []),
      rule('ics', ['T0800']),
    ]);
    const report = computeCoverage(kb, { selection: selectThreats(kb, { group: ['G0016'] }), rules });
    const coveredIds = new Set([...plain, subInScope, revoked.to[0]!]);
    expect(report.summary.total).toBe(scope.length);
    expect(report.summary.covered).toBe(coveredIds.size);
    expect(report.summary.gaps).toBe(scope.length - coveredIds.size);
    expect(report.techniques.filter((t) => t.status === 'covered').map((t) => t.id).sort()).toEqual([...coveredIds].sort());
    // A rule on a sub-technique covers it; its parent counts as partially covered, not covered.
    const parent = report.techniques.find((t) => t.id === parentOnlyViaSub)!;
    expect(parent.status).toBe(coveredIds.has(parentOnlyViaSub) ? 'covered' : 'partial');
    expect(report.techniques.find((t) => t.id === subInScope)!.status).toBe('covered');
    expect(report.gaps).toHaveLength(scope.length - coveredIds.size);
    expect(report.gaps).not.toContain(subInScope);

    const tactics = db.prepare("SELECT shortname FROM tactics WHERE domain = 'enterprise-attack' ORDER BY ord").pluck().all() as string[];
    const expected = tactics.map((tac) => {
      const list = scope.filter((id) => tacticsOf(db, id).includes(tac));
      return { shortname: tac, total: list.length, covered: list.filter((id) => coveredIds.has(id)).length };
    }).filter((t) => t.total > 0);
    expect(report.summary.byTactic.map((t) => ({ shortname: t.shortname, total: t.total, covered: t.covered }))).toEqual(expected);

    expect(report.rules).toMatchObject({ total: 13, deprecated: 1, inScope: 7, files: 14, warnings: [{ file: 'broken.yml', reason: 'not YAML' }] });
    expect(report.rules.mapped).toBe(8); // the 7 in scope + "outside"
    expect(report.rules.unmapped.map((u) => u.key)).toEqual(['unmapped']);
    expect(report.rules.revoked).toEqual([{ rule: 'revoked', file: 'revoked.yml', raw: revoked.id, ids: revoked.to }]);
    expect(report.rules.unknownIds.map((u) => [u.rule, u.raw, u.reason])).toEqual([
      ['deprecated-technique', deprecated, 'deprecated technique'],
      ['unknown', 'T9999', 'unknown to the loaded ATT&CK'],
      ['unknown', 'not-an-id', 'not a technique id'],
      ['ics', 'T0800', 'other domain'],
    ]);
    // Public counts per technique are the page's: detections are the executable rules, guidance apart.
    const t = report.techniques.find((x) => x.id === subInScope)!;
    expect([t.detectionVolume, t.testVolume, t.policyVolume]).toEqual([adoptable(db, t.id), pillarVolume(db, t.id, 'test'), pillarVolume(db, t.id, 'policy')]);
    expect(t.detectionVolume + t.guidanceVolume).toBe(pillarVolume(db, t.id, 'detection'));
    expect(t.detections.reduce((n, s) => n + s.count, 0)).toBe(t.detectionVolume);
  });

  it('without a threat: every active technique of the domain; with a baseline: gained and lost', () => {
    const active = db.prepare("SELECT COUNT(*) FROM techniques WHERE status = 'active' AND domain = 'ics-attack'").pluck().get() as number;
    const ics = (db.prepare("SELECT id FROM techniques WHERE status = 'active' AND domain = 'ics-attack' ORDER BY id").pluck().all() as string[]);
    const [a, b, c] = ics;
    const report = computeCoverage(kb, { domain: 'ics-attack', rules: ruleSet([rule('a', [a!]), rule('b', [b!])]), baseline: [b!, c!, 'T1059.001'] });
    expect(report.summary.total).toBe(active);
    expect(report.threats).toBeUndefined();
    expect(report.summary.covered).toBe(2);
    expect(report.baseline).toEqual({ covered: 2, gained: [a], lost: [c], ignored: 1, carried: [] });
  });
});
