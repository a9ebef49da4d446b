/**
 * Microsoft Sentinel analytic rules (Azure/Azure-Sentinel): one resource per analytic-rule YAML
 * under `Solutions/<solution>/Analytic Rules/**` and `Detections/**`. The rule format: `id`,
 * `name`, `description`, `severity`, `requiredDataConnectors: [{connectorId, dataTypes}]`,
 * `queryFrequency`, `queryPeriod`, `tactics`, `relevantTechniques`, `query` (KQL), `version`,
 * `kind` (Scheduled, NRT, …), optionally `status` and `tags`. The repository is too large for
 * the shared snapshot, so this source is only present after a `sync`.
 */
import { kqlTables, namedLogSources, ruleLogic } from './lib/logic.js';
import type { LoadContext, ResourceRecord, TechniqueRef } from './types.js';
import { defineFileSource, type FileInput } from './lib/file-source.js';
import { distinct, isRecord, oneOrMany, type Mapping } from './lib/values.js';
import { oneLine } from './lib/links.js';

/** Queries longer than this are cut; the link leads to the full text. */
export const AZURE_SENTINEL_QUERY_MAX = 1000;

function text(v: unknown): string | undefined {
  if (typeof v === 'number') return String(v);
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

function stringList(v: unknown): string[] {
  return distinct(oneOrMany(v).filter((x) => x.trim() !== '').map((x) => x.trim()));
}

/** Upstream wraps most descriptions in single quotes inside a block scalar: `'Identifies …'`. */
export function unquoteDescription(v: unknown): string {
  const s = typeof v === 'string' ? v.trim() : '';
  return s.length >= 2 && s.startsWith("'") && s.endsWith("'") ? s.slice(1, -1).trim() : s;
}

/** Which repository paths hold analytic rules (the upstream paths of this source). */
export function isAnalyticRulePath(rel: string): boolean {
  if (!/\.yaml$/i.test(rel)) return false;
  return /^Solutions\/[^/]+\/Analytic Rules\//.test(rel) || rel.startsWith('Detections/');
}

/** `Solutions/<solution>/Analytic Rules/<sub>/x.yaml` → [solution, sub]; `Detections/<a>/x.yaml` → [Detections, a]. */
function breadcrumbOf(rel: string): string[] {
  const parts = rel.split('/').slice(0, -1);
  return parts[0] === 'Solutions' ? [parts[1]!, ...parts.slice(3)] : parts;
}

function connectors(v: unknown): { ids: string[]; dataTypes: string[] } {
  const ids: string[] = [];
  const dataTypes: string[] = [];
  if (!Array.isArray(v)) return { ids, dataTypes };
  for (const c of v) {
    if (!isRecord(c)) continue;
    const id = text(c.connectorId);
    if (id && !ids.includes(id)) ids.push(id);
    for (const t of stringList(c.dataTypes)) if (!dataTypes.includes(t)) dataTypes.push(t);
  }
  return { ids, dataTypes };
}

function techniqueRefs(ctx: LoadContext, file: string, v: unknown): TechniqueRef[] {
  if (v !== undefined && v !== null && !Array.isArray(v) && typeof v !== 'string') {
    ctx.warn(file, '`relevantTechniques` is not a list');
    return [];
  }
  return stringList(v).map((id) => ({ id }));
}

function ruleRecord(doc: Mapping, { ctx, file, path: rel, warn, origin }: FileInput): ResourceRecord | undefined {
  if (!text(doc.name) && !text(doc.query)) {
    warn('not an analytic rule (no `name` and no `query`): skipped');
    return undefined;
  }
  const name = text(doc.name);
  const meta: Record<string, unknown> = { language: 'KQL' };
  for (const key of ['id', 'severity', 'kind', 'status', 'version', 'queryFrequency', 'queryPeriod'] as const) {
    const v = text(doc[key]);
    if (v) meta[key] = v;
  }
  const tactics = stringList(doc.tactics);
  if (tactics.length) meta.tactics = tactics;
  const { ids, dataTypes } = connectors(doc.requiredDataConnectors);
  if (ids.length) meta.dataConnectors = ids;
  if (dataTypes.length) meta.dataTypes = dataTypes;
  const tags = stringList(doc.tags).slice(0, 20);
  if (tags.length) meta.tags = tags;
  const query = text(doc.query);
  if (query) meta.query = query.length > AZURE_SENTINEL_QUERY_MAX ? `${query.slice(0, AZURE_SENTINEL_QUERY_MAX - 1)}…` : query;
  // The data types of the required connectors are Log Analytics tables; the query may read more.
  const logSources = namedLogSources('sentinel', [...dataTypes, ...(query ? kqlTables(query) : [])]);
  return {
    ...origin,
    upstreamId: text(doc.id),
    title: name ?? rel.split('/').pop()!.replace(/\.yaml$/i, ''),
    breadcrumb: breadcrumbOf(rel),
    description: oneLine(unquoteDescription(doc.description)),
    // Retired rules stay in the repository with a "[Deprecated]" name prefix.
    deprecated: /^\[deprecated\]/i.test(name ?? ''),
    meta,
    facets: { logSources },
    logic: ruleLogic('kql', query),
    techniques: techniqueRefs(ctx, file, doc.relevantTechniques),
  };
}

export const azureSentinelSource = defineFileSource({
  name: 'azure-sentinel',
  title: 'Microsoft Sentinel Analytic Rules',
  pillar: 'detection',
  order: 75,
  upstream: { repo: 'Azure/Azure-Sentinel', defaultRef: 'master', paths: ['Solutions/*/Analytic Rules/**/*.yaml', 'Detections/**/*.yaml'] },
  license: 'MIT',
  resourceKind: 'Microsoft Sentinel analytic rule, KQL (one YAML file under `Solutions/*/Analytic Rules/` or `Detections/`)',
  mapsVia: '`relevantTechniques`',
  summaryFields: ['severity', 'kind', 'dataConnectors'],
  detectionKind: { kind: 'rule', why: 'an analytic rule is a scheduled KQL `query` Microsoft Sentinel runs' },
  match: (path) => isAnalyticRulePath(path),
  format: 'yaml',
  shape: 'mapping',
  toRecords: ruleRecord,
});
