/**
 * Sentinel ATT&CK (BlueTeamLabs/sentinel-attack): one resource per Kusto analytic of
 * `detections/sentinel_attack_rules.json`. The ATT&CK id lives only in the description text
 * ("Checks for execution of MITRE ATT&CK T1003"); `T0000` is the upstream's placeholder for
 * "no technique" and is not passed on.
 */
import { kqlTables, namedLogSources, ruleLogic } from './lib/logic.js';
import type { ResourceRecord, TechniqueRef } from './types.js';
import { defineFileSource, type FileInput } from './lib/file-source.js';
import { capString as cap, isRecord, str as text } from './lib/values.js';
import { oneLine } from './lib/links.js';
import { techniqueIdsIn } from './lib/ids.js';

const RULES = 'detections/sentinel_attack_rules.json';
/** Queries longer than this are cut; the link leads to the full text. */
export const SENTINEL_ATTACK_QUERY_MAX = 1000;
const PLACEHOLDER = 'T0000';


/** Every ATT&CK-looking id written in a description, in order, without the `T0000` placeholder. */
export function techniqueIdsInText(description: string): { ids: string[]; placeholder: boolean } {
  const all = techniqueIdsIn(description);
  const ids = [...new Set(all.filter((id) => id.toUpperCase() !== PLACEHOLDER))];
  return { ids, placeholder: all.length > ids.length && all.some((id) => id.toUpperCase() === PLACEHOLDER) };
}

/** The table (or parser function) a KQL query starts from: `Sysmon | where …` gives `Sysmon`. */
export function kqlFirstTable(query: string): string | undefined {
  return /^\s*([A-Za-z_][\w]*)\s*(?:\||$)/.exec(query)?.[1];
}

/**
 * 1-based line of each analytic's `"displayName"` key, by analytic index, so a link can point at
 * the rule inside the single upstream file. Empty when the keys found do not match the analytics
 * that have a name (e.g. a minified file), rather than pointing at the wrong rule.
 */
function displayNameLines(raw: string, analytics: unknown[]): Map<number, number> {
  const lines: number[] = [];
  raw.split('\n').forEach((line, i) => {
    if (/^\s*"displayName"\s*:/.test(line)) lines.push(i + 1);
  });
  const named = analytics.flatMap((a, i) => (isRecord(a) && typeof a.displayName === 'string' ? [i] : []));
  return lines.length === named.length ? new Map(named.map((i, k) => [i, lines[k]!])) : new Map<number, number>();
}

function analyticRecord(a: Record<string, unknown>, n: number, line: number | undefined, { file, warn, link }: FileInput): ResourceRecord {
  const description = typeof a.description === 'string' ? a.description : '';
  const { ids, placeholder } = techniqueIdsInText(description);
  if (!ids.length && !placeholder) warn(`analytic #${n}: no ATT&CK id in the description`);
  const techniques: TechniqueRef[] = ids.map((id) => ({ id }));
  const query = typeof a.query === 'string' ? a.query : '';
  const meta: Record<string, unknown> = { language: 'KQL' };
  for (const [key, field] of [['severity', 'severity'], ['queryFrequency', 'queryFrequency'], ['queryPeriod', 'queryPeriod']] as const) {
    const v = text(a[field]);
    if (v) meta[key] = v;
  }
  const table = kqlFirstTable(query);
  if (table) meta.dataSource = table;
  if (a.enabled === false || a.enabled === 'false') meta.enabled = false;
  if (placeholder) meta.placeholderTechnique = PLACEHOLDER;
  const q = cap(query, SENTINEL_ATTACK_QUERY_MAX);
  if (q) meta.query = q;
  const page = link();
  return {
    key: `${RULES}#${n}`,
    title: text(a.displayName) ?? `Analytic #${n}`,
    url: line ? `${page}#L${line}` : page,
    description: oneLine(description),
    deprecated: false,
    file,
    meta,
    facets: { logSources: namedLogSources('sentinel', kqlTables(query)) },
    logic: ruleLogic('kql', query),
    techniques,
  };
}

function* analyticRecords(doc: unknown, input: FileInput): Generator<ResourceRecord> {
  if (!isRecord(doc) || !Array.isArray(doc.analytics)) {
    input.warn('`analytics` is not a list');
    return;
  }
  const lines = displayNameLines(input.text, doc.analytics);
  for (const [i, a] of doc.analytics.entries()) {
    if (!isRecord(a)) {
      input.warn(`analytic #${i + 1} is not an object: skipped`);
      continue;
    }
    yield analyticRecord(a, i + 1, lines.get(i), input);
  }
}

export const sentinelAttackSource = defineFileSource({
  name: 'sentinel-attack',
  title: 'Sentinel ATT&CK (BlueTeamLabs)',
  pillar: 'detection',
  order: 70,
  upstream: { repo: 'BlueTeamLabs/sentinel-attack', defaultRef: 'master', paths: [RULES] },
  license: 'MIT',
  resourceKind: 'Kusto (KQL) analytic over Sysmon (one entry of `analytics` in `detections/sentinel_attack_rules.json`)',
  mapsVia: 'ATT&CK id in the `description` text ("… MITRE ATT&CK T1003"); `T0000` is a placeholder',
  summaryFields: ['severity', 'language', 'dataSource'],
  detectionKind: { kind: 'rule', why: 'an analytic is a KQL `query` Microsoft Sentinel runs' },
  files: [RULES],
  format: 'json',
  toRecords: analyticRecords,
});
