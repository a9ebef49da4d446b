/**
 * Atomic Threat Coverage (atc-project/atomic-threat-coverage): one resource per detection rule
 * document of the generated `analytics/generated/atc_es_index.json`. That file is Elasticsearch
 * bulk NDJSON: an action line (`{"index": {...}}`) before each document, one JSON value per line.
 * A broken line is a warning and the next lines are still read. Empty values are written
 * "not defined" (or "None") upstream and are dropped here.
 */
import { facetNames, hasValue, isRecord } from './lib/values.js';
import { defineFileSource, ndjsonLines, type FileInput } from './lib/file-source.js';
import { namedLogSources, ruleLogic } from './lib/logic.js';
import type { LoadContext, ResourceRecord, TechniqueRef } from './types.js';
import { oneLine } from './lib/links.js';

const INDEX = 'analytics/generated/atc_es_index.json';
const BULK_ACTIONS = new Set(['index', 'create', 'update', 'delete']);

/** Upstream's spelling of "no value". */
function isUndefinedWord(s: string): boolean {
  return /^(not defined|none|null|n\/a)?$/i.test(s.trim());
}

function value(v: unknown): string | undefined {
  return typeof v === 'string' && !isUndefinedWord(v) ? v.trim() : undefined;
}

/** A list field (a lone string is accepted too), without the "not defined" fillers. */
function values(v: unknown): string[] {
  const list = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  return [...new Set(list.filter((x): x is string => typeof x === 'string' && !isUndefinedWord(x)).map((x) => x.trim()))];
}

/** `T1087: Account Discovery` → `T1087`; `TA0007: Discovery` → `Discovery` with `part: 'name'`. */
export function splitLabel(label: string, part: 'id' | 'name'): string {
  const i = label.indexOf(':');
  if (i < 0) return label.trim();
  return (part === 'id' ? label.slice(0, i) : label.slice(i + 1)).trim();
}

/** An NDJSON action line: a single key naming a bulk action. */
function isBulkAction(v: unknown): boolean {
  return isRecord(v) && Object.keys(v).length === 1 && BULK_ACTIONS.has(Object.keys(v)[0]!);
}

function dateOnly(v: unknown): string | undefined {
  const s = value(v);
  return s ? (/^\d{4}-\d{2}-\d{2}/.exec(s)?.[0] ?? s) : undefined;
}

function techniqueRefs(ctx: LoadContext, file: string, where: string, v: unknown): TechniqueRef[] {
  if (v !== undefined && v !== null && !Array.isArray(v) && typeof v !== 'string') {
    ctx.warn(file, `${where}: \`technique\` is not a list`);
    return [];
  }
  return values(v).map((t) => splitLabel(t, 'id')).filter(Boolean).map((id) => ({ id }));
}

/** `es/windows/process_creation/x.yml` → `windows / process_creation` (the Sigma folders). */
function breadcrumbOf(sigmaPath: string | undefined): string[] | undefined {
  if (!sigmaPath) return undefined;
  const parts = sigmaPath.split('/').slice(0, -1);
  if (parts[0] === 'es') parts.shift();
  return parts.length ? parts : undefined;
}

function ruleRecord(doc: Record<string, unknown>, n: number, line: number, { ctx, file, link }: FileInput): ResourceRecord {
  const where = `line ${line}`;
  const sigmaPath = value(doc.sigma_rule_path);
  const id = value(doc.dr_id);
  const meta: Record<string, unknown> = { language: 'Sigma' };
  const fields: [string, string | string[] | undefined][] = [
    ['id', id],
    ['severity', value(doc.detection_rule_severity)],
    ['status', value(doc.detection_rule_development_status)],
    ['author', value(doc.detection_rule_author)],
    ['created', dateOnly(doc.date_created)],
    ['modified', dateOnly(doc.date_modified)],
    ['tactics', values(doc.tactic).map((t) => splitLabel(t, 'name'))],
    ['platforms', values(doc.platform)],
    ['channels', values(doc.channel)],
    ['dataNeeded', values(doc.data_needed)],
    ['loggingPolicies', values(doc.logging_policy)],
    ['sigmaRule', sigmaPath],
  ];
  for (const [k, v] of fields) if (hasValue(v)) meta[k] = v;
  return {
    key: `${INDEX}#${n}`,
    upstreamId: id,
    title: value(doc.detection_rule_title) ?? sigmaPath ?? `Detection rule #${n}`,
    url: `${link()}#L${line}`,
    breadcrumb: breadcrumbOf(sigmaPath),
    description: oneLine(value(doc.description)),
    deprecated: meta.status === 'deprecated',
    file,
    meta,
    facets: { ...(values(doc.platform).length ? { platforms: facetNames(values(doc.platform)) } : {}), logSources: namedLogSources('atc', values(doc.data_needed)) },
    logic: ruleLogic('sigma', value(doc.raw_detection_rule)),
    techniques: techniqueRefs(ctx, file, where, doc.technique),
  };
}

function* indexRecords(text: string, input: FileInput): Generator<ResourceRecord> {
  const { ctx, file, warn } = input;
  let n = 0;
  for (const { line, value: v } of ndjsonLines(ctx, file, text)) {
    if (isBulkAction(v)) continue;
    if (!isRecord(v)) {
      warn(`line ${line}: document is not an object: skipped`);
      continue;
    }
    n++;
    yield ruleRecord(v, n, line, input);
  }
  if (n === 0) warn('no detection rule document found');
}

export const atomicThreatCoverageSource = defineFileSource({
  name: 'atomic-threat-coverage',
  title: 'Atomic Threat Coverage',
  pillar: 'detection',
  order: 73,
  upstream: { repo: 'atc-project/atomic-threat-coverage', defaultRef: 'master', paths: [INDEX] },
  license: 'Apache-2.0',
  resourceKind: 'Sigma-based detection rule (one document of the Elasticsearch bulk index `analytics/generated/atc_es_index.json`)',
  mapsVia: '`technique: ["T1087: Account Discovery"]` ("not defined" for none)',
  summaryFields: ['severity', 'status', 'dataNeeded'],
  detectionKind: { kind: 'rule', why: 'each document carries a Sigma detection (`raw_detection_rule`)' },
  files: [INDEX],
  format: 'ndjson',
  toRecords: (text, input) => indexRecords(text as string, input),
});
