/**
 * What detections say about the telemetry they read and the logic they run, in the shapes the
 * facets use. Only reading: nothing here executes or validates a query.
 */
import type { LogSourceRef, RuleLogic } from '../types.js';

/** Logic text kept per rule; a few upstream queries run to tens of kilobytes. */
export const LOGIC_MAX = 8_000;
/** Query text scanned for table names and event types: the readers stay linear and bounded on hostile input. */
const SCAN_MAX = 64 * 1024;

export function ruleLogic(language: string, text: unknown, max = LOGIC_MAX): RuleLogic | undefined {
  if (typeof text !== 'string' || !text.trim()) return undefined;
  // Line endings are the file's, not the rule's: a CRLF copy of a rule has the same logic.
  const t = text.replace(/\r\n?/g, '\n').trimEnd();
  return { language, text: t.length > max ? `${t.slice(0, max - 1)}…` : t };
}

/** Named log sources of one scheme, trimmed, de-duplicated, in upstream order. */
export function namedLogSources(scheme: LogSourceRef['scheme'], names: readonly unknown[], max = 50): LogSourceRef[] {
  const seen = new Set<string>();
  const out: LogSourceRef[] = [];
  for (const n of names) {
    if (typeof n !== 'string') continue;
    const name = n.trim();
    if (!name || seen.has(name) || out.length >= max) continue;
    seen.add(name);
    out.push({ scheme, name });
  }
  return out;
}

/** A KQL identifier that names a table (not a function call or a let-bound variable). */
const KQL_TABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Words that open a KQL statement or expression rather than name a table. */
const KQL_KEYWORDS = new Set(['let', 'set', 'union', 'datatable', 'print', 'range', 'find', 'search', 'materialize', 'view', 'declare', 'pattern', 'alias', 'restrict', 'externaldata', 'evaluate', 'true', 'false', 'and', 'or', 'not', 'kind', 'withsource', 'isfuzzy']);

/**
 * The tables a KQL query reads: the first word of each tabular statement, and the operands of
 * `union` and of `join`/`lookup` sub-queries, minus names bound with `let`. Linear: one pass of
 * simple token regexes per line.
 */
export function kqlTables(text: string, max = 20): string[] {
  const query = text.slice(0, SCAN_MAX);
  const lets = new Set<string>();
  const letSources: string[] = [];
  for (const m of query.matchAll(/(?:^|[;\n])\s*let\s+([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:([A-Za-z_][A-Za-z0-9_]*)\s*\|)?/g)) {
    lets.add(m[1]!);
    if (m[2]) letSources.push(m[2]);
  }
  const tables: string[] = [];
  const add = (name: string | undefined) => {
    if (!name || !KQL_TABLE.test(name) || lets.has(name) || KQL_KEYWORDS.has(name.toLowerCase()) || tables.includes(name)) return;
    if (tables.length < max) tables.push(name);
  };
  for (const name of letSources) add(name);
  // A tabular statement opens the query or follows a `;`, and is followed by a pipe, a `;` or the end.
  for (const m of query.matchAll(/(?:^|;)\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?=\||;|$)/g)) add(m[1]);
  for (const m of query.matchAll(/\bunion\b([^|;]*)/g)) {
    for (const part of m[1]!.split(',')) add(/^\s*(?:\(\s*)?(?:(?:kind|withsource|isfuzzy)\s*=\s*\S+\s+)*([A-Za-z_][A-Za-z0-9_]*)/.exec(part)?.[1]);
  }
  for (const m of query.matchAll(/\b(?:join|lookup)\b[^(|]*\(\s*([A-Za-z_][A-Za-z0-9_]*)/g)) add(m[1]);
  return tables;
}

/** The index patterns an ES|QL query reads: `FROM a, b-* METADATA …`. */
export function esqlIndices(query: string): string[] {
  const m = /^\s*from\s+([^|\n]+)/i.exec(query.slice(0, SCAN_MAX));
  if (!m) return [];
  return m[1]!.replace(/\bmetadata\b.*$/i, '').split(',').map((s) => s.trim()).filter((s) => /^[\w.*:-]+$/.test(s));
}

/** The event category of an EQL query (`process where …` → `process`); `sequence` gives each step's. */
export function eqlEventTypes(query: string, max = 10): string[] {
  const out: string[] = [];
  for (const m of query.slice(0, SCAN_MAX).matchAll(/(?:^|\[)\s*([a-z_]+)\s+where\b/gim)) {
    const t = m[1]!.toLowerCase();
    if (!out.includes(t) && out.length < max) out.push(t);
  }
  return out;
}

/**
 * The block of a top-level YAML key as written in the file (`detection:` and its indented
 * lines), comments and layout kept; undefined when the key does not start a line of its own.
 */
export function topLevelYamlBlock(text: string, key: string): string | undefined {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${key}:`));
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length) {
    const l = lines[end]!;
    if (l !== '' && !/^[\s#]/.test(l)) break;
    end++;
  }
  while (end > start + 1 && !lines[end - 1]!.trim()) end--;
  return lines.slice(start, end).join('\n');
}
