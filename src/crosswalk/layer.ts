/**
 * A Navigator layer (any 4.x) made on an older ATT&CK, translated into the loaded release:
 * every entry's id follows the crosswalk, its tactic is re-derived, entries that now name the
 * same (technique, tactic) combine as the layer's aggregate function says. Everything else in the
 * layer (scores, colours, comments, metadata, gradient, filters) is kept; entries that cannot be
 * translated are kept unchanged, so nothing the user wrote is lost.
 */
import { normalizeTechniqueId } from '../resolve.js';
import { majorOf, translated, type Crosswalk, type Translation } from './translate.js';
import { InputError } from '../core/errors.js';

type Json = Record<string, unknown>;

export class LayerInputError extends InputError {}

export interface EntryChange {
  from: { techniqueID: string; tactic?: string };
  to: { techniqueID: string; tactic?: string }[];
  notes: string[];
}

export interface LayerTranslation {
  layer: Json;
  /** The release the layer says it was made on (`versions.attack`), if it says. */
  layerVersion?: string;
  /** One per distinct technique id of the layer. */
  translations: Translation[];
  /** Entries whose id or tactic changed. */
  changes: EntryChange[];
  /** Entries merged into another (same technique and tactic after translation). */
  merged: number;
  /** Facts about the whole layer (newer than the loaded ATT&CK, …). */
  warnings: string[];
}

const AGGREGATES = ['average', 'min', 'max', 'sum'] as const;
type Aggregate = (typeof AGGREGATES)[number];

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function isLayer(doc: unknown): doc is Json {
  return isObject(doc) && Array.isArray(doc.techniques);
}

function aggregateOf(layer: Json): Aggregate {
  const f = isObject(layer.layout) ? layer.layout.aggregateFunction : undefined;
  return AGGREGATES.includes(f as Aggregate) ? (f as Aggregate) : 'max';
}

function combineScores(scores: number[], how: Aggregate): number {
  if (how === 'min') return Math.min(...scores);
  if (how === 'sum') return scores.reduce((a, b) => a + b, 0);
  if (how === 'average') return scores.reduce((a, b) => a + b, 0) / scores.length;
  return Math.max(...scores);
}

const uniqueJson = (items: unknown[]): unknown[] => {
  const seen = new Set<string>();
  return items.filter((i) => {
    const k = JSON.stringify(i);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
};

/** Several entries that now name the same technique and tactic, as one. */
function combine(entries: Json[], how: Aggregate): Json {
  const out: Json = { ...entries[0]! };
  const scores = entries.map((e) => e.score).filter((s): s is number => typeof s === 'number' && Number.isFinite(s));
  if (scores.length) out.score = combineScores(scores, how);
  const comments = [...new Set(entries.map((e) => e.comment).filter((c): c is string => typeof c === 'string' && c !== ''))];
  if (comments.length) out.comment = comments.join('\n');
  const color = entries.map((e) => e.color).find((c) => typeof c === 'string' && c !== '');
  if (color !== undefined) out.color = color;
  if (entries.some((e) => typeof e.enabled === 'boolean')) out.enabled = entries.some((e) => e.enabled !== false);
  if (entries.some((e) => e.showSubtechniques === true)) out.showSubtechniques = true;
  for (const key of ['metadata', 'links'] as const) {
    const all = entries.flatMap((e) => (Array.isArray(e[key]) ? (e[key] as unknown[]) : []));
    if (all.length) out[key] = uniqueJson(all);
  }
  return out;
}

export function translateLayer(doc: unknown, cw: Crosswalk): LayerTranslation {
  if (!isLayer(doc)) throw new LayerInputError('not an ATT&CK Navigator layer (no "techniques" list)');
  const entries = doc.techniques as unknown[];
  const warnings: string[] = [];
  const versions = isObject(doc.versions) ? doc.versions : {};
  const layerVersion = typeof versions.attack === 'string' || typeof versions.attack === 'number' ? String(versions.attack) : undefined;
  if (layerVersion && Number(majorOf(layerVersion)) > Number(majorOf(cw.to.version))) {
    warnings.push(`the layer was made on ATT&CK ${layerVersion}, newer than the loaded ${cw.to.version}: \`purplebook sync\` fetches the newer release`);
  }
  const ids = entries.filter(isObject).map((e) => e.techniqueID).filter((x): x is string => typeof x === 'string');
  const translations = cw.translateAll(ids);
  // translateAll keeps each normalized id once, under the spelling seen first.
  const byKey = new Map(translations.map((t) => [normalizeTechniqueId(t.input), t]));
  const lookup = (raw: string) => byKey.get(normalizeTechniqueId(raw))!;

  // Tactics each old id is listed under: a renamed tactic is the one its siblings do not take.
  const siblingsOf = new Map<string, Set<string>>();
  for (const e of entries) {
    if (!isObject(e) || typeof e.techniqueID !== 'string' || typeof e.tactic !== 'string') continue;
    const key = lookup(e.techniqueID).id;
    siblingsOf.set(key, (siblingsOf.get(key) ?? new Set()).add(e.tactic));
  }

  const how = aggregateOf(doc);
  const groups = new Map<string, Json[]>();
  const changes: EntryChange[] = [];
  let skipped = 0;
  for (const e of entries) {
    if (!isObject(e) || typeof e.techniqueID !== 'string') {
      // Not an entry Navigator could show: kept as it is, under a key of its own.
      groups.set(`#${skipped++}`, [e as Json]);
      continue;
    }
    const t = lookup(e.techniqueID);
    const tactic = typeof e.tactic === 'string' ? e.tactic : undefined;
    if (!translated(t)) {
      groups.set(`#${skipped++}`, [e]);
      continue;
    }
    const to: EntryChange['to'] = [];
    const notes: string[] = [];
    for (const id of t.ids) {
      const now = cw.to.technique(id)!;
      const siblings = new Set([...(siblingsOf.get(t.id) ?? [])].filter((s) => s !== tactic));
      const d = cw.deriveTactic(tactic, now, siblings);
      if (d.note) notes.push(d.note);
      for (const newTactic of d.tactics ?? [undefined]) {
        const next: Json = { ...e, techniqueID: id };
        if (newTactic) next.tactic = newTactic;
        else delete next.tactic;
        to.push({ techniqueID: id, ...(newTactic ? { tactic: newTactic } : {}) });
        const key = `${id}|${newTactic ?? ''}`;
        groups.set(key, [...(groups.get(key) ?? []), next]);
      }
    }
    if (to.length !== 1 || to[0]!.techniqueID !== e.techniqueID || to[0]!.tactic !== tactic) {
      changes.push({ from: { techniqueID: e.techniqueID, ...(tactic ? { tactic } : {}) }, to, notes: [...t.notes, ...notes] });
    }
  }
  let merged = 0;
  const techniques = [...groups.values()].map((g) => {
    merged += g.length - 1;
    return g.length === 1 ? g[0]! : combine(g, how);
  });
  const fromVersion = layerVersion ?? (cw.from ? majorOf(cw.from.version) : 'an earlier release');
  const metadata = Array.isArray(doc.metadata) ? [...(doc.metadata as unknown[])] : [];
  metadata.push({ name: 'ATT&CK crosswalk', value: `translated from ATT&CK ${fromVersion} to ${cw.to.version} by purplebook translate` });
  const layer: Json = { ...doc, versions: { ...versions, attack: majorOf(cw.to.version) }, techniques, metadata };
  return { layer, ...(layerVersion ? { layerVersion } : {}), translations, changes, merged, warnings };
}
