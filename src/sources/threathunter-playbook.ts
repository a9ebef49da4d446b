/**
 * OTRF ThreatHunter Playbook (OTRF/ThreatHunter-Playbook): one resource per hunt
 * `docs/hunts/<platform>/<hunt>/metadata.yaml`, mapped by `attack_mappings: [{technique: T1003,
 * sub_technique: "001"}]`. Upstream spells the key `sub_technique` or `sub-technique`, and writes
 * "no sub-technique" as the string "None" or an empty value.
 */
import type { LoadContext, ResourceRecord, TechniqueRef } from './types.js';
import { defineFileSource, type FileInput } from './lib/file-source.js';
import { isRecord, str as text, trimmedList as stringList } from './lib/values.js';
import { oneLine } from './lib/links.js';

export type SubTechnique = { kind: 'none' } | { kind: 'sub'; sub: string } | { kind: 'bad'; raw: string };

/**
 * The sub-technique part of a mapping: "001" → `001`; "None", empty, null → none. An unquoted
 * `001` reaches us as the number 1 and is padded back.
 */
export function readSubTechnique(v: unknown): SubTechnique {
  if (v === undefined || v === null) return { kind: 'none' };
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 1000) return { kind: 'sub', sub: String(v).padStart(3, '0') };
  if (typeof v !== 'string') return { kind: 'bad', raw: JSON.stringify(v) ?? typeof v };
  const s = v.trim();
  if (!s || /^none$/i.test(s)) return { kind: 'none' };
  if (/^\d{1,3}$/.test(s)) return { kind: 'sub', sub: s.padStart(3, '0') };
  return { kind: 'bad', raw: s };
}

/** `{technique: T1003, sub_technique: "001"}` → `T1003.001` (technique as written, sub appended). */
function mappingId(ctx: LoadContext, file: string, m: unknown, n: number): string | undefined {
  const technique = isRecord(m) ? text(m.technique) : undefined;
  if (!isRecord(m) || !technique) {
    ctx.warn(file, `attack_mappings #${n} has no \`technique\` string: skipped`);
    return undefined;
  }
  const sub = readSubTechnique(m.sub_technique ?? m['sub-technique']);
  if (sub.kind === 'bad') {
    ctx.warn(file, `attack_mappings #${n}: sub-technique ${sub.raw} is not a 3-digit number: ${technique} kept`);
    return technique;
  }
  return sub.kind === 'sub' && !technique.includes('.') ? `${technique}.${sub.sub}` : technique;
}

function readMappings(ctx: LoadContext, file: string, value: unknown): { techniques: TechniqueRef[]; tactics: string[] } {
  if (value === undefined || value === null) {
    ctx.warn(file, '`attack_mappings` is missing: hunt kept without a technique');
    return { techniques: [], tactics: [] };
  }
  if (!Array.isArray(value)) {
    ctx.warn(file, '`attack_mappings` is not a list');
    return { techniques: [], tactics: [] };
  }
  const ids: string[] = [];
  const tactics: string[] = [];
  for (const [i, m] of value.entries()) {
    const id = mappingId(ctx, file, m, i + 1);
    if (id && !ids.includes(id)) ids.push(id);
    if (isRecord(m)) for (const t of stringList(m.tactics)) if (!tactics.includes(t)) tactics.push(t);
  }
  return { techniques: ids.map((id) => ({ id })), tactics };
}

/** Upstream writes tactic ids (`TA0006`); the name reads better on a page. */
function tacticName(ctx: LoadContext, id: string): string {
  return ctx.attack.tactics.find((t) => t.id === id.toUpperCase())?.name ?? id;
}

/** `2019/05/11` upstream → `2019-05-11`. */
function isoDate(v: unknown): string | undefined {
  if (v instanceof Date && !Number.isNaN(v.getTime())) return v.toISOString().slice(0, 10);
  const s = text(v);
  return s ? s.replace(/^(\d{4})\/(\d{2})\/(\d{2})$/, '$1-$2-$3') : undefined;
}

function huntRecord(doc: Record<string, unknown>, { ctx, file, path: rel, link, origin }: FileInput): ResourceRecord {
  const parts = rel.split('/');
  const platformFolder = parts[2]!;
  const huntFolder = parts[3]!;
  const { techniques, tactics } = readMappings(ctx, file, doc.attack_mappings);
  const id = text(doc.id) ?? huntFolder;
  const meta: Record<string, unknown> = { id };
  const platform = text(doc.platform);
  if (platform) meta.platform = platform;
  if (tactics.length) meta.tactics = tactics.map((t) => tacticName(ctx, t));
  const authors = stringList(doc.collaborators);
  if (authors.length) meta.authors = authors;
  const created = isoDate(doc.creation_date);
  if (created) meta.created = created;
  const modified = isoDate(doc.modification_date);
  if (modified) meta.modified = modified;
  // Security-Datasets recordings the hunt was written against (`datasets`, or `detections` in newer hunts).
  const datasets = [doc.datasets, doc.detections].filter(Array.isArray).reduce((n, l) => n + (l as unknown[]).length, 0);
  if (datasets) meta.datasets = datasets;
  meta.notebook = link(`${parts.slice(0, -1).join('/')}/notebook.md`);
  return {
    ...origin,
    upstreamId: id,
    title: text(doc.title) ?? id,
    breadcrumb: [platformFolder],
    description: oneLine(doc.hypothesis),
    deprecated: false,
    meta,
    techniques,
  };
}

export const threatHunterPlaybookSource = defineFileSource({
  usesAttack: true,
  name: 'threathunter-playbook',
  title: 'OTRF ThreatHunter Playbook',
  pillar: 'detection',
  order: 74,
  homepage: 'https://threathunterplaybook.com/',
  upstream: { repo: 'OTRF/ThreatHunter-Playbook', defaultRef: 'main', paths: ['docs/hunts/*/*/metadata.yaml'] },
  license: 'MIT',
  resourceKind: 'Hunt (`docs/hunts/<platform>/<hunt>/metadata.yaml`; the queries are in the hunt notebook, linked)',
  mapsVia: '`attack_mappings: [{technique, sub_technique | sub-technique}]`',
  summaryFields: ['tactics', 'datasets'],
  detectionKind: { kind: 'guidance', why: 'a hunt is a write-up (hypothesis and notebook analytics) a hunter adapts: no rule runs as published' },
  match: (path, name) => /^docs\/hunts\/[^/]+\/[^/]+\/metadata\.yaml$/.test(path) && name === 'metadata.yaml',
  format: 'yaml',
  shape: 'mapping',
  toRecords: huntRecord,
});
