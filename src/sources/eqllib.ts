/**
 * EQL Analytics Library (endgameinc/eqllib): one resource per TOML file under
 * `eqllib/analytics/`. ATT&CK ids come from `[analytic.metadata] techniques`; `tactics` are tactic
 * names and go to meta. The library has no deprecation marker. Breadcrumb: the folders under
 * `analytics/` (a tactic, or `actors / <group>`). The query is kept as the rule's logic (shown, never run).
 */
import { capList as capListTo, facetNames, isTable, metaSetter, str, tomlTypeName as typeName, trimmedList, type Mapping as Table } from './lib/values.js';
import { eqlEventTypes, ruleLogic } from './lib/logic.js';
import type { LogSourceRef, ResourceRecord, TechniqueRef } from './types.js';
import { defineFileSource, type FileInput } from './lib/file-source.js';
import { oneLine } from './lib/links.js';

const DOCS = 'https://eqllib.readthedocs.io';
const ANALYTIC_FILE = /^eqllib\/analytics\/(?:[^/]+\/)*[^/]+\.toml$/;
/** The docs build one page per analytic id (a uuid); other ids would not be a safe path. */
const SAFE_ID = /^[A-Za-z0-9-]+$/;
const LIST_MAX = 20;
const TEXT_MAX = 200;

const capList = (list: string[]) => capListTo(list, LIST_MAX);

/** Strings of an array field; a non-array or non-string entries are reported through `problem`. */
export function eqllibList(value: unknown, field: string, problem: (p: string) => void): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problem(`\`${field}\` is a ${typeName(value)}, not an array: ignored`);
    return [];
  }
  if (value.some((x) => typeof x !== 'string')) problem(`\`${field}\` holds entries that are not strings: they are ignored`);
  return trimmedList(value);
}

/** YYYY-MM-DD: upstream writes `11/30/2018` (month first); a TOML date is accepted too. */
export function eqllibDate(v: unknown): string | undefined {
  if (v instanceof Date && !Number.isNaN(v.getTime())) return v.toISOString().slice(0, 10);
  const s = str(v);
  const m = s?.match(/^(\d{1,2})\/(\d{1,2})\/(\d{4})$/);
  return m ? `${m[3]}-${m[1]!.padStart(2, '0')}-${m[2]!.padStart(2, '0')}` : s;
}

export function eqllibDocsUrl(id: string | undefined): string | undefined {
  return id && SAFE_ID.test(id) ? `${DOCS}/en/latest/analytics/${id}.html` : undefined;
}

const STRING_FIELDS = ['id', 'name', 'description', 'confidence'] as const;

function checkFieldTypes(metadata: Table, query: unknown, warn: (p: string) => void): void {
  for (const k of STRING_FIELDS) {
    if (metadata[k] !== undefined && typeof metadata[k] !== 'string') warn(`\`analytic.metadata.${k}\` is a ${typeName(metadata[k])}, not a string: ignored`);
  }
  if (query !== undefined && typeof query !== 'string') warn(`\`analytic.query\` is a ${typeName(query)}, not a string`);
}

function metaOf(md: Table, lists: Record<'tactics' | 'os' | 'contributors' | 'categories' | 'tags', string[]>, docsUrl: string | undefined): Table {
  const meta: Table = {};
  const set = metaSetter(meta);
  set('id', str(md.id));
  set('categories', capList(lists.categories));
  set('confidence', str(md.confidence));
  set('platforms', capList(lists.os));
  set('tactics', capList(lists.tactics));
  meta.language = 'EQL';
  set('tags', capList(lists.tags));
  const author = lists.contributors.join(', ');
  set('author', author ? oneLine(author, TEXT_MAX) : undefined);
  set('date', eqllibDate(md.created_date));
  set('modified', eqllibDate(md.updated_date));
  set('docsUrl', docsUrl);
  return meta;
}

/** The event categories the query reads, once per OS the analytic names (or with no OS). */
function eqlLogSources(query: unknown, os: string[]): LogSourceRef[] {
  const types = typeof query === 'string' ? eqlEventTypes(query) : [];
  const products = os.length ? os.map((o) => o.toLowerCase()) : [undefined];
  return types.flatMap((name) => products.map((product): LogSourceRef => (product ? { scheme: 'eql', product, name } : { scheme: 'eql', name })));
}

function analyticRecord(doc: Table, { path: pathInRepo, warn, origin }: FileInput): ResourceRecord | undefined {
  const analytic = doc.analytic;
  const md = isTable(analytic) ? analytic.metadata : undefined;
  if (!isTable(analytic) || !isTable(md) || !str(md.name)) {
    warn(!isTable(analytic) ? 'not an analytic: no `[analytic]` table' : !isTable(md) ? 'not an analytic: no `[analytic.metadata]` table' : 'not an analytic: `[analytic.metadata]` has no `name`');
    return undefined;
  }
  checkFieldTypes(md, analytic.query, warn);
  const list = (k: string) => eqllibList(md[k], `analytic.metadata.${k}`, warn);
  const techniques: TechniqueRef[] = list('techniques').map((id) => ({ id }));
  const lists = { tactics: list('tactics'), os: list('os'), contributors: list('contributors'), categories: list('categories'), tags: list('tags') };
  const id = str(md.id);
  return {
    ...origin,
    upstreamId: id,
    title: oneLine(md.name),
    breadcrumb: pathInRepo.split('/').slice(2, -1),
    description: oneLine(md.description),
    deprecated: false,
    meta: metaOf(md, lists, eqllibDocsUrl(id)),
    facets: { ...(lists.os.length ? { platforms: facetNames(lists.os) } : {}), logSources: eqlLogSources(analytic.query, lists.os) },
    logic: ruleLogic('eql', analytic.query),
    techniques,
  };
}

export const eqllibSource = defineFileSource({
  name: 'eqllib',
  title: 'EQL Analytics Library',
  pillar: 'detection',
  order: 50,
  homepage: `${DOCS}/`,
  upstream: { repo: 'endgameinc/eqllib', defaultRef: 'master', paths: ['eqllib/analytics/**/*.toml'] },
  license: 'MIT',
  resourceKind: 'EQL analytic (one TOML file)',
  mapsVia: '`[analytic.metadata] techniques` (list of technique ids)',
  summaryFields: ['categories', 'confidence', 'platforms'],
  detectionKind: { kind: 'rule', why: 'an EQL analytic is a `query` an EQL engine runs' },
  match: (path) => ANALYTIC_FILE.test(path),
  format: 'toml',
  shape: 'mapping',
  toRecords: analyticRecord,
});
