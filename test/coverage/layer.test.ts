import { afterAll, describe, expect, inject, it } from 'vitest';
import { computeCoverage } from '../../src/coverage/coverage.js';
import { readBaseline } from '../../src/coverage/baseline.js';
import { KnowledgeBase } from '../../src/kb/open.js';
import { navigatorLayer, ownRulesLayer, threatLayer, type NavigatorLayer , type NavigatorLayerOptions} from '../../src/render/layer.js';
import type { OwnRuleSet } from '../../src/rules/types.js';
import { selectThreats } from '../../src/threats/select.js';
import { LAYER_SCHEMA_4_5, semanticErrors, validate } from './layer-schema.js';
import { groupScope, openDb } from './sql.js';
import { layerContextOf } from '../../src/kb/layer-context.js';
import { findMeasure } from '../../src/page/measures.js';
import { summariesOf, summarizeAll, type TechniqueSummary } from '../../src/page/summary.js';

/** A layer of a measure named by id, as the CLI asks for one (the view itself takes data only). */
function measureLayer(kb: KnowledgeBase, o: Omit<NavigatorLayerOptions, 'context' | 'measure' | 'summaries'> & { measure: string; summaries?: readonly TechniqueSummary[] }) {
  const measure = findMeasure(kb, o.measure, o.stack);
  if (!measure) throw new Error(`unknown measure ${o.measure}`);
  return navigatorLayer({ ...o, context: layerContextOf(kb), measure, summaries: summariesOf(kb, o.stack, o.summaries) });
}

describe('Navigator layers against the layer format 4.5', () => {
  const kb = KnowledgeBase.open(inject('kbPath'));
  const db = openDb(inject('kbPath'));
  afterAll(() => {
    kb.close();
    db.close();
  });
  const active = (domain: string) => new Set(db.prepare("SELECT id FROM techniques WHERE status = 'active' AND domain = ?").pluck().all(domain) as string[]);
  const g0016 = selectThreats(kb, { group: ['G0016'] });
  const scope = new Set(groupScope(db, 'G0016'));
  const rules: OwnRuleSet = {
    rules: [
      { key: 'a', file: 'a.yml', format: 'sigma', title: 'PowerShell', techniqueIds: ['T1059.001'] },
      { key: 'b', file: 'b.toml', format: 'elastic-toml', title: 'LSASS', techniqueIds: ['T1003.001', 'T1003.001'] },
      { key: 'c', file: 'c.toml', format: 'elastic-toml', title: 'Outside', techniqueIds: ['T1610'] },
    ],
    warnings: [], files: 3,
  };
  const pageUrl = (id: string) => `https://purplebook.example.org/techniques/${id}.html`;
  const summaries = summarizeAll(kb);

  /** Valid, round-trips through JSON unchanged, one entry per active technique of its domain, our own fields set. */
  function checkLayer(layer: NavigatorLayer, label: string) {
    const parsed = JSON.parse(JSON.stringify(layer)) as unknown;
    expect(parsed, label).toEqual(layer);
    expect(validate(LAYER_SCHEMA_4_5, parsed), label).toEqual([]);
    expect(semanticErrors(layer), label).toEqual([]);
    expect(layer.versions, label).toEqual({ attack: kb.attackVersion.split('.')[0], navigator: expect.stringMatching(/^\d+\.\d+\.\d+$/), layer: '4.5' });
    const ids = layer.techniques.map((t) => t.techniqueID);
    expect(new Set(ids).size, label).toBe(ids.length);
    expect(new Set(ids), label).toEqual(active(layer.domain));
    expect(layer.legendItems.length, label).toBeGreaterThanOrEqual(2);
    for (const t of layer.techniques.filter((x) => x.enabled !== false)) {
      expect(typeof t.score, `${label} ${t.techniqueID}`).toBe('number');
      expect(t.comment, `${label} ${t.techniqueID}`).toBeTruthy();
      expect(t.links?.[0], `${label} ${t.techniqueID}`).toEqual({ label: 'Purplebook page', url: pageUrl(t.techniqueID) });
      expect(layer.legendItems.map((l) => l.color), `${label} ${t.techniqueID}`).toContain(t.color);
    }
  }

  it('the validator rejects what the format forbids', () => {
    const good = measureLayer(kb, { measure: 'tests', domain: 'ics-attack' });
    expect(validate(LAYER_SCHEMA_4_5, good)).toEqual([]);
    const broken = (edit: (l: Record<string, unknown>) => void) => {
      const l = JSON.parse(JSON.stringify(good)) as Record<string, unknown>;
      edit(l);
      return [...validate(LAYER_SCHEMA_4_5, l), ...semanticErrors(l)];
    };
    expect(broken((l) => delete l.name)).toEqual(['$: missing required "name"']);
    expect(broken((l) => (l.domain = 'pre-attack'))[0]).toMatch(/^\$\.domain: "pre-attack" not one of/);
    expect(broken((l) => (l.versions = { navigator: '5.1.0', layer: '4.4' }))).toEqual(['$.versions.layer: must be "4.5"']);
    expect(broken((l) => (l.versions = { navigator: '4.8.0', layer: '4.5' }))).toEqual(['versions.navigator 4.8.0 is older than 4.9.0']);
    expect(broken((l) => (l.gradient = { colors: ['#ffffff'], minValue: 0, maxValue: 1 }))).toEqual(['$.gradient.colors: fewer than 2 items']);
    expect(broken((l) => (l.gradient = { colors: ['#ffffff', '#000000'], minValue: 1, maxValue: 1 }))).toEqual(['gradient.maxValue must be > minValue']);
    expect(broken((l) => ((l.techniques as Record<string, unknown>[])[0] = { techniqueId: 'T0800' }))).toEqual([
      '$.techniques[0]: missing required "techniqueID"', '$.techniques[0]: "techniqueId" is not a layer format 4.5 property',
    ]);
    expect(broken((l) => (l.links = [{ label: 'x', url: 'www.example.org' }]))[0]).toMatch(/^\$\.links\[0\]: matches none/);
    expect(broken((l) => (l.metadata = [{ divider: true }, { name: 'n', value: 3 }]))[0]).toMatch(/^\$\.metadata\[1\]: matches none/);
    expect(broken((l) => (l.sorting = 4))).toHaveLength(1);
  });

  it('every measure, over a domain and restricted to a threat', () => {
    for (const measure of ['validation', 'controls', 'detections', 'tests', 'source-sigma', 'source-atomic-red-team']) {
      checkLayer(measureLayer(kb, { measure, pageUrl, summaries }), measure);
      const restricted = measureLayer(kb, { measure, pageUrl, selection: g0016, summaries });
      checkLayer(restricted, `${measure} G0016`);
      // Outside the threat: disabled and unscored; inside: scored, annotated with the threat.
      for (const t of restricted.techniques) {
        expect(t.enabled !== false, `${measure} ${t.techniqueID}`).toBe(scope.has(t.techniqueID));
        if (!scope.has(t.techniqueID)) expect(t.score).toBeUndefined();
        else expect(t.metadata).toContainEqual({ name: 'threats', value: 'APT29 (G0016)' });
      }
    }
    checkLayer(measureLayer(kb, { measure: 'detections', domain: 'mobile-attack', pageUrl, summaries }), 'mobile');
  });

  it('the threat layer scores how many selected threats use each technique', () => {
    const two = selectThreats(kb, { group: ['G0016', 'G0007'] });
    const layer = threatLayer({ context: layerContextOf(kb), selection: two, pageUrl });
    checkLayer(layer, 'threat');
    const apt28 = new Set(groupScope(db, 'G0007'));
    for (const t of layer.techniques) {
      const expected = Number(scope.has(t.techniqueID)) + Number(apt28.has(t.techniqueID));
      if (expected) expect(t.score, t.techniqueID).toBe(expected);
      else expect(t.enabled, t.techniqueID).toBe(false);
    }
  });

  it('the own-rule layer: score = own rules on the technique; a later baseline reads it back', () => {
    const whole = computeCoverage(kb, { rules });
    const layer = ownRulesLayer({ context: layerContextOf(kb), report: whole, pageUrl });
    checkLayer(layer, 'own');
    const score = (l: NavigatorLayer, id: string) => l.techniques.find((t) => t.techniqueID === id)!.score;
    expect([score(layer, 'T1059.001'), score(layer, 'T1003.001'), score(layer, 'T1610'), score(layer, 'T1059'), score(layer, 'T1003')]).toEqual([1, 1, 1, 0, 0]);
    expect(layer.techniques.find((t) => t.techniqueID === 'T1059')!.metadata).toContainEqual({ name: 'status', value: 'partial' });
    expect(readBaseline(JSON.stringify(layer))).toEqual(['T1003.001', 'T1059.001', 'T1610']);

    const threat = ownRulesLayer({ context: layerContextOf(kb), report: computeCoverage(kb, { rules, selection: g0016 }), pageUrl });
    checkLayer(threat, 'own G0016');
    expect(threat.techniques.filter((t) => t.enabled !== false).map((t) => t.techniqueID).sort()).toEqual([...scope].sort());
    expect(readBaseline(JSON.stringify(threat))).toEqual(['T1003.001', 'T1059.001'].filter((id) => scope.has(id)));
  });
});
