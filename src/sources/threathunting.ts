/**
 * ThreatHunting Splunk app (olafhartong/ThreatHunting): one resource per hunt stanza of
 * `default/savedsearches.conf`, named `[T1101] Security Support Provider`. The search also sets
 * `mitre_technique_id="T1101"`; where the two disagree upstream (a copied search that kept the
 * old id) the stanza name agrees with `mitre_technique`, so the stanza id is used and the
 * disagreement is reported. `T0000` is the upstream's "no technique" placeholder.
 */
import { namedLogSources, ruleLogic } from './lib/logic.js';
import type { ResourceRecord } from './types.js';
import { defineFileSource, type FileInput } from './lib/file-source.js';
import { capString } from './lib/values.js';
import { oneLine } from './lib/links.js';

const CONF = 'default/savedsearches.conf';
/** Searches longer than this are cut; the link leads to the full text. */
export const THREATHUNTING_SEARCH_MAX = 1000;
const PLACEHOLDER = 'T0000';

export interface ConfStanza {
  name: string;
  /** 1-based line of the `[name]` header. */
  line: number;
  values: Map<string, string>;
}

/**
 * Splunk .conf text as stanzas. A value whose line ends in `\` continues on the next line (the
 * line break is kept), so continuation lines that start with `[` (SPL subsearches) are not
 * stanza headers. Lines outside any stanza and `#` comments are ignored; a line that is neither
 * is reported through `onBadLine`.
 */
export function parseConf(text: string, onBadLine: (line: number, content: string) => void = () => {}): ConfStanza[] {
  const stanzas: ConfStanza[] = [];
  let current: ConfStanza | undefined;
  let continuing: { key: string; parts: string[] } | undefined;
  const lines = text.split(/\r?\n/);
  const finish = () => {
    if (continuing && current) current.values.set(continuing.key, continuing.parts.join('\n'));
    continuing = undefined;
  };
  for (const [i, line] of lines.entries()) {
    if (continuing) {
      const more = line.endsWith('\\');
      continuing.parts.push(more ? line.slice(0, -1) : line);
      if (!more) finish();
      continue;
    }
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    if (trimmed.startsWith('[') && trimmed.endsWith(']')) {
      current = { name: trimmed.slice(1, -1).trim(), line: i + 1, values: new Map() };
      stanzas.push(current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || !line.slice(0, eq).trim()) {
      if (current) onBadLine(i + 1, trimmed);
      continue;
    }
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).replace(/^[ \t]+/, '');
    if (value.endsWith('\\')) continuing = { key, parts: [value.slice(0, -1)] };
    else current?.values.set(key, value);
  }
  finish();
  return stanzas;
}

/**
 * `[T1101] Security Support Provider` → id and title; undefined for support stanzas (`[TH-SUPP] …`).
 * Whatever the brackets hold after `T` and a digit is the id (`[T1059 .001]`, `[T10 12]`, a stray
 * control character), so resolution reports a damaged id instead of the hunt vanishing unseen
 * as a support stanza.
 */
export function huntName(stanza: string): { id: string; title: string } | undefined {
  const m = /^\[\s*(T\d[^\]]*?)\s*\]\s*(.*)$/i.exec(stanza);
  return m ? { id: m[1]!, title: m[2]!.trim() || m[1]! } : undefined;
}

/** The `eval x="…"` values the hunt searches set for their results. */
function evalValue(search: string, field: string): string | undefined {
  return new RegExp(`\\b${field}\\s*=\\s*"([^"]*)"`).exec(search)?.[1]?.trim() || undefined;
}

/** Splunk macros naming log sources (`sysmon`, `windows-security`), not the whitelist/index helpers. */
function dataSourceMacros(search: string): string[] {
  const names = [...search.matchAll(/`([\w-]+)`/g)].map((m) => m[1]!);
  return [...new Set(names.filter((n) => n !== 'indextime' && !/_whitelist$|_index$/.test(n)))];
}


function huntRecord(stanza: ConfStanza, hunt: { id: string; title: string }, n: number, { file, warn, link }: FileInput): ResourceRecord {
  const search = stanza.values.get('search') ?? '';
  const placeholder = hunt.id.toUpperCase() === PLACEHOLDER;
  const searchId = evalValue(search, 'mitre_technique_id');
  if (searchId && searchId.toUpperCase() !== hunt.id.toUpperCase()) {
    warn(`stanza [${stanza.name}] (line ${stanza.line}) names ${hunt.id} but its search sets mitre_technique_id="${searchId}": the stanza id is used`);
  }
  const meta: Record<string, unknown> = { language: 'SPL' };
  const category = evalValue(search, 'mitre_category');
  if (category) meta.tactics = category.split(',').map((t) => t.trim().replace(/_/g, ' ')).filter(Boolean);
  const sources = dataSourceMacros(search);
  if (sources.length) meta.dataSources = sources;
  const cron = stanza.values.get('cron_schedule')?.trim();
  if (cron) meta.schedule = cron;
  if (stanza.values.get('enableSched')?.trim() === '0') meta.scheduled = false;
  if (placeholder) meta.placeholderTechnique = PLACEHOLDER;
  if (searchId && searchId.toUpperCase() !== hunt.id.toUpperCase()) meta.searchTechniqueId = searchId;
  const s = capString(search, THREATHUNTING_SEARCH_MAX);
  if (s) meta.search = s;
  return {
    key: `${CONF}#${n}`,
    upstreamId: stanza.name,
    title: hunt.title,
    url: `${link()}#L${stanza.line}`,
    description: oneLine(stanza.values.get('description')),
    deprecated: false,
    file,
    meta,
    facets: { logSources: namedLogSources('splunk-macro', sources) },
    logic: ruleLogic('spl', search),
    techniques: placeholder ? [] : [{ id: hunt.id }],
  };
}

function* huntRecords(input: FileInput): Generator<ResourceRecord> {
  const { text, warn } = input;
  const stanzas = parseConf(text, (line, content) => warn(`line ${line}: not a \`key = value\` line: ${oneLine(content, 80)}`));
  if (!stanzas.length) warn('no [stanza] found');
  for (const [i, stanza] of stanzas.entries()) {
    const hunt = huntName(stanza.name);
    // Stanzas not named after a technique are the app's support searches, not hunts.
    if (hunt) yield huntRecord(stanza, hunt, i + 1, input);
  }
}

export const threatHuntingSource = defineFileSource({
  name: 'threathunting',
  title: 'ThreatHunting Splunk app (olafhartong)',
  pillar: 'detection',
  order: 72,
  upstream: { repo: 'olafhartong/ThreatHunting', defaultRef: 'master', paths: [CONF] },
  license: 'MIT',
  resourceKind: 'Splunk (SPL) hunt over Sysmon / Windows Security (one `[Txxxx] title` stanza of `default/savedsearches.conf`)',
  mapsVia: 'the `[Txxxx]` stanza name (also `mitre_technique_id` in the search); `T0000` is a placeholder',
  summaryFields: ['language', 'tactics', 'dataSources'],
  detectionKind: { kind: 'rule', why: 'a `savedsearches.conf` stanza is an SPL `search` Splunk runs' },
  files: [CONF],
  format: 'text',
  toRecords: (_text, input) => huntRecords(input),
});
