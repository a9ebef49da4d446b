/**
 * ATT&CK data components in the technique page summary: for every active technique, the data
 * components the page names are those an independent walk of the raw bundles finds (detection
 * strategy `detects` technique → its analytics → their log-source references → data component).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { KnowledgeBase } from '../../src/kb/open.js';
import { buildPage } from '../../src/page/build.js';
import { analyticDataComponents, renderPageBody } from '../../src/render/html.js';
import { DATA_DIR } from '../helpers.js';

type Stix = Record<string, unknown> & { id: string; type: string };

const attackId = (o: Stix | undefined) => (o?.external_references as { source_name?: string; external_id?: string }[] | undefined)
  ?.find((r) => r.source_name === 'mitre-attack')?.external_id;

/** Technique id → the data component ids (DC…) its active detection strategies' analytics read. */
function rawDataComponents(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const domain of ['enterprise-attack', 'mobile-attack', 'ics-attack']) {
    const objects = (JSON.parse(readFileSync(join(DATA_DIR, 'attack', `${domain}.json`), 'utf8')) as { objects: Stix[] }).objects;
    const byId = new Map(objects.map((o) => [o.id, o]));
    const live = (o: Stix | undefined) => !!o && o.revoked !== true && o.x_mitre_deprecated !== true;
    for (const r of objects) {
      if (r.type !== 'relationship' || r.relationship_type !== 'detects' || !live(r)) continue;
      const strategy = byId.get(r.source_ref as string);
      const technique = byId.get(r.target_ref as string);
      if (strategy?.type !== 'x-mitre-detection-strategy' || !live(strategy) || !live(technique)) continue;
      const id = attackId(technique)!;
      const set = out.get(id) ?? new Set<string>();
      for (const ref of (strategy.x_mitre_analytic_refs as string[] | undefined) ?? []) {
        for (const l of (byId.get(ref)?.x_mitre_log_source_references as { x_mitre_data_component_ref?: string }[] | undefined) ?? []) {
          const dc = byId.get(l.x_mitre_data_component_ref ?? '');
          if (dc?.type === 'x-mitre-data-component' && live(dc)) set.add(attackId(dc)!);
        }
      }
      out.set(id, set);
    }
  }
  return out;
}

describe('data components in the page summary', () => {
  const kb = KnowledgeBase.open(inject('kbPath'));
  afterAll(() => kb.close());
  const raw = rawDataComponents();

  it('every active technique names the data components of the raw bundles, no more', () => {
    let named = 0;
    for (const t of kb.techniques().filter((x) => x.status === 'active')) {
      const shown = analyticDataComponents(buildPage(kb, t.id)!).map((d) => d.id).sort();
      expect([t.id, shown]).toEqual([t.id, [...(raw.get(t.id) ?? [])].sort()]);
      named += shown.length ? 1 : 0;
    }
    expect(named).toBeGreaterThan(500);
  });

  it('T1059.001 links each one to its ATT&CK page, by name', () => {
    const page = buildPage(kb, 'T1059.001')!;
    const html = renderPageBody(page, { base: '' });
    const line = /<p class="data-components">(.*?)<\/p>/.exec(html)![1]!;
    const links = [...line.matchAll(/<a href="https:\/\/attack\.mitre\.org\/datacomponents\/(DC\d{4})" title="DC\d{4}">([^<]+)<\/a>/g)].map((m) => m[1]);
    expect(links.sort()).toEqual([...raw.get('T1059.001')!].sort());
    expect(links.length).toBeGreaterThan(0);
  });
});
