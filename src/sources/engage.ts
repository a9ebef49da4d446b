/**
 * MITRE Engage: adversary engagement (denial, deception) activities mapped to the ATT&CK
 * techniques whose use exposes an adversary vulnerability they exploit.
 *
 * `attack_mapping.json` holds the mapping rows (technique, vulnerability EAV, activity EAC);
 * `activity_details.json` names each activity and lists its goals and approaches, whose names
 * come from `goals.json` / `approaches.json`. One resource per Engagement Activity that has a
 * mapping (Strategic Activities, SAC…, are planning steps with no ATT&CK mapping). One
 * TechniqueRef per (activity, technique): several rows differ only by vulnerability, so their
 * vulnerability texts are joined in the note.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { githubBlob, oneLine } from './lib/links.js';
import { readDocument } from './lib/file-source.js';
import { isRecord as isObj, str, strList as strings, type Mapping as Obj } from './lib/values.js';
import type { LoadContext, ResourceRecord, Source, TechniqueRef } from './types.js';

const REPO = 'mitre/engage';
const DEFAULT_REF = 'main';
const DIR = 'engage/Data/json';
const FILES = {
  mapping: `${DIR}/attack_mapping.json`,
  details: `${DIR}/activity_details.json`,
  activities: `${DIR}/activities.json`,
  approaches: `${DIR}/approaches.json`,
  goals: `${DIR}/goals.json`,
};

/** A JSON file of the expected top-level shape, or undefined after a warning. */
function readList(ctx: LoadContext, file: string, optional: boolean): unknown[] | undefined {
  return optional && !readable(ctx, file) ? undefined : readDocument(ctx, file, 'json', 'list');
}

/** Optional lookup files: absence is not a problem, a broken file is. */
function readable(ctx: LoadContext, file: string): boolean {
  return existsSync(join(ctx.dataDir, file));
}

/** `EAP0001` → `Collect`, from a list of `{id, name}` objects. */
function namesById(list: unknown[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of list ?? []) {
    if (isObj(item) && str(item.id) && str(item.name)) out.set(str(item.id)!, str(item.name)!);
  }
  return out;
}

interface Activity {
  id: string;
  name?: string;
  description?: string;
  type?: string;
  goals: string[];
  approaches: string[];
}

function activitiesFrom(details: Obj | undefined, list: unknown[] | undefined): Map<string, Activity> {
  const out = new Map<string, Activity>();
  for (const item of list ?? []) {
    if (!isObj(item) || !str(item.id)) continue;
    out.set(str(item.id)!, { id: str(item.id)!, name: str(item.name), description: str(item.description), goals: [], approaches: [] });
  }
  for (const [id, d] of Object.entries(details ?? {})) {
    if (!isObj(d)) continue;
    const prev = out.get(id);
    out.set(id, {
      id,
      name: str(d.name) ?? prev?.name,
      description: str(d.description) ?? prev?.description,
      type: str(d.type),
      goals: strings(d.goals),
      approaches: strings(d.approaches),
    });
  }
  return out;
}

interface Pair {
  ref: TechniqueRef;
  vulnerabilities: string[];
}

interface Mapped {
  activityId: string;
  /** Activity name as the mapping row spells it, in case the details file lacks it. */
  name?: string;
  pairs: Map<string, Pair>;
}

function collectMappings(ctx: LoadContext, rows: unknown[]): Map<string, Mapped> {
  const out = new Map<string, Mapped>();
  rows.forEach((row, i) => {
    if (!isObj(row)) return ctx.warn(FILES.mapping, `[${i}]: not an object`);
    const eac = str(row.eac_id);
    const technique = typeof row.attack_id === 'string' && row.attack_id.trim() ? row.attack_id : undefined;
    if (!eac || !technique) return ctx.warn(FILES.mapping, `[${i}]: eac_id or attack_id missing or not a string`);
    let mapped = out.get(eac);
    if (!mapped) out.set(eac, (mapped = { activityId: eac, name: str(row.eac), pairs: new Map() }));
    let pair = mapped.pairs.get(technique);
    if (!pair) mapped.pairs.set(technique, (pair = { ref: { id: technique, relation: 'engages' }, vulnerabilities: [] }));
    const eav = [str(row.eav_id), str(row.eav)].filter(Boolean).join(': ');
    if (eav && !pair.vulnerabilities.includes(eav)) pair.vulnerabilities.push(eav);
  });
  return out;
}

function record(ctx: LoadContext, mapped: Mapped, activity: Activity | undefined, goals: Map<string, string>, approaches: Map<string, string>): ResourceRecord {
  const id = mapped.activityId;
  const techniques = [...mapped.pairs.values()].map(({ ref, vulnerabilities }) =>
    vulnerabilities.length ? { ...ref, note: oneLine(vulnerabilities.join(' | '), 1000) } : ref,
  );
  const meta: Record<string, unknown> = {
    type: activity?.type,
    goals: (activity?.goals ?? []).map((g) => goals.get(g) ?? g),
    approaches: (activity?.approaches ?? []).map((a) => approaches.get(a) ?? a),
  };
  return {
    key: id,
    upstreamId: id,
    title: oneLine(activity?.name ?? mapped.name ?? id, 200),
    // engage.mitre.org serves one page per activity under its id.
    url: /^[ES]AC\d{4}$/.test(id) ? `https://engage.mitre.org/activities/${id}/` : githubBlob(REPO, ctx.provenance, DEFAULT_REF, 'Data/json/attack_mapping.json'),
    description: activity?.description ? oneLine(activity.description) : undefined,
    file: FILES.mapping,
    meta,
    techniques,
  };
}

function* loadEngage(ctx: LoadContext): Generator<ResourceRecord> {
  const rows = readList(ctx, FILES.mapping, false);
  if (!rows) return;
  const details = readDocument(ctx, FILES.details, 'json', 'mapping');
  const activities = activitiesFrom(details, readList(ctx, FILES.activities, true));
  const goals = namesById(readList(ctx, FILES.goals, true));
  const approaches = namesById(readList(ctx, FILES.approaches, true));
  const mapped = collectMappings(ctx, rows);
  for (const id of [...mapped.keys()].sort()) yield record(ctx, mapped.get(id)!, activities.get(id), goals, approaches);
}

export const engageSource: Source = {
  name: 'engage',
  title: 'MITRE Engage',
  pillar: 'policy',
  order: 50,
  homepage: 'https://engage.mitre.org/',
  folder: 'engage',
  upstream: { repo: REPO, defaultRef: DEFAULT_REF, paths: ['Data/json/*.json'] },
  license: 'Apache-2.0',
  resourceKind: 'Engage engagement activity (denial / deception, EAC…)',
  mapsVia: '`attack_mapping.json` rows: ATT&CK technique → adversary vulnerability (EAV) → activity (EAC)',
  summaryFields: ['approaches', 'note'],
  load: loadEngage,
};
