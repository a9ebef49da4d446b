/** The ONE page builder: technique id → Page. Views only format what this returns. */
import type { KnowledgeBase, MappedResource, SourceRow } from '../kb/open.js';
import { inStack, type Stack } from '../kb/stack.js';
import { PILLARS } from '../core/types.js';
import type { Page, PageItem, PageSource, TechniqueLink } from './types.js';
import { summaryOf } from './validation.js';

export { validationClass } from './validation.js';

export interface PageOptions {
  includeDeprecated?: boolean;
  /** Only these sources are listed and counted (a team's control stack). */
  stack?: Stack;
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
  if (r.kind) item.kind = r.kind;
  if (r.meta) item.meta = r.meta;
  if (r.facets) item.facets = r.facets;
  if (r.logic) item.logic = r.logic;
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
    total: s.resources, count: items.length, guidance: items.filter((i) => i.kind === 'guidance').length, viaSubtechniques: viaSub, assessedNotMappable: assessed && items.length === 0,
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

  const sections = PILLARS.map(({ pillar, heading }) => ({
    pillar,
    title: heading,
    sources: kb.sources().filter((s) => s.pillar === pillar && s.loaded && inStack(opts.stack, s.name)).map((s) => {
      const resources = (bySource.get(s.name) ?? []).map(sortable).sort(compareResources).map((x) => x.r);
      return sourceBlock(s, resources.map(itemOf), viaSub.get(s.name) ?? 0, assessments.has(s.name), t.id, t.domain);
    }),
  }));
  // Sections already hold the stack's sources only.
  const summary = summaryOf(sections.flatMap((sec) => sec.sources.map((b) => ({ source: b.source, pillar: sec.pillar, count: b.count, guidance: b.guidance }))));
  const tacticNames = new Map(kb.tactics().filter((x) => x.domain === t.domain).map((x) => [x.shortname, x.name]));
  return {
    id: t.id, name: t.name, domain: t.domain, tactics: t.tactics.map((s) => tacticNames.get(s) ?? s), platforms: t.platforms,
    url: t.url, description: t.description, status: t.status, replacedBy: t.revokedBy.map((id) => link(kb, id)),
    parent: t.parent ? link(kb, t.parent) : null,
    subtechniques: t.isSub ? [] : kb.subtechniques(t.id).filter((s) => s.status !== 'revoked').map((s) => ({ id: s.id, name: s.name, status: s.status })),
    attackVersion: kb.attackVersion, ...(opts.stack ? { stack: { name: opts.stack.name, sources: [...opts.stack.sources] } } : {}), summary, sections,
  };
}
