/** "Did you mean": technique ids and names close to what the user typed. */
import type { KnowledgeBase } from '../kb/open.js';

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
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
