/** Wording shared by every view: counted nouns and absent values, so no page says "1 threats" or "origin None Provided". */

/** `1 test`, `2 tests`, `0 tests`; irregular plurals are given: count(3, 'piece of software', 'pieces of software'). */
export function count(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}

/** Placeholders upstream data uses for "unknown". */
const ABSENT = new Set(['', 'none', 'none provided', 'n/a', 'na', 'unknown', 'null', 'undefined', '-', '–', '?']);

/** The value, or undefined when it is empty or a placeholder for "unknown". */
export function present(value: string | null | undefined): string | undefined {
  const v = value?.trim();
  return v && !ABSENT.has(v.toLowerCase()) ? v : undefined;
}

/** Values that say something, placeholders and blanks left out. */
export function presentAll(values: readonly (string | null | undefined)[]): string[] {
  return values.map(present).filter((v): v is string => v !== undefined);
}

/** A list joined for a sentence, or the fallback when there is nothing to list. */
export function listOr(values: readonly (string | null | undefined)[], fallback: string, sep = ', '): string {
  const list = presentAll(values);
  return list.length ? list.join(sep) : fallback;
}
