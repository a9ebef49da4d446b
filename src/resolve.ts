/**
 * The ONE place where a technique id written by an upstream becomes a technique of the loaded
 * ATT&CK. Every source in every pillar goes through `resolveTechniqueId`.
 */
import type { AttackIndex } from './attack/types.js';

export type Resolution =
  /** Known id (active, deprecated, or a revoked one with no replacement). */
  | { kind: 'ok'; id: string; raw: string }
  /** Revoked id carried to the technique(s) that replace it. */
  | { kind: 'revoked'; ids: string[]; revoked: string; raw: string }
  /** Well-formed but unknown to the loaded ATT&CK version (typically newer). */
  | { kind: 'unknown'; id: string; raw: string }
  /** Not an ATT&CK technique id at all. */
  | { kind: 'invalid'; raw: string };

const ID = /^T\d{4}(\.\d{3})?$/;

/** Trim, drop inner whitespace and a leading `attack.`, upper-case: ` attack.t1059.001` → `T1059.001`. */
export function normalizeTechniqueId(raw: string): string {
  return raw.replace(/^\s*attack\./i, '').replace(/\s+/g, '').toUpperCase();
}

export function isTechniqueId(id: string): boolean {
  return ID.test(id);
}

export function resolveTechniqueId(attack: AttackIndex, raw: string): Resolution {
  const id = normalizeTechniqueId(raw);
  if (!ID.test(id)) return { kind: 'invalid', raw };
  const t = attack.techniques.get(id);
  if (!t) return { kind: 'unknown', id, raw };
  if (t.status !== 'revoked' || !t.revokedBy.length) return { kind: 'ok', id, raw };
  const out = replacementsOf(id, (x) => attack.techniques.get(x));
  return out.length ? { kind: 'revoked', ids: out, revoked: id, raw } : { kind: 'ok', id, raw };
}

/**
 * The techniques that stand today in place of a revoked one: follows chains of revocations
 * (A revoked by B, B revoked by C) without looping. Shared by the build (STIX index) and the
 * coverage analysis (knowledge base), each passing its own lookup.
 */
export function replacementsOf(id: string, lookup: (id: string) => { status: string; revokedBy: readonly string[] } | undefined): string[] {
  const seen = new Set([id]);
  let frontier = lookup(id)?.revokedBy ?? [];
  const out: string[] = [];
  while (frontier.length) {
    const next: string[] = [];
    for (const r of frontier) {
      if (seen.has(r)) continue;
      seen.add(r);
      const rt = lookup(r);
      if (!rt || !r.startsWith('T')) continue;
      if (rt.status === 'revoked' && rt.revokedBy.length) next.push(...rt.revokedBy);
      else out.push(r);
    }
    frontier = next;
  }
  return out;
}
