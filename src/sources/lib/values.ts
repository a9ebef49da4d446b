/**
 * Reading values out of parsed upstream documents, which are untrusted: every helper accepts
 * anything and gives a well-typed value or nothing, never throws.
 */

export type Mapping = Record<string, unknown>;

/** A parsed mapping (YAML mapping, JSON/TOML object); not a list, not null. */
export function isRecord(v: unknown): v is Mapping {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What a value is, in the words a warning uses: `null`, `list`, `date`, `mapping`, `string`, `number`, … */
export function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'list' : v instanceof Date ? 'date' : typeof v === 'object' ? 'mapping' : typeof v;
}

/** A non-blank string, trimmed; anything else is undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

/** The strings of a list, as written (other entries dropped); not a list gives []. */
export function strList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** The non-blank strings of a list, trimmed. */
export function trimmedList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim()) : [];
}

/** A list of strings, or one string as a list of one (fields upstream write either way). */
export function oneOrMany(v: unknown): string[] {
  return typeof v === 'string' ? [v] : strList(v);
}

export function distinct<T>(list: readonly T[]): T[] {
  return [...new Set(list)];
}

/** Text cut to `max` characters with an ellipsis, so pages stay small (the link leads to the rest). */
export function capText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A trimmed, capped text of a non-blank string; anything else is undefined. */
export function capString(v: unknown, max: number): string | undefined {
  const s = str(v);
  return s === undefined ? undefined : capText(s, max);
}

/** At most `max` entries, the rest said in one last entry (`… 12 more`). */
export function capList(list: string[], max: number): string[] {
  return list.length > max ? [...list.slice(0, max), `… ${list.length - max} more`] : list;
}

/** Whether a value belongs in a record's `meta`: given, and not an empty list. */
export function hasValue(v: unknown): boolean {
  return v !== undefined && !(Array.isArray(v) && !v.length);
}

/** A setter that puts a value on `meta` only when `hasValue` says it belongs there. */
export function metaSetter(meta: Mapping): (key: string, v: unknown) => void {
  return (key, v) => {
    if (hasValue(v)) meta[key] = v;
  };
}

/** `2023-01-11` whether the YAML parser kept a date a string or made it a Date. */
export function dateText(v: unknown): string | undefined {
  if (v instanceof Date && !Number.isNaN(v.getTime())) return v.toISOString().slice(0, 10);
  return str(v);
}

/** Names as a facet holds them: trimmed, lower-case, distinct, blanks dropped (`Windows` → `windows`). */
export function facetNames(list: readonly unknown[]): string[] {
  return distinct(list.filter((x): x is string => typeof x === 'string').map((x) => x.trim().toLowerCase()).filter(Boolean));
}

/** A TOML table: a mapping that is not a TOML date (smol-toml gives dates as Date objects). */
export function isTable(v: unknown): v is Mapping {
  return isRecord(v) && !(v instanceof Date);
}

/** `typeName` in TOML's words: `array`, `table`. */
export function tomlTypeName(v: unknown): string {
  return Array.isArray(v) ? 'array' : isTable(v) ? 'table' : typeName(v);
}
