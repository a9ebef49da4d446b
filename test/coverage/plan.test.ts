import { afterAll, describe, expect, inject, it } from 'vitest';
import { buildPlan, type Plan } from '../../src/coverage/plan.js';
import { KnowledgeBase } from '../../src/kb/open.js';
import { selectThreats } from '../../src/threats/select.js';
import { groupScope, openDb, tacticsOf } from './sql.js';

describe('purple-team plan: G0016 on Windows', () => {
  const kb = KnowledgeBase.open(inject('kbPath'));
  const db = openDb(inject('kbPath'));
  afterAll(() => {
    kb.close();
    db.close();
  });
  const selection = selectThreats(kb, { group: ['G0016'] });
  const plan: Plan = buildPlan(kb, { selection, platforms: ['windows'] });
  const techniques = plan.tactics.flatMap((t) => t.techniques);
  const scope = groupScope(db, 'G0016');

  /** The resource behind a listed item: same source, key and upstream id, mapped to the technique, not deprecated, of that pillar. */
  const resource = db.prepare(`SELECT r.upstream_id AS id, r.meta, s.pillar FROM resources r JOIN mappings m ON m.resource = r.id JOIN sources s ON s.name = r.source
    WHERE r.source = ? AND r.key = ? AND m.technique = ? AND r.deprecated = 0 AND s.loaded = 1`);
  const windowsTests = db.prepare(`SELECT COUNT(DISTINCT r.id) FROM resources r JOIN mappings m ON m.resource = r.id JOIN sources s ON s.name = r.source
    WHERE m.technique = ? AND r.deprecated = 0 AND s.loaded = 1 AND s.pillar = 'test'
      AND EXISTS (SELECT 1 FROM json_each(r.meta, '$.platforms') p WHERE lower(p.value) = 'windows')`).pluck();

  it('lists every technique of the threat once, under its first tactic in matrix order', () => {
    expect(techniques.map((t) => t.id).sort()).toEqual(scope);
    const order = db.prepare("SELECT shortname FROM tactics WHERE domain = 'enterprise-attack' ORDER BY ord").pluck().all() as string[];
    expect(plan.tactics.map((t) => t.shortname)).toEqual(order.filter((s) => plan.tactics.some((t) => t.shortname === s)));
    for (const tac of plan.tactics) {
      for (const t of tac.techniques) {
        const first = order.find((s) => tacticsOf(db, t.id).includes(s));
        expect(tac.shortname, t.id).toBe(first);
        expect(t.threats).toEqual(['G0016']);
      }
    }
    expect(plan.platforms).toEqual(['windows']);
    expect(plan.summary.techniques).toBe(scope.length);
  });

  it('every test exists in the knowledge base, runs on Windows, and no Windows test is missing', () => {
    let tests = 0;
    for (const t of techniques) {
      expect(t.tests.length, t.id).toBe(windowsTests.get(t.id));
      for (const x of t.tests) {
        const row = resource.get(x.source, x.key, t.id) as { id: string | null; meta: string; pillar: string } | undefined;
        expect(row, `${t.id} ${x.source} ${x.key}`).toBeDefined();
        expect(row!.pillar).toBe('test');
        expect(x.id).toBe(row!.id);
        const meta = JSON.parse(row!.meta) as { platforms: string[]; number?: number };
        expect(meta.platforms.map((p) => p.toLowerCase()), x.key).toContain('windows');
        expect(x.platforms).toContain('windows');
        if (x.source === 'atomic-red-team') {
          // Atomic ids: the GUID and "T1059.001-3" (technique folder + test number).
          expect(x.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
          expect(x.number).toBe(`${/(T\d{4}(?:\.\d{3})?)\//.exec(x.key)![1]}-${meta.number}`);
        }
        tests++;
      }
    }
    expect(tests).toBe(plan.summary.tests);
    const sources = new Set(techniques.flatMap((t) => t.tests.map((x) => x.source)));
    for (const s of ['atomic-red-team', 'caldera', 'prelude']) expect(sources, s).toContain(s);
  });

  it('every detection and control exists in the knowledge base for its technique', () => {
    let detections = 0;
    for (const t of techniques) {
      for (const d of t.detections) {
        expect(d.kind).toBe('public');
        const row = resource.get(d.source, d.key, t.id) as { id: string | null; pillar: string } | undefined;
        expect(row, `${t.id} ${d.source} ${d.key}`).toBeDefined();
        expect(row!.pillar).toBe('detection');
        expect(d.id).toBe(row!.id);
        detections++;
      }
      for (const c of t.controls) expect((resource.get(c.source, c.key, t.id) as { pillar: string }).pillar, c.key).toBe('policy');
      expect(t.detections.length + t.moreDetections).toBeLessThanOrEqual(t.publicDetections);
      expect(t.detections.length).toBeLessThanOrEqual(8);
    }
    expect(detections).toBeGreaterThan(scope.length);
  });

  it('lists the techniques no public Windows test covers', () => {
    const expected = scope.filter((id) => windowsTests.get(id) === 0);
    expect(expected.length).toBeGreaterThan(0);
    expect(plan.untested.map((t) => t.id)).toEqual(expected);
    expect(plan.summary.tested).toBe(scope.length - expected.length);
  });

  it('own rules come first and replace the public candidates', () => {
    const own = buildPlan(kb, {
      selection, platforms: ['windows'],
      rules: { rules: [{ key: 'ps.yml', file: 'ps.yml', format: 'sigma', title: 'Encoded PowerShell', id: 'abc', techniqueIds: ['attack.t1059.001'] }], warnings: [], files: 1 },
    });
    const ps = own.tactics.flatMap((t) => t.techniques).find((t) => t.id === 'T1059.001')!;
    expect(ps.detections).toEqual([{ kind: 'own', source: 'sigma', sourceTitle: 'own rule', key: 'ps.yml', id: 'abc', title: 'Encoded PowerShell', url: null, file: 'ps.yml', format: 'sigma' }]);
    expect(own.summary.withOwnRule).toBe(1);
  });
});
