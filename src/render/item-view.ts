/**
 * What one resource line of a technique page shows, as plain data: the server renders it to HTML
 * and the browser script renders the same data (loaded lazily on heavy pages) with textContent.
 * Both views therefore show the same facts, the same commands and the same details.
 */
import type { PageItem, PageSource } from '../page/types.js';
import { parseDescription, type Inline } from './description.js';
import { itemFacts, labelOf } from './facts.js';

/** A detail's value: text (line breaks kept), a block of code, a list, nested label/value rows, or ATT&CK markup. */
export type DetailValue = string | { code: string } | { list: DetailValue[] } | { rows: DetailRow[] } | { attack: Inline[] };
export type DetailRow = [label: string, value: DetailValue];

/** Values an item can be filtered and sorted by inside the page (lower-case where compared). */
export interface ItemFacets {
  level?: string;
  status?: string;
  platforms?: string[];
  logsource?: string;
  executors?: string[];
  date?: string;
}

export interface CodeBlock {
  /** `Command (powershell)`, `Cleanup`, `Query (KQL)` … */
  label: string;
  text: string;
}

export interface ItemView {
  name: string;
  /** http(s) only; anything else is dropped and the name shows as text. */
  url: string | null;
  crumbs: string[];
  facts: string[];
  flags: string[];
  code: CodeBlock[];
  details: DetailRow[];
  facets: ItemFacets;
}

/** Upstream fields that hold something to run or to search with: shown as code with a copy button, never executed. */
const CODE_FIELDS: readonly { key: string; label: string }[] = [
  { key: 'command', label: 'Command' }, { key: 'commands', label: 'Commands' }, { key: 'cleanup', label: 'Cleanup' },
  { key: 'query', label: 'Query' }, { key: 'search', label: 'Search' },
];
const CODE_KEYS = new Set(CODE_FIELDS.map((c) => c.key));
/** Code fields that hold a rule's query: the same text as its logic when it has one. */
const QUERY_KEYS = new Set(['query', 'search']);
/** Largest command or query shown inline; longer ones are cut with a note (upstream files hold the rest). */
export const MAX_CODE_CHARS = 20_000;

/** Sources whose text is ATT&CK's own markup (markdown links, `<code>`). */
export const isAttackText = (source: string) => source.startsWith('attack-');

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.flatMap(strings) : typeof v === 'string' && v.trim() ? [v.trim()] : []);

function facetsOf(item: PageItem): ItemFacets {
  const m = item.meta ?? {};
  const f: ItemFacets = {};
  const level = str(m.level) ?? str(m.severity);
  if (level) f.level = level.toLowerCase();
  const status = str(m.status) ?? str(m.maturity);
  if (status) f.status = status.toLowerCase();
  const logsource = m.logsource && typeof m.logsource === 'object' && !Array.isArray(m.logsource)
    ? Object.values(m.logsource as Record<string, unknown>).flatMap(strings).join('/')
    : strings(m.dataSource ?? m.dataSources ?? m.integration).join(', ');
  if (logsource) f.logsource = logsource.toLowerCase();
  const platforms = [...strings(m.platforms), ...strings(m.platform)];
  if (m.logsource && typeof m.logsource === 'object') platforms.push(...strings((m.logsource as Record<string, unknown>).product));
  if (platforms.length) f.platforms = [...new Set(platforms.map((p) => p.toLowerCase()))];
  const executors = [...strings(m.executor), ...strings(m.executors)];
  if (executors.length) f.executors = [...new Set(executors.map((e) => e.toLowerCase()))];
  const date = str(m.modified) ?? str(m.date) ?? str(m.created);
  if (date && /^\d{4}-\d{2}-\d{2}/.test(date)) f.date = date.slice(0, 10);
  return f;
}

function detailValue(v: unknown, depth = 0): DetailValue | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  // Long or multi-line text here is prose (descriptions, definitions): commands and queries are CODE_FIELDS.
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (depth > 4) return JSON.stringify(v).slice(0, 500);
  if (Array.isArray(v)) {
    if (!v.length) return undefined;
    if (v.every((x) => typeof x !== 'object' || x === null)) return v.join(', ');
    return { list: v.map((x) => detailValue(x, depth + 1)).filter((x): x is DetailValue => x !== undefined) };
  }
  const rows = Object.entries(v as Record<string, unknown>)
    .map(([k, x]): DetailRow | undefined => {
      const d = detailValue(x, depth + 1);
      return d === undefined ? undefined : [labelOf(k), d];
    })
    .filter((r): r is DetailRow => r !== undefined);
  return rows.length ? { rows } : undefined;
}

/** Same text once: "id: D3-CSPP · d3fend id: D3-CSPP" and Sigma's id shown twice say one thing. */
const sameText = (a: unknown, b: unknown) => typeof a === 'string' && typeof b === 'string' && a.trim() === b.trim();

/** How a rule's logic is labelled, by its language (sources/types.ts RuleLogic). */
const LOGIC_LABELS: Record<string, string> = {
  sigma: 'Sigma detection', eql: 'Query (EQL)', esql: 'Query (ES|QL)', kuery: 'Query (KQL, Kibana)', lucene: 'Query (Lucene)',
  spl: 'Search (SPL)', kql: 'Query (KQL)', pseudocode: 'Pseudocode',
};

export function logicLabel(language: string): string {
  return LOGIC_LABELS[language.trim().toLowerCase()] ?? (language.trim() ? `Rule logic (${language.trim()})` : 'Rule logic');
}

const capped = (text: string) => (text.length > MAX_CODE_CHARS ? `${text.slice(0, MAX_CODE_CHARS)}\n… (cut at ${MAX_CODE_CHARS} characters)` : text);

function codeBlocks(item: PageItem): CodeBlock[] {
  const m = item.meta ?? {};
  const lang = str(m.executor) ?? str(m.language);
  const out: CodeBlock[] = [];
  // The rule's logic first (a Sigma detection block, a query): the connectors take it from the
  // query fields, so those are not shown again beside it.
  const logic = item.logic?.text.trim() ? item.logic : undefined;
  if (logic) out.push({ label: logicLabel(logic.language), text: capped(logic.text) });
  for (const { key, label } of CODE_FIELDS) {
    if (logic && QUERY_KEYS.has(key)) continue;
    const raw = m[key];
    const text = Array.isArray(raw) ? strings(raw).join('\n') : typeof raw === 'string' ? raw : '';
    if (!text.trim()) continue;
    out.push({ label: key === 'cleanup' || !lang ? label : `${label} (${lang})`, text: capped(text) });
  }
  return out;
}

function attackOrText(text: string, source: string): DetailValue {
  if (!isAttackText(source)) return detailValue(text)!;
  return { attack: parseDescription(text).flatMap((b, i) => [...(i ? [{ t: 'br' } as Inline] : []), ...(b.t === 'list' ? b.items.flatMap((x) => x.c) : b.c)]) };
}

/** A source has something to say about this technique: resources, resources on sub-techniques, or an assessment. */
export const hasContent = (s: PageSource) => s.count > 0 || s.viaSubtechniques > 0 || s.assessedNotMappable;

export function itemView(item: PageItem, src: PageSource): ItemView {
  const flags: string[] = [];
  if (item.via) flags.push(`mapped via revoked ${item.via.revoked}`);
  if (item.deprecated) flags.push('deprecated');
  if (item.kind === 'guidance') flags.push('guidance');
  const details: DetailRow[] = [];
  if (item.id) details.push(['id', item.id]);
  if (item.relation) details.push(['relation', item.relation]);
  if (item.note) details.push(['why', attackOrText(item.note, src.source)]);
  if (item.attackVersion) details.push(['ATT&CK version', item.attackVersion]);
  if (item.description && !sameText(item.description, item.note)) details.push(['description', attackOrText(item.description, src.source)]);
  for (const [k, v] of Object.entries(item.meta ?? {})) {
    if (CODE_KEYS.has(k) || sameText(v, item.id) || sameText(v, item.description) || sameText(v, item.name)) continue;
    const d = detailValue(v);
    if (d !== undefined) details.push([labelOf(k), d]);
  }
  const url = item.url && /^https?:\/\//i.test(item.url.trim()) ? item.url.trim() : null;
  return {
    name: item.name, url, crumbs: item.breadcrumb ?? [], facts: itemFacts(item, src.summaryFields), flags, code: codeBlocks(item), details, facets: facetsOf(item),
  };
}
