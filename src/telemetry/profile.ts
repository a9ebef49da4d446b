/**
 * A telemetry profile (`telemetry.yaml`): the logs a team collects, as a YAML list of friendly
 * entries (`- sysmon: [1, 3]`, `- windows-security: [4688]`, `- aws-cloudtrail`, `- sysmon` for the
 * whole channel), canonical ids (`- windows:sysmon:1`) or exact Sigma triples
 * (`- sigma: {product: windows, category: process_creation}`). Resolved to canonical ids.
 */
import { InputError } from '../core/errors.js';
import { closeValues } from '../page/suggest.js';
import { DEFAULT_LIMITS } from '../sources/types.js';
import { parseYaml, reason } from '../sources/lib/parse.js';
import { sigmaKey, type Vocabulary } from './vocabulary.js';

/** Profiles are written by hand: more is a mistake, not a profile. */
export const PROFILE_MAX_BYTES = 1024 * 1024;
export const PROFILE_MAX_ENTRIES = 5000;

export class ProfileError extends InputError {}

export interface TelemetryProfile {
  /** Canonical ids the profile names (events of a whole channel included). */
  ids: Set<string>;
  /** The entries as written, one line each (`sysmon: 1, 3`), for reports. */
  entries: string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function unknownName(v: Vocabulary, name: string): ProfileError {
  const known = [...v.profiles.keys()].sort();
  const near = closeValues(name, [...known, ...[...v.entries.values()].filter((e) => e.kind !== 'kind').map((e) => e.id)]);
  return new ProfileError(`unknown log source "${name}"; ${near.length ? `closest known: ${near.join(', ')}` : `known: ${known.slice(0, 25).join(', ')} … (docs/telemetry.md lists them all)`}`);
}

/** Ids of one named entry (`sysmon`, `aws-cloudtrail`, `windows:sysmon:1`) with optional event numbers. */
/** A YAML scalar as the profile wrote it (resolveNamed has already refused anything else). */
function scalarText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

function resolveNamed(v: Vocabulary, name: string, events: unknown): string[] {
  const id = v.profiles.get(name.toLowerCase()) ?? (v.entries.has(name.toLowerCase()) ? name.toLowerCase() : undefined);
  const entry = id ? v.entries.get(id) : undefined;
  if (!id || !entry || entry.kind === 'kind') throw unknownName(v, name);
  if (events === null || events === undefined || events === 'all') {
    return entry.kind === 'channel' ? [id, ...(v.events.get(id) ?? [])] : [id];
  }
  if (entry.kind !== 'channel') throw new ProfileError(`${name} has no events to list: write \`- ${name}\``);
  const list = Array.isArray(events) ? events : [events];
  if (!list.length) throw new ProfileError(`${name}: an empty event list; list event numbers or write \`- ${name}\` for all`);
  const known = v.events.get(id) ?? [];
  return list.map((n) => {
    const eid = `${id}:${String(n).trim().toLowerCase()}`;
    if (!known.includes(eid)) {
      throw new ProfileError(`${name}: no event ${String(n)} in the vocabulary; known: ${known.map((k) => k.slice(id.length + 1)).join(', ')}`);
    }
    return eid;
  });
}

function resolveSigma(v: Vocabulary, raw: unknown): string {
  if (!isRecord(raw)) throw new ProfileError('a sigma entry is {product, category, service}');
  const field = (k: string) => {
    const x = raw[k];
    if (x !== undefined && x !== null && typeof x !== 'string') throw new ProfileError(`sigma ${k} must be text`);
    return x ?? undefined;
  };
  for (const k of Object.keys(raw)) if (!['product', 'category', 'service'].includes(k)) throw new ProfileError(`sigma entry: unknown field "${k}" (product, category, service)`);
  const key = sigmaKey(field('product'), field('category'), field('service'));
  const id = v.aliases.get(key);
  if (id) return id;
  const triples = [...v.aliases.keys()].filter((k) => k.startsWith('sigma:')).map((k) => [k.slice(6), k.slice(6).replace(/\|+$/, '').replace(/\|/g, '/')] as const);
  const near = closeValues(key.slice(6), triples);
  throw new ProfileError(`no Sigma log source ${key.slice(6).replace(/\|/g, '/')} in the vocabulary${near.length ? `; closest known: ${near.join(', ')}` : ''} (purplebook logsources --unmapped lists what upstream names)`);
}

/** Reads a profile's text; every mistake is a ProfileError of one line. */
export function parseProfile(text: string, v: Vocabulary): TelemetryProfile {
  if (Buffer.byteLength(text) > PROFILE_MAX_BYTES) throw new ProfileError(`larger than ${PROFILE_MAX_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = parseYaml(text, DEFAULT_LIMITS);
  } catch (e) {
    throw new ProfileError(`not valid YAML: ${reason(e)}`);
  }
  if (doc === null || doc === undefined) throw new ProfileError('holds no entry (write `[]` for a profile that collects nothing)');
  if (!Array.isArray(doc)) throw new ProfileError('must be a YAML list of log sources (`- sysmon: [1, 3]`, `- aws-cloudtrail`)');
  if (doc.length > PROFILE_MAX_ENTRIES) throw new ProfileError(`more than ${PROFILE_MAX_ENTRIES} entries`);
  const ids = new Set<string>();
  const entries: string[] = [];
  for (const [i, item] of doc.entries()) {
    const at = `entry ${i + 1}`;
    try {
      if (typeof item === 'string') {
        for (const id of resolveNamed(v, item.trim(), undefined)) ids.add(id);
        entries.push(item.trim());
        continue;
      }
      if (!isRecord(item) || Object.keys(item).length !== 1) throw new ProfileError('expected a name (`- aws-cloudtrail`) or one `name: events` pair');
      const [name, value] = Object.entries(item)[0]!;
      if (name === 'sigma') {
        ids.add(resolveSigma(v, value));
        entries.push(`sigma: ${JSON.stringify(value)}`);
      } else {
        for (const id of resolveNamed(v, name.trim(), value)) ids.add(id);
        entries.push(value === null ? name : `${name}: ${Array.isArray(value) ? value.join(', ') : scalarText(value)}`);
      }
    } catch (e) {
      if (e instanceof ProfileError) throw new ProfileError(`${at}: ${e.message}`);
      throw e;
    }
  }
  return { ids, entries };
}
