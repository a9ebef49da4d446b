/**
 * The plan as markdown (APT29 on Windows, real data): a summary row per technique, Atomic tests in
 * test-number order, no cloud-provider control or product CVE for an on-premises platform (left out
 * by buildPlan, so the JSON agrees), no
 * UUID repeated next to its link, and wording without "1 tests". The same rules on small plans.
 */
import Database from 'better-sqlite3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { buildPlan, type Plan, type PlanTechnique } from '../../src/coverage/plan.js';
import { KnowledgeBase } from '../../src/kb/open.js';
import { controlFits } from '../../src/coverage/control-platforms.js';
import { orderedTests, renderPlanMarkdown } from '../../src/render/plan.js';
import { count, listOr, present } from '../../src/render/words.js';
import { selectThreats } from '../../src/threats/select.js';

describe('the plan as markdown', () => {
  const kb = KnowledgeBase.open(inject('kbPath'));
  const db = new Database(inject('kbPath'), { readonly: true });
  afterAll(() => {
    kb.close();
    db.close();
  });
  const plan = buildPlan(kb, { selection: selectThreats(kb, { group: ['G0016'] }), platforms: ['windows'] });
  const md = renderPlanMarkdown(plan);
  const techniques = plan.tactics.flatMap((t) => t.techniques);

  it('opens with one summary row per technique, linking to its checklist', () => {
    const rows = md.split('\n').filter((l) => /^\| \[T\d{4}/.test(l));
    expect(rows.map((r) => /^\| \[(T[\d.]+)\]/.exec(r)![1])).toEqual(techniques.map((t) => t.id));
    for (const t of techniques) expect(md).toContain(`\n### ${t.id} `);
  });

  it('lists Atomic tests in test-number order, as the Atomic files number them', () => {
    const t = techniques.find((x) => x.id === 'T1059.001')!;
    const block = md.split('\n### T1059.001 ')[1]!.split('\n### ')[0]!;
    const numbers = [...block.matchAll(/`T1059\.001-(\d+)`/g)].map((m) => Number(m[1]));
    // Atomic's numbers from the knowledge base, Windows tests only.
    const expected = (db.prepare(`SELECT json_extract(r.meta, '$.number') FROM resources r JOIN mappings m ON m.resource = r.id
      WHERE m.technique = 'T1059.001' AND r.source = 'atomic-red-team' AND r.deprecated = 0 AND r.key LIKE '%T1059.001%'
        AND EXISTS (SELECT 1 FROM json_each(r.meta, '$.platforms') p WHERE lower(p.value) = 'windows')`).pluck().all() as number[]).sort((a, b) => a - b);
    expect(expected.length).toBeGreaterThan(5);
    expect(numbers).toEqual(expected);
    expect(t.tests.length).toBeGreaterThanOrEqual(numbers.length);
  });

  it('with Windows chosen, the plan itself (JSON too) leaves out cloud-provider controls and product CVEs, and says how many', () => {
    const OFF = ['ctid-aws', 'ctid-azure', 'ctid-gcp', 'ctid-m365', 'ctid-kev'];
    expect(techniques.flatMap((t) => t.controls).filter((c) => OFF.includes(c.source))).toEqual([]);
    // Independently: the controls of those sources mapped to the plan's techniques, from the knowledge base's tables.
    const offCount = db.prepare(`SELECT count(*) FROM resources r JOIN mappings m ON m.resource = r.id
      WHERE m.technique = ? AND r.deprecated = 0 AND r.source IN (${OFF.map(() => '?').join(', ')})`).pluck();
    const expected = techniques.reduce((n, t) => n + (offCount.get(t.id, ...OFF) as number), 0);
    expect(expected).toBeGreaterThan(0);
    expect(plan.droppedControls).toBe(expected);
    expect(md).toContain(`${count(expected, 'control')} of cloud providers or product vulnerabilities left out: they do not apply to windows.`);
    for (const source of OFF) expect(md).not.toContain(`- [ ] ${kb.sources().find((x) => x.name === source)!.title} `);
    // T1595 Active Scanning: AWS, Azure, GCP services and an Ivanti CVE are mapped to it; none is in a Windows plan.
    const scanning = techniques.find((t) => t.id === 'T1595')!;
    const mapped = (source: string) => db.prepare(`SELECT r.title FROM resources r JOIN mappings m ON m.resource = r.id
      WHERE m.technique = 'T1595' AND r.deprecated = 0 AND r.source = ?`).pluck().all(source) as string[];
    expect(mapped('ctid-kev').some((title) => /Ivanti/.test(title))).toBe(true);
    expect(mapped('ctid-aws').length + mapped('ctid-azure').length + mapped('ctid-gcp').length).toBeGreaterThan(0);
    expect(JSON.stringify(scanning)).not.toMatch(/Ivanti|Amazon|AWS|Azure|Google Cloud/);
    const all = db.prepare(`SELECT count(*) FROM resources r JOIN mappings m ON m.resource = r.id JOIN sources s ON s.name = r.source
      WHERE m.technique = 'T1595' AND r.deprecated = 0 AND s.pillar = 'policy'`).pluck().get() as number;
    expect(scanning.controls.length + scanning.moreControls).toBe(all - OFF.reduce((n, x) => n + mapped(x).length, 0));
    // Without a platform they stay, every one of them counted.
    const everywhere = buildPlan(kb, { selection: selectThreats(kb, { group: ['G0016'] }) });
    expect(everywhere.droppedControls).toBe(0);
    const open = everywhere.tactics.flatMap((t) => t.techniques).find((t) => t.id === 'T1595')!;
    expect(open.controls.length + open.moreControls).toBe(all);
    // Which platforms a source covers.
    expect(controlFits({ source: 'ctid-aws' }, [])).toBe(true);
    expect(controlFits({ source: 'ctid-aws' }, ['iaas'])).toBe(true);
    expect(controlFits({ source: 'ctid-azure' }, ['windows', 'Azure AD'])).toBe(true);
    expect(controlFits({ source: 'ctid-kev' }, ['windows'])).toBe(false);
    expect(controlFits({ source: 'attack-mitigations' }, ['windows'])).toBe(true);
  });

  it('prints no UUID beside its link and no "1 tests"', () => {
    expect(md).not.toMatch(/`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`/);
    expect(md).not.toMatch(/\b1 (tests|techniques|controls|detections|threats|more public candidates)\b/);
  });

  it('orders tests of a small hand-made technique by source, then number', () => {
    const test = (source: string, number?: string) => ({ source, sourceTitle: source, key: `${source}${number}`, id: null, number, name: 'x', url: null, platforms: [], executors: [] });
    const tests = [test('atomic', 'T1-10'), test('atomic', 'T1-2'), test('caldera'), test('atomic', 'T1-1')];
    expect(orderedTests(tests).map((t) => t.key)).toEqual(['atomicT1-1', 'atomicT1-2', 'atomicT1-10', 'calderaundefined']);
    const lone: PlanTechnique = {
      id: 'T1', name: 'One', url: 'https://attack.mitre.org/techniques/T1', tactics: ['x'], threats: [], tests: [tests[0]!], detections: [], moreDetections: 1,
      publicDetections: 1, controls: [], moreControls: 0, guidance: [], moreGuidance: 0, ownRules: 0,
    };
    const small: Plan = {
      title: 'P', domain: 'enterprise-attack', attackVersion: '19.1', builtAt: null, platforms: [], threats: [], tactics: [{ shortname: 'x', id: 'TA1', name: 'X', techniques: [lone] }],
      untested: [], summary: { techniques: 1, tested: 1, tests: 1, withOwnRule: 0, withPublicDetection: 1 }, droppedControls: 0,
    };
    const text = renderPlanMarkdown(small);
    expect(text).toContain('1 technique · 1 with a public test (1 test)');
    expect(text).toContain('platforms: all');
    expect(text).toContain('used by: –');
    expect(text).toContain('… and 1 more public candidate on the technique page');
  });
});

describe('wording helpers', () => {
  it('count, present and listOr', () => {
    expect(count(1, 'threat')).toBe('1 threat');
    expect(count(0, 'threat')).toBe('0 threats');
    expect(count(2, 'piece of software', 'pieces of software')).toBe('2 pieces of software');
    expect(present('None Provided')).toBeUndefined();
    expect(present('  ')).toBeUndefined();
    expect(present(' RU ')).toBe('RU');
    expect(listOr(['', 'None Provided', null], 'unknown')).toBe('unknown');
    expect(listOr(['Energy', 'n/a', 'Finance'], '–')).toBe('Energy, Finance');
  });
});
