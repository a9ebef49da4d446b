/**
 * What only the whole rule set tells: which rules a Sigma correlation rule correlates (it names
 * them by id or `name`, in the same file or another), and which rule ids several files share.
 */
import type { DuplicateRuleId, OwnRule, RuleWarning } from './types.js';

const fold = (s: string) => s.trim().toLowerCase();

/**
 * A correlation rule without ATT&CK ids of its own takes those of the rules it correlates
 * (followed through correlations of correlations, without looping), so it counts for the
 * techniques it detects instead of being listed as unmapped. A reference to no rule read is a
 * warning: its techniques stay unknown.
 */
export function linkCorrelations(rules: OwnRule[], warnings: RuleWarning[]): void {
  const byRef = new Map<string, OwnRule[]>();
  for (const r of rules) {
    if (r.format !== 'sigma') continue;
    for (const ref of [r.id, r.name]) {
      if (!ref) continue;
      const list = byRef.get(fold(ref));
      if (list) list.push(r);
      else byRef.set(fold(ref), [r]);
    }
  }
  const resolved = new Map<OwnRule, { ids: string[]; from: string[] }>();
  const resolve = (rule: OwnRule, path: Set<OwnRule>): { ids: string[]; from: string[] } => {
    const done = resolved.get(rule);
    if (done) return done;
    if (!rule.correlates?.length || rule.techniqueIds.length || path.has(rule)) return { ids: rule.techniqueIds, from: [] };
    path.add(rule);
    const ids = new Map<string, string>();
    const from: string[] = [];
    for (const ref of rule.correlates) {
      for (const target of byRef.get(fold(ref)) ?? []) {
        if (target === rule) continue;
        const got = resolve(target, path);
        if (!got.ids.length) continue;
        from.push(target.key);
        for (const id of got.ids) if (!ids.has(id.toUpperCase())) ids.set(id.toUpperCase(), id);
      }
    }
    path.delete(rule);
    const out = { ids: [...ids.values()], from: [...new Set(from)] };
    resolved.set(rule, out);
    return out;
  };
  for (const rule of rules) {
    if (!rule.correlates?.length) continue;
    const missing = rule.correlates.filter((ref) => !byRef.has(fold(ref)));
    if (missing.length) {
      warnings.push({ file: rule.file, reason: `correlation rule "${rule.title}" refers to ${missing.map((m) => `"${m}"`).join(', ')}: no such rule among the rules read` });
    }
    if (rule.techniqueIds.length) continue;
    const got = resolve(rule, new Set());
    if (got.ids.length) {
      rule.techniqueIds = got.ids;
      rule.idsFrom = got.from;
    }
  }
}

/** Rule ids carried by rules of more than one file (rules of one multi-rule file may share an id: Sigma `action: repeat`). */
export function findDuplicateIds(rules: OwnRule[]): DuplicateRuleId[] {
  const files = new Map<string, { id: string; files: string[] }>();
  for (const r of rules) {
    if (!r.id) continue;
    const k = fold(r.id);
    const entry = files.get(k);
    if (!entry) files.set(k, { id: r.id, files: [r.file] });
    else if (!entry.files.includes(r.file)) entry.files.push(r.file);
  }
  return [...files.values()].filter((e) => e.files.length > 1);
}
