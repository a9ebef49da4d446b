/** Text clean-up shared by ATT&CK-derived content. */

const CITATION = '(Citation:';

/**
 * Removes ATT&CK's `(Citation: Name)` markers and the whitespace before them, as Control
 * Validation Compass did. Same result as `text.replace(/\s*\(Citation:[^)]*\)/g, '')`, but that
 * regex retries the whitespace run at every space and scans to the end of the text from every
 * unclosed marker: quadratic, 600 KB of either froze `build` for minutes. This is one pass.
 */
export function stripCitations(text: string): string {
  let at = text.indexOf(CITATION);
  if (at < 0) return text;
  const out: string[] = [];
  let last = 0;
  while (at >= 0) {
    const close = text.indexOf(')', at + CITATION.length);
    // No `)` after this marker means none after any later one either: the rest stays as is.
    if (close < 0) break;
    // trimEnd removes exactly what `\s` matches; it only looks at the text since the last marker.
    out.push(text.slice(last, at).trimEnd());
    last = close + 1;
    at = text.indexOf(CITATION, last);
  }
  out.push(text.slice(last));
  return out.join('');
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** `2026-11-28` → `November 28, 2026` (the seed's "Last accessed" format); other input is returned as is. */
export function longDate(iso: string | undefined): string {
  if (!iso) return 'unknown';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return iso;
  return `${MONTHS[Number(m[2]) - 1]} ${m[3]}, ${m[1]}`;
}
