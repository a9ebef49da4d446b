import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { loadAttack } from '../../src/attack/load.js';
import { KnowledgeBase } from '../../src/kb/open.js';
import { computeStats } from '../../src/kb/stats.js';
import { buildPage } from '../../src/page/build.js';
import { mdText, renderMarkdown } from '../../src/render/markdown.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import { collectSource, sourcePresent } from '../../src/sources/collect.js';
import { ALL_SOURCES } from '../../src/sources/registry.js';
import type { ResourceRecord } from '../../src/sources/types.js';
import { DATA_DIR } from '../helpers.js';

const TECHNIQUES = ['T1021.004', 'T1059.001', 'T1003', 'T1003.001', 'T1053.005', 'T1485', 'T1566.001', 'T0800'];
const attack = loadAttack(DATA_DIR);

/** Techniques one record maps to after resolution (non_mappable rows are assessments, not mappings). */
function techniquesOf(r: ResourceRecord): Set<string> {
  const out = new Set<string>();
  for (const ref of r.techniques) {
    if (ref.relation === 'non_mappable') continue;
    const res = resolveTechniqueId(attack, ref.id);
    if (res.kind === 'ok') out.add(res.id);
    if (res.kind === 'revoked') res.ids.forEach((id) => out.add(id));
  }
  return out;
}

describe('pages and stats agree with what each connector read', () => {
  const kb = KnowledgeBase.open(inject('kbPath'));
  const stats = computeStats(kb);
  const records = new Map<string, ResourceRecord[]>();
  beforeAll(async () => {
    for (const s of ALL_SOURCES.filter((x) => sourcePresent(x, DATA_DIR))) {
      records.set(s.name, (await collectSource(s, { dataDir: DATA_DIR, attack })).records.filter((r) => !r.deprecated));
    }
  });

  it.each(ALL_SOURCES.filter((s) => sourcePresent(s, DATA_DIR)).map((s) => s.name))('%s: per-technique page counts and stats totals', (name) => {
    const list = records.get(name)!;
    const mapped = list.map((r) => ({ r, t: techniquesOf(r) })).filter((x) => x.t.size > 0);
    const st = stats.sources.find((s) => s.name === name)!;
    expect(st.resources).toBe(mapped.length);
    expect(st.mappings).toBe(mapped.reduce((n, x) => n + x.t.size, 0));
    expect(st.techniques).toBe(new Set(mapped.flatMap((x) => [...x.t])).size);
    for (const id of TECHNIQUES) {
      const page = buildPage(kb, id)!;
      const block = page.sections.flatMap((s) => s.sources).find((s) => s.source === name)!;
      expect(block.count, `${name} ${id}`).toBe(mapped.filter((x) => x.t.has(id)).length);
      expect(block.total).toBe(mapped.length);
    }
  });

  it('T1003 lists the items of every loaded source of the "every CVC source" issue that maps to it', () => {
    const issueSources = ['sentinel-attack', 'security-analytics', 'threathunting', 'atomic-threat-coverage', 'threathunter-playbook',
      'car-unit-tests', 'scythe', 'stratus-red-team', 'rta', 'azure-sentinel'];
    const page = buildPage(kb, 'T1003')!;
    const md = renderMarkdown(page);
    const direct: string[] = [];
    const viaSubOnly: string[] = [];
    for (const name of issueSources.filter((n) => records.has(n))) {
      const list = records.get(name)!.map((r) => ({ r, t: techniquesOf(r) }));
      const onT1003 = list.filter((x) => x.t.has('T1003')).map((x) => x.r.title).sort();
      const onSubOnly = list.filter((x) => !x.t.has('T1003') && [...x.t].some((id) => id.startsWith('T1003.')));
      const block = page.sections.flatMap((s) => s.sources).find((s) => s.source === name)!;
      expect(block.items.map((i) => i.name).sort(), name).toEqual(onT1003);
      expect(block.viaSubtechniques, name).toBe(onSubOnly.length);
      for (const title of onT1003) expect(md, `${name}: ${title}`).toContain(mdText(title));
      if (onT1003.length) direct.push(name);
      else if (onSubOnly.length) viaSubOnly.push(name);
    }
    // Which of these upstreams map to T1003 at all, read off their files by hand (pinned so a connector
    // that silently stops mapping fails here, not only in its own test).
    expect(direct).toEqual(['sentinel-attack', 'threathunting', 'atomic-threat-coverage', 'car-unit-tests', 'scythe']);
    expect(viaSubOnly).toEqual(['threathunter-playbook']);
    expect(records.has('rta') || records.has('azure-sentinel')).toBe(false);
  });

  it('every GitHub link of the T1059.001 and T1021.004 pages points at a file in the snapshot', () => {
    const manifest = JSON.parse(readFileSync(join(DATA_DIR, 'MANIFEST.json'), 'utf8')) as { sources: { folder: string; repository: string }[] };
    const folderOf = new Map(manifest.sources.map((s) => [s.repository, s.folder.replace(/\/$/, '')]));
    let checked = 0;
    for (const id of ['T1059.001', 'T1021.004']) {
      for (const src of buildPage(kb, id)!.sections.flatMap((s) => s.sources)) {
        for (const item of src.items) {
          const m = /^https:\/\/github\.com\/([^/]+\/[^/]+)\/blob\/[^/]+\/([^#?]+)/.exec(item.url ?? '');
          if (!m || !folderOf.has(m[1]!)) continue;
          // Atomic links its rendered .md page (by upstream's design); the snapshot holds the .yaml it is generated from.
          const path = decodeURIComponent(m[2]!).replace(/(atomics\/T[\d.]+\/T[\d.]+)\.md$/, '$1.yaml');
          const candidates = [join(DATA_DIR, folderOf.get(m[1]!)!, path), join(DATA_DIR, folderOf.get(m[1]!)!, path.replace(/^(src\/ontology|mappings)\//, ''))];
          expect(candidates.some((c) => existsSync(c)), item.url!).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(300);
  });
});
