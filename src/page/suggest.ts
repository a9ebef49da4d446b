/** "Did you mean": technique ids and names, or any list of valid values, close to what the user typed. */
import type { KnowledgeBase } from '../kb/open.js';

/** Edits (insert, delete, substitute, swap two neighbours) from a to b: `tset` is one edit from `test`. */
export function editDistance(a: string, b: string): number {
  let before = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      row.push(d);
    }
    before = prev;
    prev = row;
  }
  return prev[b.length]!;
}

export function closeMatches(kb: KnowledgeBase, input: string, max = 5): string[] {
  const q = input.trim().toUpperCase();
  const scored = kb.techniques()
    .filter((t) => t.status !== 'revoked')
    .map((t) => {
      const idScore = editDistance(q, t.id);
      const nameScore = editDistance(q.toLowerCase(), t.name.toLowerCase());
      const prefix = t.id.startsWith(q.split('.')[0] ?? q) ? -1 : 0;
      return { id: t.id, label: `${t.id} (${t.name})`, score: Math.min(idScore, nameScore) + prefix };
    })
    .filter((s) => s.score <= Math.max(2, Math.floor(q.length / 3)))
    .sort((a, b) => a.score - b.score || a.id.localeCompare(b.id));
  return scored.slice(0, max).map((s) => s.label);
}

/** Lower case, letters and digits only: "Cozy Bear", "cozy-bear" and "COZYBEAR" compare equal. */
const fold = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

/**
 * The values of `candidates` closest to `input`: a small edit distance (typos), or one containing
 * the other (a partial name). Each candidate is `[value, label]`: a value is compared, its label
 * shown (`Cozy Bear` → `G0016 (APT29)`); labels are returned once each, best first.
 */
export function closeValues(input: string, candidates: Iterable<string | readonly [string, string]>, max = 5): string[] {
  const q = fold(input);
  if (!q) return [];
  const best = new Map<string, number>();
  let order = 0;
  const firstSeen = new Map<string, number>();
  for (const c of candidates) {
    const [value, label] = typeof c === 'string' ? [c, c] : c;
    const v = fold(value);
    if (!v) continue;
    // Long candidates (descriptions) are only worth a containment match; the distance is for names.
    const distance = v.length > 3 * q.length + 10 ? Infinity : editDistance(q, v);
    const allowed = Math.max(1, Math.floor(Math.max(q.length, 3) / 3));
    const contains = q.length >= 3 && (v.includes(q) || (v.length >= 4 && q.includes(v)));
    const score = distance <= allowed ? distance : contains ? allowed + 1 : Infinity;
    if (score === Infinity) continue;
    if (!firstSeen.has(label)) firstSeen.set(label, order++);
    if (score < (best.get(label) ?? Infinity)) best.set(label, score);
  }
  return [...best].sort((a, b) => a[1] - b[1] || firstSeen.get(a[0])! - firstSeen.get(b[0])!).slice(0, max).map(([label]) => label);
}
