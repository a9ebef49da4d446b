/** Tools over the knowledge base alone: a technique's page, search, the source catalog, the validation gaps. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { GAP_PILLARS, gapRows } from '../cli/gaps.js';
import { SEARCH_GROUPS, searchKb } from '../search/index.js';
import { sourceCatalog, type CatalogEntry } from '../kb/catalog.js';
import { buildPage } from '../page/build.js';
import type { Page } from '../page/types.js';
import { renderMarkdown } from '../render/markdown.js';
import type { Pillar } from '../core/types.js';
import { remember, type McpContext } from './context.js';
import { ToolInputError } from './errors.js';
import { domainField, domainOf, pageShape, stackField } from './inputs.js';
import { stackOf } from '../cli/stack.js';
import { findTechniqueId } from './lookup.js';
import { GAP_ROWS, SEARCH_HITS, SOURCES, TECHNIQUE_ITEMS } from './limits.js';
import { pageOf, pagingOf, windowOf } from './paging.js';
import { registerTool } from './tool.js';


const pillarField = z.enum(['policy', 'detection', 'test'] as const satisfies readonly Pillar[]).optional();

/** The page with every source's items cut to the window; `total` is the longest source's item count. */
function pageWindow(page: Page, pillar: string | undefined, req: { limit?: number; cursor?: string }) {
  const w = windowOf(req, TECHNIQUE_ITEMS);
  let longest = 0;
  let returned = 0;
  const sections = page.sections.filter((s) => !pillar || s.pillar === pillar).map((s) => ({
    ...s,
    sources: s.sources.map((src) => {
      longest = Math.max(longest, src.items.length);
      const items = src.items.slice(w.offset, w.offset + w.limit);
      returned += items.length;
      return { ...src, items };
    }),
  }));
  return { page: { ...page, sections }, paging: pagingOf(w, TECHNIQUE_ITEMS, returned, longest) };
}

function catalogLine(c: CatalogEntry): string {
  const state = c.state === 'loaded' ? `${c.resources} resources, ${c.techniques} techniques` : c.state;
  return `${c.name} (${c.pillar}) — ${c.title} — ${state}`;
}

export function registerKbTools(server: McpServer, ctx: McpContext): void {
  registerTool(server, ctx, 'get_technique', {
    title: 'Technique page',
    description: 'One ATT&CK technique or sub-technique: what stops it (policy/process controls), what detects it (detection rules) '
      + 'and how to test it (offensive tests), per source, with counts and the validation class. Same data as '
      + '`purplebook show ID --format json`. Accepts an id (T1021.004) or a name (SSH, "Remote Services: SSH"); unknown input '
      + 'is an error with close matches. A revoked id answers its page with status "revoked" and replacedBy. '
      + `Items are paged per source: limit (default ${TECHNIQUE_ITEMS.defaultLimit}, max ${TECHNIQUE_ITEMS.maxLimit}) items of each source, cursor for the next ones.`,
    input: {
      id: z.string().min(1).max(200).describe('technique id (T1021.004, case-insensitive) or name (SSH, "Remote Services: SSH")'),
      pillar: pillarField.describe('only this pillar: policy (controls), detection (rules) or test (offensive tests)'),
      include_deprecated: z.boolean().optional().describe('also list deprecated rules and tests'),
      ...pageShape(TECHNIQUE_ITEMS, 'items of each source'),
    },
  }, (gen, a) => {
    const id = findTechniqueId(gen.kb, a.id);
    const full = buildPage(gen.kb, id, { includeDeprecated: a.include_deprecated });
    if (!full) throw new ToolInputError(`unknown technique "${a.id}"`);
    const { page, paging } = pageWindow(full, a.pillar, a);
    return { data: page, paging, text: renderMarkdown(page) };
  });

  registerTool(server, ctx, 'search', {
    title: 'Search',
    description: 'Search over techniques and every mapped resource (rules, tests, controls), ranked as `purplebook search TEXT --json` '
      + '(the same ranking as the API and the site): exact id, then technique names, then technique descriptions, then resources. '
      + 'Each hit names its kind (technique, rule, test, control), source, title, url and the techniques it maps to; counts per kind. '
      + `Paged: limit (default ${SEARCH_HITS.defaultLimit}, max ${SEARCH_HITS.maxLimit}) and cursor.`,
    input: {
      query: z.string().min(1).max(200).describe('words to look for, or a technique id'),
      kind: z.array(z.enum(SEARCH_GROUPS)).max(4).optional().describe('only these kinds: technique, rule, test, control'),
      source: z.array(z.string().min(1).max(100)).max(60).optional().describe('only resources of these sources (sigma, atomic-red-team …)'),
      ...pageShape(SEARCH_HITS, 'hits'),
    },
  }, (gen, a) => {
    if (!a.query.trim()) throw new ToolInputError('nothing to search for');
    const loaded = gen.kb.sources().filter((s) => s.loaded).map((s) => s.name);
    const sources = (a.source ?? []).map((s) => s.toLowerCase());
    for (const s of sources) if (!loaded.includes(s)) throw new ToolInputError(`unknown source "${s}"; loaded: ${loaded.join(', ')}`);
    const w = windowOf(a, SEARCH_HITS);
    const answer = searchKb(gen.kb, { query: a.query, limit: w.limit, offset: w.offset, kinds: a.kind ?? [], sources });
    const paging = pagingOf(w, SEARCH_HITS, answer.hits.length, answer.total);
    const lines = answer.hits.map((h) => (h.kind === 'technique' ? `technique: ${h.title}` : `${h.kind} · ${h.source ?? ''}: ${h.title} [${h.techniques.join(', ')}]${h.url ? ` ${h.url}` : ''}`));
    return { data: answer, paging, text: lines.length ? lines.join('\n') : `no match for "${a.query}"` };
  });

  registerTool(server, ctx, 'list_sources', {
    title: 'Sources',
    description: 'The source catalog, as `purplebook sources --json`: every source Purplebook knows by pillar (policy, detection, test), '
      + 'its state in this knowledge base (loaded, absent, unavailable) with resource, mapping and technique counts, commit and access date.',
    input: {
      pillar: pillarField.describe('only the sources of this pillar'),
      ...pageShape(SOURCES, 'sources'),
    },
  }, (gen, a) => {
    const { items, paging } = pageOf(sourceCatalog(gen.kb).filter((c) => !a.pillar || c.pillar === a.pillar), a, SOURCES);
    return { data: items, paging, text: items.map(catalogLine).join('\n') };
  });

  registerTool(server, ctx, 'gaps', {
    title: 'Validation gaps',
    description: 'Active techniques with their validation class (public detections × public tests), as `purplebook gaps --json`: '
      + 'pillar "detection" keeps those with no public detection (a purple team must write one), "test" those with no public test. '
      + 'Each row: id, name, domain, tactics, policy/detection/test volumes, validation class.',
    input: {
      pillar: z.enum(GAP_PILLARS).optional().describe('detection: no public detection; test: no public test; default every technique'),
      domain: domainField.describe('ATT&CK domain (default: every domain)'),
      stack: stackField,
      ...pageShape(GAP_ROWS, 'techniques'),
    },
  }, (gen, a) => {
    const domain = a.domain ? domainOf(a.domain) : undefined;
    const stack = stackOf(gen.kb, a.stack);
    const key = `gaps:${a.pillar ?? ''}:${domain ?? ''}:${stack ? [...stack.sources].sort().join(',') : ''}`;
    const rows = remember(gen, key, () => gapRows(gen.kb, { pillar: a.pillar, domain, stack }));
    const { items, paging } = pageOf(rows, a, GAP_ROWS);
    const text = items.map((r) => `${r.id} ${r.name} — ${r.policy_volume} controls · ${r.detection_volume} detections · ${r.test_volume} tests — ${r.validation}`);
    return { data: items, paging, text: text.join('\n') || 'no technique' };
  });
}
