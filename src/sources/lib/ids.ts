/** Technique ids written in free text (descriptions, comment headers), for the connectors that map by prose. */

/**
 * `T1003`, `T1003.001` as whole words. A sub-technique written with a space before its dot
 * (`T1059 .001`) and control characters stuck to an id (`T1059\0`) stay part of the id, so that
 * resolve.ts and the build report them with the file instead of a different technique (the
 * parent `T1059`) being read silently.
 */
// Control characters are what this pattern must catch.
// eslint-disable-next-line no-control-regex
const ID_IN_TEXT = /\bT\d{4}(?:[ \t]*\.\d{3})?(?!\w)[\u0000-\u0008\u000b\u000c\u000e-\u001f]*/gi;

/** Every technique id in `text`, in order, as written (repeats included). */
export function techniqueIdsIn(text: string): string[] {
  return [...text.matchAll(ID_IN_TEXT)].map((m) => m[0]);
}
