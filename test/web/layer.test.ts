import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { KnowledgeBase } from '../../src/kb/open.js';
import { buildPage } from '../../src/page/build.js';
import { buildLayer, navigatorLayer , type NavigatorLayerOptions} from '../../src/render/layer.js';
import { COUNT_COLORS, VALIDATION_COLORS, legendFor } from '../../src/render/palette.js';
import { DATA_DIR } from '../helpers.js';
import { layerContextOf } from '../../src/kb/layer-context.js';
import { VALIDATION_ORDER, countEdges, countLevel, findMeasure, listMeasures } from '../../src/page/measures.js';
import { summariesOf, type TechniqueSummary } from '../../src/page/summary.js';

/** A layer of a measure named by id, as the CLI asks for one (the view itself takes data only). */
function measureLayer(kb: KnowledgeBase, o: Omit<NavigatorLayerOptions, 'context' | 'measure' | 'summaries'> & { measure: string; summaries?: readonly TechniqueSummary[] }) {
  const measure = findMeasure(kb, o.measure, o.stack);
  if (!measure) throw new Error(`unknown measure ${o.measure}`);
  return navigatorLayer({ ...o, context: layerContextOf(kb), measure, summaries: summariesOf(kb, o.stack, o.summaries) });
}

/** WCAG 2 relative luminance and contrast ratio. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe('measure colours', () => {
  it('every cell colour keeps its text at WCAG AA contrast (4.5:1)', () => {
    for (const c of [...COUNT_COLORS, ...VALIDATION_COLORS]) expect(contrast(c.fill, c.text), `${c.text} on ${c.fill}`).toBeGreaterThanOrEqual(4.5);
  });

  it('count levels: 0 alone, then buckets from the data, the top of the scale for the most', () => {
    expect(countEdges([0, 0, 0])).toEqual([1]);
    const values = [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233];
    const edges = countEdges(values);
    expect(edges[0]).toBe(1);
    expect([...edges].sort((a, b) => a - b)).toEqual(edges);
    expect(new Set(edges).size).toBe(edges.length);
    expect(countLevel(0, edges)).toBe(0);
    expect(countLevel(1, edges)).toBe(1);
    expect(countLevel(233, edges)).toBe(edges.length);
    const legend = legendFor({ id: 'x', label: 'X', kind: 'count', description: '', value: () => 0 }, [1, 2, 4]);
    expect(legend.map((l) => [l.label, l.key])).toEqual([['0', 'm0'], ['1', 'm3'], ['2–3', 'm4'], ['4+', 'm5']]);
  });
});

describe('ATT&CK Navigator layers', () => {
  const kb = KnowledgeBase.open(inject('kbPath'));
  afterAll(() => kb.close());

  const rawActive = (domain: string) => (JSON.parse(readFileSync(join(DATA_DIR, 'attack', `${domain}.json`), 'utf8')) as { objects: Record<string, unknown>[] }).objects
    .filter((o) => o.type === 'attack-pattern' && !o.revoked && !o.x_mitre_deprecated).length;

  it('has the layer format 4.5 shape, one entry per active technique of the domain', () => {
    const layer = measureLayer(kb, { measure: 'detections' });
    expect(layer.versions).toEqual({ attack: kb.attackVersion.split('.')[0], navigator: '5.1.0', layer: '4.5' });
    expect(layer.domain).toBe('enterprise-attack');
    expect(layer.techniques).toHaveLength(rawActive('enterprise-attack'));
    expect(layer.gradient.colors.length).toBeGreaterThanOrEqual(2);
    expect(layer.gradient.maxValue).toBeGreaterThan(layer.gradient.minValue);
    expect(layer.legendItems[0]).toEqual({ label: '0', color: COUNT_COLORS[0]!.fill });
    for (const t of layer.techniques) {
      expect(t.techniqueID).toMatch(/^T\d{4}(\.\d{3})?$/);
      expect(t.color).toMatch(/^#[0-9a-f]{6}$/);
      expect(layer.legendItems.map((l) => l.color)).toContain(t.color);
      for (const l of t.links ?? []) expect(l.url).toMatch(/^https:\/\//);
    }
    const ics = measureLayer(kb, { measure: 'tests', domain: 'ics-attack' });
    expect(ics.techniques).toHaveLength(rawActive('ics-attack'));
  });

  it('scores each technique exactly as its page counts it', () => {
    const layers = Object.fromEntries(['controls', 'detections', 'tests', 'validation'].map((m) => [m, measureLayer(kb, { measure: m })]));
    for (const id of ['T1021.004', 'T1059.001', 'T1003.001', 'T1078', 'T1190']) {
      const page = buildPage(kb, id)!;
      const score = (m: string) => layers[m]!.techniques.find((t) => t.techniqueID === id)!.score;
      expect(score('controls'), id).toBe(page.summary.policy_volume);
      expect(score('detections'), id).toBe(page.summary.detection_volume);
      expect(score('tests'), id).toBe(page.summary.test_volume);
      expect(score('validation'), id).toBe(VALIDATION_ORDER.indexOf(page.summary.validation));
      expect(layers.validation!.techniques.find((t) => t.techniqueID === id)!.color).toBe(VALIDATION_COLORS[VALIDATION_ORDER.indexOf(page.summary.validation)]!.fill);
    }
    expect(layers.validation!.legendItems.map((l) => l.label)).toEqual([...VALIDATION_ORDER]);
  });

  it('has a measure per loaded source, scored by that source\'s count on the page', () => {
    const sources = kb.sources().filter((s) => s.loaded);
    expect(listMeasures(kb).map((m) => m.id)).toEqual(['validation', 'controls', 'detections', 'tests', ...sources.map((s) => `source-${s.name}`)]);
    const source = sources[0]!;
    const layer = measureLayer(kb, { measure: `source-${source.name}`, pageUrl: (id) => `https://example.org/techniques/${id}` });
    const page = buildPage(kb, 'T1021.004')!;
    const count = page.sections.flatMap((s) => s.sources).find((s) => s.source === source.name)!.count;
    const entry = layer.techniques.find((t) => t.techniqueID === 'T1021.004')!;
    expect(entry.score).toBe(count);
    expect(entry.links![0]).toEqual({ label: 'Purplebook page', url: 'https://example.org/techniques/T1021.004' });
  });

  it('rejects an unknown measure; buildLayer takes explicit entries for other layers', () => {
    expect(findMeasure(kb, 'bananas')).toBeUndefined();
    const custom = buildLayer({
      domain: 'mobile-attack', attackVersion: '18.1', name: 'coverage', description: 'd', techniques: [{ techniqueID: 'T1404', score: 1 }],
      gradient: { colors: ['#ffffff', '#000000'], minValue: 0, maxValue: 1 }, legendItems: [],
    });
    expect(custom).toMatchObject({ versions: { attack: '18', layer: '4.5' }, domain: 'mobile-attack', techniques: [{ techniqueID: 'T1404', score: 1 }] });
  });
});
