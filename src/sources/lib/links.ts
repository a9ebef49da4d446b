/** Upstream links built from provenance, so every link points at the exact snapshot that was read. */
import type { Provenance } from '../types.js';

/** `https://github.com/<repo>/blob/<commit or branch>/<path>`; path segments are URL-encoded. */
export function githubBlob(repo: string, prov: Provenance, fallbackRef: string, path: string): string {
  const ref = prov.commit ?? prov.branch ?? fallbackRef;
  return `https://github.com/${repo}/blob/${ref}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** Text safe for one markdown/HTML line: collapsed whitespace, capped length. */
export function oneLine(text: unknown, max = 300): string {
  if (typeof text !== 'string') return '';
  const s = text.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
