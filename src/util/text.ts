/** Text clean-up shared by ATT&CK-derived content. */

/** Removes ATT&CK's `(Citation: Name)` markers, as Control Validation Compass did. */
export function stripCitations(text: string): string {
  return text.replace(/\s*\(Citation:[^)]*\)/g, '');
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** `2026-11-28` → `November 28, 2026` (the seed's "Last accessed" format); other input is returned as is. */
export function longDate(iso: string | undefined): string {
  if (!iso) return 'unknown';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return iso;
  return `${MONTHS[Number(m[2]) - 1]} ${m[3]}, ${m[1]}`;
}
