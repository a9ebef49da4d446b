/**
 * Detection kinds and the one definition of volumes and validation classes, on the real data:
 * kinds decided from the upstream files, class counts per domain from the export's per-source
 * columns against `stats`, the control stack on the export, and every view agreeing with the page
 * on every technique (with and without a stack).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Domain } from '../../src/attack/types.js';
import { computeCoverage } from '../../src/coverage/coverage.js';
import { buildLineup } from '../../src/coverage/lineup.js';
import { buildPlan } from '../../src/coverage/plan.js';
import { KnowledgeBase } from '../../src/kb/open.js';
import { parseStacks, resolveStack, stackableSources, StackError, type Stack } from '../../src/kb/stack.js';
import { buildPage } from '../../src/page/build.js';
import type { PageSummary, ValidationClass } from '../../src/page/types.js';
import { navigatorLayer , type NavigatorLayerOptions} from '../../src/render/layer.js';
import { createServer } from '../../src/server/app.js';
import { SiteModel } from '../../src/site/model.js';
import { parseBuildLimits } from '../../src/kb/limits-config.js';
import { ALL_SOURCES } from '../../src/sources/registry.js';
import { parseSyncConfig } from '../../src/sync/config.js';
import { selectThreats } from '../../src/threats/select.js';
import { DATA_DIR, cli, tempDir } from '../helpers.js';
import { csvRecords } from './csv.js';
import { openDb } from './sql.js';
import { layerContextOf } from '../../src/kb/layer-context.js';
import { findMeasure, VALIDATION_ORDER } from '../../src/page/measures.js';
import { summariesOf, type TechniqueSummary } from '../../src/page/summary.js';

/** A layer of a measure named by id, as the CLI asks for one (the view itself takes data only). */
function measureLayer(kb: KnowledgeBase, o: Omit<NavigatorLayerOptions, 'context' | 'measure' | 'summaries'> & { measure: string; summaries?: readonly TechniqueSummary[] }) {
  const measure = findMeasure(kb, o.measure, o.stack);
  if (!measure) throw new Error(`unknown measure ${o.measure}`);
  return navigatorLayer({ ...o, context: layerContextOf(kb), measure, summaries: summariesOf(kb, o.stack, o.summaries) });
}

const CLASSES: ValidationClass[] = ['neither', 'testable, no public detection', 'detectable, no public test', 'testable and detectable'];
const PILLAR = new Map(ALL_SOURCES.map((s) => [s.name, s.pillar]));
/** What the issue names as guidance: whole sources, and CAR analytics with pseudocode only. */
const GUIDANCE_SOURCES = ['attack-detection-strategies', 'threathunter-playbook'];

const classOf = (detections: number, tests: number): ValidationClass =>
  detections && tests ? 'testable and detectable' : detections ? 'detectable, no public test' : tests ? 'testable, no public detection' : 'neither';

/** CAR analytics (file key) whose `implementations` are pseudocode only (or none), read from the YAML. */
function carGuidanceFiles(): Map<string, string[]> {
  const dir = join(DATA_DIR, 'car', 'analytics');
  const out = new Map<string, string[]>();
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
    const doc = parseYaml(readFileSync(join(dir, f), 'utf8')) as { implementations?: { type?: string }[]; coverage?: { technique?: string; subtechniques?: string[] }[] };
    const types = (doc.implementations ?? []).map((i) => String(i.type ?? '').toLowerCase());
    if (types.some((t) => t && t !== 'pseudocode' && t !== 'psuedocode')) continue;
    const ids = (doc.coverage ?? []).flatMap((c) => [c.technique ?? '', ...(c.subtechniques ?? [])]).filter(Boolean).map((x) => x.toUpperCase());
    out.set(`analytics/${f}`, [...new Set(ids)]);
  }
  return out;
}

describe('detection kinds and validation classes', () => {
  const kbPath = inject('kbPath');
  const kb = KnowledgeBase.open(kbPath);
  const db = openDb(kbPath);
  afterAll(() => {
    kb.close();
    db.close();
  });

  const exportCsv = (...args: string[]) => {
    const r = cli(['export', '--format', 'csv', '--db', kbPath, ...args]);
    expect(r.code, r.stderr).toBe(0);
    return csvRecords(r.stdout);
  };

  it('decides kinds from the upstream data: CAR per analytic, guidance sources whole, every other detection source rules', () => {
    const carGuidance = carGuidanceFiles();
    expect(carGuidance.size).toBeGreaterThan(5);
    const rows = db.prepare(`SELECT r.source, r.key, r.kind, s.pillar FROM resources r JOIN sources s ON s.name = r.source`).all() as { source: string; key: string; kind: string | null; pillar: string }[];
    let car = 0;
    for (const r of rows) {
      const expected = r.pillar !== 'detection' ? null
        : GUIDANCE_SOURCES.includes(r.source) ? 'guidance'
          : r.source === 'car' ? (carGuidance.has(r.key) ? 'guidance' : 'rule') : 'rule';
      expect(r.kind, `${r.source} ${r.key}`).toBe(expected);
      if (r.source === 'car') car++;
    }
    expect(car).toBe(readdirSync(join(DATA_DIR, 'car', 'analytics')).filter((x) => x.endsWith('.yaml')).length);
    // The catalog says it, for every detection source and no other.
    const catalog = JSON.parse(cli(['sources', '--json', '--db', kbPath]).stdout) as { name: string; pillar: string; detectionKind: { kind: string; why: string } | null }[];
    for (const e of catalog.filter((x) => PILLAR.has(x.name))) {
      if (e.pillar !== 'detection') expect(e.detectionKind, e.name).toBeNull();
      else expect(e.detectionKind?.kind, e.name).toBe(GUIDANCE_SOURCES.includes(e.name) ? 'guidance' : e.name === 'car' ? 'per record' : 'rule');
    }
    // Every detection connector states its kind and why; no other pillar does.
    for (const src of ALL_SOURCES) {
      if (src.pillar === 'detection') expect(src.detectionKind?.why.length ?? 0, src.name).toBeGreaterThan(40);
      else expect(src.detectionKind, src.name).toBeUndefined();
    }
    expect(cli(['sources', '--db', kbPath]).stdout).toMatch(/attack-detection-strategies .*\n\s+kind: guidance \(not counted as detections\): /);
  });

  it('class counts per domain from the export\'s per-source columns equal `stats`; guidance-only techniques are not detectable', () => {
    const { header, rows } = exportCsv();
    const carGuidance = carGuidanceFiles();
    const sources = header.filter((h) => PILLAR.has(h));
    const expected: Record<string, Record<ValidationClass, number>> = {};
    let guidanceOnly = 0;
    for (const r of rows) {
      // Guidance columns hold what the page counts apart; whole-guidance sources and CAR checked against the data here.
      for (const g of GUIDANCE_SOURCES) if (r[g] !== undefined) expect(r[`${g}:guidance`], `${r.id} ${g}`).toBe(r[g]);
      const car = [...carGuidance.values()].filter((ids) => ids.includes(r.id!)).length;
      expect(Number(r['car:guidance']), `${r.id} car:guidance`).toBe(car);
      let detections = 0;
      let guidance = 0;
      let tests = 0;
      for (const s of sources) {
        const n = Number(r[s]);
        const g = Number(r[`${s}:guidance`] ?? 0);
        if (PILLAR.get(s) === 'detection') {
          detections += n - g;
          guidance += g;
        } else if (PILLAR.get(s) === 'test') tests += n;
      }
      const cls = classOf(detections, tests);
      expect(r.validation, r.id).toBe(cls);
      expect(Number(r.detection_volume), r.id).toBe(detections);
      expect(Number(r.guidance_volume), r.id).toBe(guidance);
      const d = (expected[r.domain!] ??= Object.fromEntries(CLASSES.map((c) => [c, 0])) as Record<ValidationClass, number>);
      d[cls]++;
      if (r.domain === 'enterprise-attack' && guidance > 0 && detections === 0) {
        guidanceOnly++;
        expect(['neither', 'testable, no public detection']).toContain(cls);
      }
    }
    expect(guidanceOnly).toBeGreaterThan(50);
    const stats = JSON.parse(cli(['stats', '--json', '--db', kbPath]).stdout) as { validation: Record<string, Record<ValidationClass, number>> };
    expect(stats.validation).toEqual(expected);
    for (const c of CLASSES) expect(expected['enterprise-attack']![c], c).toBeGreaterThan(0);
    const text = cli(['stats', '--db', kbPath]).stdout;
    const e = expected['enterprise-attack']!;
    expect(text).toContain(`validation: ${e.neither} neither · ${e['testable, no public detection']} testable, no public detection · ${e['detectable, no public test']} detectable, no public test · ${e['testable and detectable']} testable and detectable`);
    // The enterprise matrix shows all four colours.
    const matrix = new SiteModel(kb).matrixData('enterprise-attack');
    const v = matrix.measures.findIndex((m) => m.id === 'validation');
    expect(new Set(Object.values(matrix.values).map((x) => x[v]))).toEqual(new Set([0, 1, 2, 3]));
  });

  it('export --stack sigma,atomic-red-team: detections are the Sigma column, tests the Atomic column, no controls', () => {
    const { header, rows } = exportCsv('--stack', 'sigma,atomic-red-team');
    expect(header).toEqual(['id', 'name', 'domain', 'tactics', 'parent', 'sigma', 'atomic-red-team', 'policy_volume', 'detection_volume', 'guidance_volume', 'test_volume', 'validation']);
    expect(rows.length).toBe(db.prepare("SELECT COUNT(*) FROM techniques WHERE status = 'active'").pluck().get());
    const sigma = db.prepare(`SELECT m.technique, COUNT(*) AS n FROM mappings m JOIN resources r ON r.id = m.resource
      WHERE r.source = 'sigma' AND r.deprecated = 0 GROUP BY m.technique`).all() as { technique: string; n: number }[];
    const sigmaBy = new Map(sigma.map((x) => [x.technique, x.n]));
    for (const r of rows) {
      expect(r.detection_volume, r.id).toBe(r.sigma);
      expect(r.test_volume, r.id).toBe(r['atomic-red-team']);
      expect(r.policy_volume, r.id).toBe('0');
      expect(r.guidance_volume, r.id).toBe('0');
      expect(r.validation, r.id).toBe(classOf(Number(r.sigma), Number(r['atomic-red-team'])));
      expect(Number(r.sigma), r.id).toBe(sigmaBy.get(r.id!) ?? 0);
    }
  });

  it('--stack: unknown names exit 2 listing the valid ones; named stacks come from purplebook.config.json', () => {
    const bad = cli(['export', '--format', 'csv', '--stack', 'sigma,sigmaa', '--db', kbPath]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/--stack: unknown source "sigmaa"; valid sources: .*\bsigma\b.*\batomic-red-team\b/);
    expect(bad.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    for (const cmd of [['gaps'], ['stats'], ['lineup'], ['layer'], ['plan', '--group', 'G0016'], ['show', 'T1003'], ['coverage']]) {
      const r = cli([...cmd, '--stack', 'nope', '--db', kbPath]);
      expect(r.code, cmd.join(' ')).toBe(2);
      expect(r.stderr, cmd.join(' ')).toContain('unknown source "nope"');
    }
    expect(cli(['gaps', '--stack', ' , ', '--db', kbPath]).stderr).toMatch(/the stack is empty/);

    const dir = tempDir();
    const config = join(dir, 'purplebook.config.json');
    writeFileSync(config, JSON.stringify({ stacks: { ours: ['sigma', 'atomic-red-team'], typo: ['sigma', 'atomicredteam'] } }));
    const env = { PURPLEBOOK_CONFIG: config };
    const named = cli(['export', '--format', 'csv', '--stack', 'ours', '--db', kbPath], env);
    expect(named.code, named.stderr).toBe(0);
    expect(named.stdout).toBe(cli(['export', '--format', 'csv', '--stack', 'sigma,atomic-red-team', '--db', kbPath]).stdout);
    const typo = cli(['gaps', '--stack', 'typo', '--db', kbPath], env);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('unknown source "atomicredteam" (in the stack "typo")');
    expect(typo.stderr).toContain('named stacks: ours, typo');
    writeFileSync(config, JSON.stringify({ stacks: { ours: 'sigma' } }));
    const shape = cli(['gaps', '--stack', 'ours', '--db', kbPath], env);
    expect(shape.code).toBe(2);
    expect(shape.stderr).toContain('"stacks.ours" must be a list');
    // `sync` and `build` read the same file: a `stacks` part must not make them fail (a misspelt one still does).
    expect(() => parseSyncConfig({ stacks: { ours: ['sigma'] } })).not.toThrow();
    expect(() => parseSyncConfig({ stackz: { ours: ['sigma'] } })).toThrow(/unknown setting "stackz"/);
    expect(parseBuildLimits({ stacks: { ours: ['sigma'] } })).toEqual({});
  });

  it('parseStacks and resolveStack: shapes, mixing a named stack with sources, catalog order', () => {
    expect(() => parseStacks({ stacks: [] })).toThrow(StackError);
    expect(() => parseStacks({ stacks: { 'Bad Name': ['sigma'] } })).toThrow(/stack name/);
    expect(() => parseStacks({ stacks: { a: [] } })).toThrow(/list of 1 to/);
    expect(parseStacks({ other: 1 })).toEqual({});
    const valid = stackableSources(kb);
    const s = resolveStack(['ours,Splunk'], valid, { ours: ['atomic-red-team', 'sigma'] });
    expect(s).toEqual({ name: null, sources: ['sigma', 'splunk', 'atomic-red-team'] });
    expect(resolveStack('ours', valid, { ours: ['sigma'] }).name).toBe('ours');
  });

  describe('every view agrees with the page on every technique', () => {
    let app: FastifyInstance;
    beforeAll(async () => {
      app = createServer({ dbPath: kbPath });
      await app.ready();
    });
    afterAll(() => app.close());

    const stacks: (Stack | undefined)[] = [undefined, { name: null, sources: ['sigma', 'car', 'attack-detection-strategies', 'atomic-red-team', 'd3fend'] }];
    for (const stack of stacks) {
      it(stack ? `stack ${stack.sources.join(',')}` : 'every source', async () => {
        const stackArgs = stack ? ['--stack', stack.sources.join(',')] : [];
        const pages = new Map<string, PageSummary>();
        for (const t of kb.techniques()) if (t.status === 'active') pages.set(t.id, buildPage(kb, t.id, { stack })!.summary);
        const same = (what: string, id: string, got: Partial<PageSummary>) => {
          const want = pages.get(id)!;
          expect(got, `${what} ${id}`).toEqual(Object.fromEntries(Object.keys(got).map((k) => [k, want[k as keyof PageSummary]])));
        };

        // CSV export and gaps (CLI).
        const csv = exportCsv(...stackArgs).rows;
        expect(csv.length).toBe(pages.size);
        for (const r of csv) {
          same('export', r.id!, {
            policy_volume: Number(r.policy_volume), detection_volume: Number(r.detection_volume), guidance_volume: Number(r.guidance_volume),
            test_volume: Number(r.test_volume), validation: r.validation as ValidationClass,
          });
        }
        const gaps = JSON.parse(cli(['gaps', '--json', '--db', kbPath, ...stackArgs]).stdout) as (PageSummary & { id: string })[];
        expect(gaps.length).toBe(pages.size);
        for (const g of gaps) same('gaps', g.id, { policy_volume: g.policy_volume, detection_volume: g.detection_volume, guidance_volume: g.guidance_volume, test_volume: g.test_volume, validation: g.validation });
        const gapsDetection = JSON.parse(cli(['gaps', '--json', '--pillar', 'detection', '--db', kbPath, ...stackArgs]).stdout) as { id: string }[];
        expect(gapsDetection.map((g) => g.id).sort()).toEqual([...pages].filter(([, p]) => !p.detection_volume).map(([id]) => id).sort());

        // API: the list and its validation filter.
        const q = stack ? `&stack=${stack.sources.join(',')}` : '';
        let seen = 0;
        for (let offset = 0; offset < pages.size; offset += 500) {
          const body = (await app.inject(`/api/techniques?limit=500&offset=${offset}${q}`)).json<{ items: (PageSummary & { id: string })[] }>();
          for (const t of body.items) {
            same('api', t.id, { policy_volume: t.policy_volume, detection_volume: t.detection_volume, guidance_volume: t.guidance_volume, test_volume: t.test_volume, validation: t.validation });
            seen++;
          }
        }
        expect(seen).toBe(pages.size);
        const neither = (await app.inject(`/api/techniques?validation=neither&limit=500${q}`)).json<{ total: number }>();
        expect(neither.total).toBe([...pages.values()].filter((p) => p.validation === 'neither').length);

        for (const domain of ['enterprise-attack', 'mobile-attack', 'ics-attack'] as Domain[]) {
          const ids = [...pages.keys()].filter((id) => kb.technique(id)!.domain === domain);
          // Layers: the validation ordinal and the detection count.
          for (const measure of ['validation', 'detections']) {
            const layer = measureLayer(kb, { measure, domain, stack });
            for (const t of layer.techniques) {
              const p = pages.get(t.techniqueID)!;
              expect(t.score, `layer ${measure} ${t.techniqueID}`).toBe(measure === 'validation' ? VALIDATION_ORDER.indexOf(p.validation) : p.detection_volume);
            }
          }
          // Coverage (no rules: every technique of the domain).
          for (const t of computeCoverage(kb, { domain, stack }).techniques) {
            same('coverage', t.id, { policy_volume: t.policyVolume, detection_volume: t.detectionVolume, guidance_volume: t.guidanceVolume, test_volume: t.testVolume, validation: t.validation });
            expect(t.adoptableDetections).toBe(t.detectionVolume);
          }
          // Line-up.
          const lineup = buildLineup(kb, { domain, stack });
          expect(lineup.rows.length).toBe(ids.length);
          for (const r of lineup.rows) same('lineup', r.id, { policy_volume: r.controls, detection_volume: r.rules, guidance_volume: r.guidance, test_volume: r.tests, validation: r.validation });
          // Plan: the public detections it can propose are the page's rules.
          const plan = buildPlan(kb, { selection: selectThreats(kb, { techniquesText: ids.join('\n'), techniquesName: 'all' }), domain, stack });
          for (const t of plan.tactics.flatMap((x) => x.techniques)) {
            expect(t.publicDetections, `plan ${t.id}`).toBe(pages.get(t.id)!.detection_volume);
            expect(t.guidance.length + t.moreGuidance, `plan guidance ${t.id}`).toBe(pages.get(t.id)!.guidance_volume);
          }
        }
        // The matrix (no stack on the site): the page's class.
        if (!stack) {
          const model = new SiteModel(kb);
          for (const d of model.domains()) {
            const data = model.matrixData(d.domain);
            const v = data.measures.findIndex((m) => m.id === 'validation');
            for (const [id, values] of Object.entries(data.values)) expect(VALIDATION_ORDER[values[v]!], `matrix ${id}`).toBe(pages.get(id)!.validation);
          }
        }
      }, 240_000);
    }
  });
});
