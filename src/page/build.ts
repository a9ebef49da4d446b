/** The ONE page builder: technique id → Page. Views only format what this returns. */
import type { KnowledgeBase, MappedResource, SourceRow } from '../kb/open.js';
import { PILLARS } from '../sources/types.js';
import type { Page, PageItem, PageSource, PageSummary, TechniqueLink, ValidationClass } from './types.js';

export interface PageOptions {
  includeDeprecated?: boolean;
}

export function validationClass(detections: number, tests: number): ValidationClass {
  if (tests && detections) return 'testable and detectable';
  if (detections) return 'detectable, no public test';
  if (tests) return 'testable, no public detection';
  return 'neither';
}

function itemOf(r: MappedResource): PageItem {
  const item: PageItem = { id: r.upstreamId, name: r.title, url: r.url };
  if (r.breadcrumb?.length) item.breadcrumb = r.breadcrumb;
  if (r.description) item.description = r.description;
  if (r.viaRevoked) item.via = { revoked: r.viaRevoked };
  if (r.relation) item.relation = r.relation;
  if (r.note) item.note = r.note;
  if (r.attackVersion) item.attackVersion = r.attackVersion;
  if (r.deprecated) item.deprecated = true;
  if (r.meta) item.meta = r.meta;
  return item;
}

/** A resource with its sort keys computed once, not once per comparison. */
interface Sortable {
  r: MappedResource;
  folder: string;
  order: number | undefined;
}

const sortable = (r: MappedResource): Sortable => ({
  r, folder: r.breadcrumb?.join('/') ?? '', order: typeof r.meta?.number === 'number' ? r.meta.number : undefined,
});

/** Items ordered by folder then title then key: stable across runs. */
function compareResources({ r: a, folder: fa, order: oa }: Sortable, { r: b, folder: fb, order: ob }: Sortable): number {
  if (fa !== fb) return fa < fb ? -1 : 1;
  if (oa !== undefined && ob !== undefined && oa !== ob) return oa - ob;
  if (a.title !== b.title) return a.title < b.title ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function link(kb: KnowledgeBase, id: string): TechniqueLink {
  const t = kb.technique(id);
  return { id, name: t?.name ?? id, status: t?.status ?? 'active' };
}

/** A source's link template for one technique: `{id}` T1021.004, `{idPath}` T1021/004, `{domain}` enterprise. */
function techniquePageOf(template: string | null, id: string, domain: string): string | null {
  if (!template) return null;
  return template.replaceAll('{idPath}', id.replace('.', '/')).replaceAll('{id}', id).replaceAll('{domain}', domain.replace(/-attack$/, ''));
}

function sourceBlock(s: SourceRow, items: PageItem[], viaSub: number, assessed: boolean, id: string, domain: string): PageSource {
  return {
    source: s.name, title: s.title, url: s.homepage, accessed: s.accessed, accessedFrom: s.accessedFrom, commit: s.commit,
    total: s.resources, count: items.length, viaSubtechniques: viaSub, assessedNotMappable: assessed && items.length === 0,
    attackVersions: s.attackVersions, techniquePage: techniquePageOf(s.techniquePage, id, domain),
    summaryFields: s.summaryFields, items,
  };
}

export function buildPage(kb: KnowledgeBase, rawId: string, opts: PageOptions = {}): Page | undefined {
  const t = kb.technique(rawId.trim().toUpperCase());
  if (!t) return undefined;
  const includeDeprecated = !!opts.includeDeprecated;
  const bySource = new Map<string, MappedResource[]>();
  for (const r of kb.mapped(t.id)) {
    if (r.deprecated && !includeDeprecated) continue;
    const list = bySource.get(r.source);
    if (list) list.push(r);
    else bySource.set(r.source, [r]);
  }
  const viaSub = t.isSub ? new Map<string, number>() : kb.viaSubtechniques(t.id, includeDeprecated);
  const assessments = kb.assessments(t.id);
  const volumes = { policy: new Set<number>(), detection: new Set<number>(), test: new Set<number>() };

  const sections = PILLARS.map(({ pillar, heading }) => ({
    pillar,
    title: heading,
    sources: kb.sources().filter((s) => s.pillar === pillar && s.loaded).map((s) => {
      const resources = (bySource.get(s.name) ?? []).map(sortable).sort(compareResources).map((x) => x.r);
      for (const r of resources) volumes[pillar].add(r.rowid);
      return sourceBlock(s, resources.map(itemOf), viaSub.get(s.name) ?? 0, assessments.has(s.name), t.id, t.domain);
    }),
  }));

  const summary: PageSummary = {
    policy_volume: volumes.policy.size,
    detection_volume: volumes.detection.size,
    test_volume: volumes.test.size,
    validation: validationClass(volumes.detection.size, volumes.test.size),
  };
  const tacticNames = new Map(kb.tactics().filter((x) => x.domain === t.domain).map((x) => [x.shortname, x.name]));
  return {
    id: t.id, name: t.name, domain: t.domain, tactics: t.tactics.map((s) => tacticNames.get(s) ?? s), platforms: t.platforms,
    url: t.url, description: t.description, status: t.status, replacedBy: t.revokedBy.map((id) => link(kb, id)),
    parent: t.parent ? link(kb, t.parent) : null,
    subtechniques: t.isSub ? [] : kb.subtechniques(t.id).filter((s) => s.status !== 'revoked').map((s) => ({ id: s.id, name: s.name, status: s.status })),
    attackVersion: kb.attackVersion, summary, sections,
  };
}
