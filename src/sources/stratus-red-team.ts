/**
 * Stratus Red Team (DataDog/stratus-red-team `docs/index.yaml`, generated from the Go registry):
 * platform → ATT&CK tactic → list of attack techniques. A technique with several tactics is
 * listed once per tactic; it is one resource here, its tactics merged.
 *
 * ATT&CK ids appear only under `frameworkmappings[].techniques[].id` (Threat Technique Catalog for
 * AWS). Catalog-specific ids such as `T1485.A002` are AWS variants of ATT&CK T1485: they are
 * emitted as `T1485` with the catalog id in the note. Entries mapped by tactic only carry no
 * technique reference (the catalog still lists them).
 */
import type { LoadContext, ResourceRecord, TechniqueRef } from './types.js';
import { defineFileSource } from './lib/file-source.js';
import { facetNames, isRecord, str, strList, type Mapping } from './lib/values.js';

const INDEX = 'docs/index.yaml';
const DOCS = 'https://stratus-red-team.cloud/attack-techniques';

/**
 * The docs folder is the registry's raw platform constant, while index.yaml shows the display
 * name: AWS, EKS and GCP are kept as is, the others are lower-case (`azure`, `entra-id`, `kubernetes`).
 */
const DOC_FOLDER: Record<string, string> = { AWS: 'AWS', EKS: 'EKS', GCP: 'GCP', Azure: 'azure', 'Entra ID': 'entra-id', Kubernetes: 'kubernetes' };

export function stratusDocUrl(platform: string, id: string): string {
  const folder = DOC_FOLDER[platform] ?? platform.toLowerCase().replace(/\s+/g, '-');
  return `${DOCS}/${encodeURIComponent(folder)}/${encodeURIComponent(id)}/`;
}

/** `T1485.A002` → {id: T1485, note}; a plain ATT&CK id is passed on as written. */
export function catalogRef(raw: string): TechniqueRef {
  const variant = /^\s*(T\d{4}(?:\.\d{3})?)\.A\d+\s*$/i.exec(raw);
  if (variant) return { id: variant[1]!, note: `AWS Threat Technique Catalog ${raw.trim()}` };
  return { id: raw };
}

interface Entry {
  id: string;
  name: string;
  platform: string;
  tactics: string[];
  catalogIds: string[];
  slow?: boolean;
  idempotent?: boolean;
}

function catalogIdsOf(ctx: LoadContext, file: string, id: string, mappings: unknown): string[] {
  if (mappings === undefined) return [];
  if (!Array.isArray(mappings)) {
    ctx.warn(file, `${id}: frameworkmappings is not a list`);
    return [];
  }
  const out: string[] = [];
  // A mapping that is not the documented shape is said, never dropped quietly: it is where the ids are.
  for (const [i, m] of mappings.entries()) {
    if (!isRecord(m) || !Array.isArray(m.techniques)) {
      ctx.warn(file, `${id}: frameworkmappings[${i}] has no list of techniques`);
      continue;
    }
    for (const [j, t] of m.techniques.entries()) {
      const tid = isRecord(t) ? str(t.id) : undefined;
      if (tid) out.push(tid);
      else ctx.warn(file, `${id}: frameworkmappings[${i}].techniques[${j}] has no string id`);
    }
  }
  return out;
}

/** Merge the per-tactic listings into one entry per Stratus id, in first-seen order. */
function collectEntries(ctx: LoadContext, file: string, doc: Mapping): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  for (const [platform, byTactic] of Object.entries(doc)) {
    if (!isRecord(byTactic)) {
      ctx.warn(file, `platform ${platform}: not a mapping of tactics`);
      continue;
    }
    for (const [tactic, list] of Object.entries(byTactic)) {
      if (!Array.isArray(list)) {
        ctx.warn(file, `${platform} / ${tactic}: not a list`);
        continue;
      }
      for (const item of list) {
        const id = isRecord(item) ? str(item.id) : undefined;
        if (!isRecord(item) || !id) {
          ctx.warn(file, `${platform} / ${tactic}: an entry without an id: skipped`);
          continue;
        }
        const e = entries.get(id) ?? {
          id, name: str(item.name) ?? id, platform: str(item.platform) ?? platform, tactics: [], catalogIds: [],
          slow: typeof item.isSlow === 'boolean' ? item.isSlow : undefined,
          idempotent: typeof item.isIdempotent === 'boolean' ? item.isIdempotent : undefined,
        };
        const tactics = Array.isArray(item.mitreAttackTactics) ? strList(item.mitreAttackTactics) : [tactic];
        for (const t of tactics) if (!e.tactics.includes(t)) e.tactics.push(t);
        for (const c of catalogIdsOf(ctx, file, id, item.frameworkmappings)) if (!e.catalogIds.includes(c)) e.catalogIds.push(c);
        entries.set(id, e);
      }
    }
  }
  return entries;
}

function techniqueRefs(catalogIds: string[]): TechniqueRef[] {
  const byId = new Map<string, TechniqueRef>();
  for (const raw of catalogIds) {
    const ref = catalogRef(raw);
    const prev = byId.get(ref.id);
    if (!prev) byId.set(ref.id, ref);
    else if (ref.note) prev.note = prev.note ? `${prev.note}; ${ref.note.replace('AWS Threat Technique Catalog ', '')}` : ref.note;
  }
  return [...byId.values()];
}

function entryRecord(file: string, e: Entry): ResourceRecord {
  const meta: Record<string, unknown> = { platforms: [e.platform], tactics: e.tactics, executor: 'stratus detonate' };
  if (e.slow !== undefined) meta.slow = e.slow;
  if (e.idempotent !== undefined) meta.idempotent = e.idempotent;
  if (e.catalogIds.length) meta.catalogIds = e.catalogIds;
  return {
    key: `${INDEX}#${e.id}`,
    upstreamId: e.id,
    title: e.name,
    url: stratusDocUrl(e.platform, e.id),
    breadcrumb: [e.platform],
    description: `Tactics: ${e.tactics.join(', ')}`,
    deprecated: false,
    file,
    meta,
    // A Stratus technique is detonated by `stratus detonate` against the platform's API.
    facets: { platforms: facetNames([e.platform]), executors: ['stratus detonate'] },
    techniques: techniqueRefs(e.catalogIds),
  };
}

export const stratusRedTeamSource = defineFileSource({
  name: 'stratus-red-team',
  title: 'Stratus Red Team',
  pillar: 'test',
  order: 60,
  homepage: 'https://stratus-red-team.cloud/',
  upstream: { repo: 'DataDog/stratus-red-team', defaultRef: 'main', paths: [INDEX] },
  license: 'Apache-2.0',
  resourceKind: 'Stratus attack technique (one id in `docs/index.yaml`)',
  mapsVia: '`frameworkmappings[].techniques[].id` (Threat Technique Catalog for AWS; `T1485.A002` → T1485); tactic-only entries are unmapped',
  summaryFields: ['platforms', 'tactics', 'note'],
  files: [INDEX],
  format: 'yaml',
  shape: 'mapping',
  shapeName: 'platforms',
  toRecords: (doc, { ctx, file }) => [...collectEntries(ctx, file, doc).values()].map((e) => entryRecord(file, e)),
});
