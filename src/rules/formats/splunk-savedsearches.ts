/**
 * Splunk `savedsearches.conf`, read with the ThreatHunting connector's `parseConf`: one rule per
 * stanza that is a saved search (has a `search`, or an ATT&CK annotation), `[default]` excluded.
 * ATT&CK ids, in this order of preference:
 * - `action.correlationsearch.annotations = {"mitre_attack": ["T1003.001"], ...}`: Enterprise
 *   Security correlation searches, and ESCU since it moved to ES annotations;
 * - `action.escu.mappings = {"mitre_attack": [...], ...}`: older ESCU packages;
 * - when neither key is there, the olafhartong/ThreatHunting convention: a `[T1003] title` stanza
 *   name, else `mitre_technique_id="T1003"` set by the search.
 * The JSON list may also be a single string (`"T1003, T1059"`), as hand-written stanzas have it.
 * Deprecated: ESCU's marking (label `ESCU - Deprecated - …`, or its warning at the start of the
 * description). `disabled = 1` is only switched off, not deprecated.
 */
import { isRecord } from '../../sources/lib/documents.js';
import { parseJson, reason } from '../../sources/lib/parse.js';
import { huntName, parseConf, type ConfStanza } from '../../sources/threathunting.js';
import { str, TECHNIQUE_ID, titleText, uniqueIds, type FormatContext, type RuleDraft } from './common.js';

const ANNOTATION_KEYS = ['action.correlationsearch.annotations', 'action.escu.mappings'] as const;
/** Keys of the annotation object that hold ATT&CK ids; `mitre_attack` is the one Splunk writes. */
const ATTACK_FIELDS = /^(?:mitre_attack|mitre_attack_id|mitre_technique_id)$/i;
const LABEL = 'action.correlationsearch.label';
/** The ThreatHunting app's "no technique" placeholder. */
const PLACEHOLDER = 'T0000';
const DEPRECATED_LABEL = /^ESCU\s*-\s*Deprecated\b/i;
const DEPRECATED_NOTE = /this detection has been marked deprecated/i;
const BAD_LINES_REPORTED = 10;

function truthy(v: string | undefined): boolean {
  return v !== undefined && /^(?:1|true|t|yes|y|on)$/i.test(v.trim());
}

function idList(value: unknown, where: string, ctx: FormatContext): string[] {
  if (typeof value === 'string') return value.split(/[\s,;]+/).filter(Boolean);
  if (!Array.isArray(value)) {
    ctx.warn(`${where} is neither a list nor a string: ignored`);
    return [];
  }
  if (value.some((x) => typeof x !== 'string')) ctx.warn(`${where} holds entries that are not strings: they are ignored`);
  return value.filter((x): x is string => typeof x === 'string');
}

/** Ids from the annotation keys, or undefined when the stanza has none of them. */
function annotatedIds(stanza: ConfStanza, label: string, ctx: FormatContext): string[] | undefined {
  let found = false;
  const ids: string[] = [];
  for (const key of ANNOTATION_KEYS) {
    const raw = stanza.values.get(key);
    if (raw === undefined) continue;
    found = true;
    let value: unknown;
    try {
      value = parseJson(raw, ctx.limits);
    } catch (e) {
      ctx.warn(`${label}: \`${key}\` is not JSON: ${reason(e)}`);
      continue;
    }
    if (!isRecord(value)) {
      ctx.warn(`${label}: \`${key}\` is not a JSON object: ignored`);
      continue;
    }
    for (const [field, v] of Object.entries(value)) {
      if (ATTACK_FIELDS.test(field)) ids.push(...idList(v, `${label}: \`${key}\` ${field}`, ctx));
    }
  }
  return found ? ids : undefined;
}

/** The ThreatHunting app's conventions, for stanzas without annotations. */
function conventionIds(stanza: ConfStanza): string[] {
  const fromName = huntName(stanza.name)?.id;
  if (fromName) return fromName.toUpperCase() === PLACEHOLDER ? [] : [fromName];
  const search = stanza.values.get('search') ?? '';
  const set = [...search.matchAll(/\bmitre_technique_id\s*=\s*"([^"]*)"/g)].map((m) => m[1]!.trim());
  return set.filter((id) => TECHNIQUE_ID.test(id) && id.toUpperCase() !== PLACEHOLDER);
}

function isSavedSearch(stanza: ConfStanza): boolean {
  if (stanza.name.toLowerCase() === 'default') return false;
  return stanza.values.has('search') || ANNOTATION_KEYS.some((k) => stanza.values.has(k));
}

export function readSplunkSavedsearches(text: string, ctx: FormatContext): RuleDraft[] {
  const bad: number[] = [];
  const stanzas = parseConf(text, (line) => bad.push(line));
  if (bad.length) {
    const shown = bad.slice(0, BAD_LINES_REPORTED).join(', ');
    ctx.warn(`${bad.length} line(s) are not \`key = value\`: line ${shown}${bad.length > BAD_LINES_REPORTED ? ', …' : ''}`);
  }
  const out: RuleDraft[] = [];
  for (const stanza of stanzas.filter(isSavedSearch)) {
    const where = `stanza [${stanza.name.slice(0, 80)}] (line ${stanza.line})`;
    const ids = annotatedIds(stanza, where, ctx) ?? conventionIds(stanza);
    const label = str(stanza.values.get(LABEL));
    const description = stanza.values.get('description') ?? '';
    const deprecated = DEPRECATED_LABEL.test(label ?? stanza.name) || DEPRECATED_NOTE.test(description);
    out.push({
      id: stanza.name,
      title: titleText(label) ?? titleText(huntName(stanza.name)?.title) ?? titleText(stanza.name) ?? `line ${stanza.line}`,
      deprecated,
      techniqueIds: uniqueIds(ids, ctx, where),
      line: stanza.line,
      ...(truthy(stanza.values.get('disabled')) ? { disabled: true } : {}),
    });
  }
  return out;
}
