/**
 * Google Cloud Community Security Analytics (GoogleCloudPlatform/security-analytics): one
 * resource per use case `src/<id>/<id>.yaml`, mapped through `attack_mapping: [{technique,
 * title, link}]`. MITRE ATLAS ids (`AML.T0051`) share that list upstream; they are not ATT&CK
 * techniques and are kept in `meta.atlas` instead.
 */
import { namedLogSources } from './lib/logic.js';
import type { LoadContext, ResourceRecord, TechniqueRef } from './types.js';
import { defineFileSource, type FileInput } from './lib/file-source.js';
import { isRecord, str as text, trimmedList as stringList, type Mapping as Doc } from './lib/values.js';
import { oneLine } from './lib/links.js';

/** `id: '1.02'` upstream; an unquoted `1.10` would parse as the number 1.1, so the folder name wins then. */
function useCaseId(v: unknown, folder: string): string {
  return typeof v === 'string' && v.trim() ? v.trim() : folder;
}

interface Mapping {
  techniques: TechniqueRef[];
  atlas: { id: string; title?: string }[];
}

function readMapping(ctx: LoadContext, file: string, value: unknown): Mapping {
  const out: Mapping = { techniques: [], atlas: [] };
  if (value === undefined || value === null) return out;
  if (!Array.isArray(value)) {
    ctx.warn(file, '`attack_mapping` is not a list');
    return out;
  }
  const seen = new Set<string>();
  for (const [i, m] of value.entries()) {
    const id = isRecord(m) ? text(m.technique) : undefined;
    if (!id) {
      ctx.warn(file, `attack_mapping #${i + 1} has no \`technique\` string: skipped`);
      continue;
    }
    if (seen.has(id)) continue;
    seen.add(id);
    if (/^AML\./i.test(id)) out.atlas.push({ id, ...(isRecord(m) && text(m.title) ? { title: text(m.title) } : {}) });
    else out.techniques.push({ id });
  }
  return out;
}

function useCaseRecord(doc: Doc, { ctx, file, path: rel, origin }: FileInput): ResourceRecord {
  const folder = rel.split('/')[1]!;
  const id = useCaseId(doc.id, folder);
  const { techniques, atlas } = readMapping(ctx, file, doc.attack_mapping);
  const meta: Record<string, unknown> = { id };
  const category = text(doc.category);
  if (category) meta.category = category;
  const severity = text(doc.severity);
  if (severity) meta.severity = severity;
  const sources = stringList(doc.sources);
  if (sources.length) meta.sources = sources;
  const useCases = stringList(doc.use_cases);
  if (useCases.length) meta.useCases = useCases;
  if (atlas.length) meta.atlas = atlas;
  if (isRecord(doc.test) && text(doc.test.command)) meta.hasTest = true;
  return {
    ...origin,
    upstreamId: id,
    title: text(doc.display_name) ?? text(doc.name) ?? id,
    breadcrumb: category ? [category] : undefined,
    description: oneLine(doc.description),
    deprecated: false,
    meta,
    facets: { logSources: namedLogSources('gcp', sources) },
    techniques,
  };
}

export const securityAnalyticsSource = defineFileSource({
  name: 'security-analytics',
  title: 'Google Cloud Community Security Analytics',
  pillar: 'detection',
  order: 71,
  upstream: { repo: 'GoogleCloudPlatform/security-analytics', defaultRef: 'main', paths: ['src/*/*.yaml'] },
  license: 'Apache-2.0',
  resourceKind: 'Security analytics use case (`src/<id>/<id>.yaml`; its BigQuery/Log Analytics SQL and Chronicle YARA-L queries are not read)',
  mapsVia: '`attack_mapping: [{technique}]` (MITRE ATLAS ids kept aside)',
  summaryFields: ['severity', 'category', 'sources'],
  detectionKind: { kind: 'rule', why: 'a use case ships BigQuery / Log Analytics SQL and Chronicle YARA-L queries beside its YAML' },
  match: (path, name) => /^src\/[^/]+\/[^/]+\.yaml$/.test(path) && name.endsWith('.yaml'),
  format: 'yaml',
  shape: 'mapping',
  toRecords: useCaseRecord,
});
