/**
 * The log-source vocabulary (vocabulary.yaml beside this module's source): canonical telemetry
 * names, the aliases each upstream uses for them, and Sigma's generic categories as kinds that
 * several sources provide. Loading checks it whole: duplicate ids, an alias claimed twice, or a
 * provider that does not exist are errors, not silent overrides.
 */
import { PurplebookError } from '../core/errors.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LIMITS, type LogSourceScheme } from '../sources/types.js';
import { parseYaml } from '../sources/lib/parse.js';

export const SCHEMES: readonly LogSourceScheme[] = ['sigma', 'elastic-index', 'elastic-integration', 'splunk', 'splunk-macro', 'sentinel', 'car', 'atc', 'attack', 'eql', 'gcp'];

/**
 * `channel`: a log with numbered events (a profile takes it whole or event by event); `event`: one
 * of its events; `source`: a log named as a whole; `kind`: an event kind any of `providedBy` gives.
 */
export type EntryKind = 'channel' | 'event' | 'source' | 'kind';

export interface VocabularyEntry {
  id: string;
  title: string;
  kind: EntryKind;
  /** The profile name (`sysmon`, `aws-cloudtrail`); an event shares its channel's. */
  profile?: string;
  /** Events: the number, and the channel id. */
  /** An event number (`4688`) or, for product feeds, an event type (`process`). */
  event?: number | string;
  channel?: string;
  /** Kinds: the concrete ids that provide it. */
  providedBy?: string[];
}

export interface Vocabulary {
  entries: Map<string, VocabularyEntry>;
  /** Alias key (see `aliasKey`) → canonical id. */
  aliases: Map<string, string>;
  /** Alias keys too broad to say what a rule reads. */
  ignored: Set<string>;
  /** Profile name → the channel or source id it names. */
  profiles: Map<string, string>;
  /** Channel id → its event ids, ascending. */
  events: Map<string, string[]>;
  /** Concrete id → the kinds it provides. */
  provides: Map<string, string[]>;
}

export class VocabularyError extends PurplebookError {}

/** Upstream spellings compared as one: case, surrounding space, and an index pattern's trailing `*`, `-*`, `.*`. */
export function normalizeName(scheme: LogSourceScheme, name: string): string {
  let n = name.trim().toLowerCase().replace(/\s+/g, ' ');
  if (scheme === 'elastic-index') {
    // Stripping a character class from the end is linear: no backtracking regex on upstream text.
    let end = n.length;
    while (end > 0 && '*-.'.includes(n[end - 1]!)) end--;
    n = n.slice(0, end);
  }
  return n;
}

export function sigmaKey(product: string | undefined, category: string | undefined, service: string | undefined): string {
  const part = (v: string | undefined) => (v ?? '').trim().toLowerCase();
  return `sigma:${part(product)}|${part(category)}|${part(service)}`;
}

export function aliasKey(scheme: LogSourceScheme, name: string): string {
  return `${scheme}:${normalizeName(scheme, name)}`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** Reads a vocabulary document; every problem is a VocabularyError naming the entry. */
export function parseVocabulary(text: string): Vocabulary {
  const doc = parseYaml(text, DEFAULT_LIMITS);
  if (!isRecord(doc)) throw new VocabularyError('the vocabulary is not a mapping of channels, sources, kinds and ignore');
  const v: Vocabulary = { entries: new Map(), aliases: new Map(), ignored: new Set(), profiles: new Map(), events: new Map(), provides: new Map() };

  const add = (e: VocabularyEntry) => {
    if (!/^[a-z0-9][a-z0-9_.-]*(?::[a-z0-9_.-]+)+$/.test(e.id)) throw new VocabularyError(`id "${e.id}" is not lowercase words separated by colons`);
    if (v.entries.has(e.id)) throw new VocabularyError(`id ${e.id} appears twice`);
    if (!e.title) throw new VocabularyError(`${e.id} has no title`);
    v.entries.set(e.id, e);
    if (e.profile && e.kind !== 'event') {
      if (v.profiles.has(e.profile)) throw new VocabularyError(`profile name ${e.profile} is used by ${v.profiles.get(e.profile)} and ${e.id}`);
      v.profiles.set(e.profile, e.id);
    }
  };
  const addAliases = (id: string, raw: unknown) => {
    if (raw === undefined) return;
    if (!isRecord(raw)) throw new VocabularyError(`${id}: aliases must be a mapping of scheme → names`);
    for (const [scheme, names] of Object.entries(raw)) {
      if (!SCHEMES.includes(scheme as LogSourceScheme)) throw new VocabularyError(`${id}: unknown alias scheme "${scheme}" (one of ${SCHEMES.join(', ')})`);
      if (!Array.isArray(names)) throw new VocabularyError(`${id}: ${scheme} aliases must be a list`);
      for (const n of names) {
        let key: string;
        if (scheme === 'sigma') {
          if (!isRecord(n)) throw new VocabularyError(`${id}: a sigma alias is {product, category, service}`);
          key = sigmaKey(str(n.product), str(n.category), str(n.service));
        } else {
          const name = str(n) ?? (typeof n === 'number' ? String(n) : undefined);
          if (!name) throw new VocabularyError(`${id}: empty ${scheme} alias`);
          key = aliasKey(scheme as LogSourceScheme, name);
        }
        const prev = v.aliases.get(key);
        if (prev) throw new VocabularyError(`alias ${key} belongs to both ${prev} and ${id}`);
        v.aliases.set(key, id);
      }
    }
  };
  const list = (key: string): unknown[] => {
    const l = doc[key];
    if (l === undefined) return [];
    if (!Array.isArray(l)) throw new VocabularyError(`${key} must be a list`);
    return l;
  };

  for (const c of list('channels')) {
    if (!isRecord(c)) throw new VocabularyError('a channel is a mapping');
    const id = str(c.id) ?? '';
    add({ id, title: str(c.title) ?? '', kind: 'channel', profile: str(c.profile) });
    addAliases(id, c.aliases);
    if (!isRecord(c.events)) throw new VocabularyError(`channel ${id} has no events`);
    const ids: string[] = [];
    // Numbered events in numeric order; a product feed's named event types (`process`) after them.
    const order = (k: string) => (/^\d+$/.test(k) ? Number(k) : Infinity);
    for (const [n, e] of Object.entries(c.events).sort((a, b) => order(a[0]) - order(b[0]) || (a[0] < b[0] ? -1 : 1))) {
      if (!/^(?:\d{1,6}|[a-z][a-z0-9_]{0,39})$/.test(n)) throw new VocabularyError(`channel ${id}: event "${n}" is neither a number nor a lowercase name`);
      if (!isRecord(e)) throw new VocabularyError(`channel ${id}: event ${n} is not a mapping`);
      const event = /^\d+$/.test(n) ? Number(n) : n;
      const eid = `${id}:${event}`;
      add({ id: eid, title: str(e.title) ?? '', kind: 'event', profile: str(c.profile), event, channel: id });
      addAliases(eid, e.aliases);
      ids.push(eid);
    }
    v.events.set(id, ids);
  }
  for (const s of list('sources')) {
    if (!isRecord(s)) throw new VocabularyError('a source is a mapping');
    const id = str(s.id) ?? '';
    add({ id, title: str(s.title) ?? '', kind: 'source', profile: str(s.profile) });
    addAliases(id, s.aliases);
  }
  const kinds: VocabularyEntry[] = [];
  for (const k of list('kinds')) {
    if (!isRecord(k)) throw new VocabularyError('a kind is a mapping');
    const id = str(k.id) ?? '';
    const providedBy = Array.isArray(k.providedBy) ? k.providedBy.map((p) => String(p)) : [];
    if (!providedBy.length) throw new VocabularyError(`kind ${id} has no providedBy`);
    const e: VocabularyEntry = { id, title: str(k.title) ?? '', kind: 'kind', providedBy };
    add(e);
    kinds.push(e);
    addAliases(id, k.aliases);
  }
  for (const k of kinds) {
    for (const p of k.providedBy!) {
      const target = v.entries.get(p);
      if (!target) throw new VocabularyError(`kind ${k.id}: provider ${p} is not in the vocabulary`);
      if (target.kind === 'kind') throw new VocabularyError(`kind ${k.id}: provider ${p} is itself a kind`);
      v.provides.set(p, [...(v.provides.get(p) ?? []), k.id]);
    }
  }
  const ignore = doc.ignore;
  if (ignore !== undefined) {
    if (!isRecord(ignore)) throw new VocabularyError('ignore must be a mapping of scheme → names');
    for (const [scheme, names] of Object.entries(ignore)) {
      if (!SCHEMES.includes(scheme as LogSourceScheme) || scheme === 'sigma') throw new VocabularyError(`ignore: unknown scheme "${scheme}"`);
      if (!Array.isArray(names)) throw new VocabularyError(`ignore: ${scheme} must be a list`);
      for (const n of names) {
        const key = aliasKey(scheme as LogSourceScheme, String(n));
        if (v.aliases.has(key)) throw new VocabularyError(`ignore: ${key} is also an alias of ${v.aliases.get(key)}`);
        v.ignored.add(key);
      }
    }
  }
  return v;
}

/**
 * Where the shipped vocabulary lives: `src/telemetry/vocabulary.yaml` two folders up from this
 * module, whether it runs from `src/telemetry` (tests) or `dist/telemetry` (the built CLI).
 */
export const VOCABULARY_FILE = fileURLToPath(new URL('../../src/telemetry/vocabulary.yaml', import.meta.url));

let shipped: Vocabulary | undefined;

export function loadVocabulary(): Vocabulary {
  shipped ??= parseVocabulary(readFileSync(VOCABULARY_FILE, 'utf8'));
  return shipped;
}

/** What a profile calls the entry: `sysmon 1`, `windows-security 4688`, `aws-cloudtrail`; a kind by its id. */
export function shortLabel(v: Vocabulary, id: string): string {
  const e = v.entries.get(id);
  if (!e) return id;
  if (e.kind === 'event') return `${e.profile ?? e.channel} ${e.event}`;
  return e.profile ?? id;
}

/** `sysmon 1 (Process creation)`, `Windows process creation (sysmon 1 or windows-security 4688)`, `AWS CloudTrail`: for people. */
export function entryLabel(v: Vocabulary, id: string): string {
  const e = v.entries.get(id);
  if (!e) return id;
  if (e.kind === 'event') return `${shortLabel(v, id)} (${e.title})`;
  if (e.kind === 'kind') return `${e.title} (${e.providedBy!.map((p) => shortLabel(v, p)).join(' or ')})`;
  return e.title;
}
