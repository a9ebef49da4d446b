/**
 * Per public rule, whether a profile's telemetry runs it, for views that list rules one by one
 * (the plan's detection candidates): null when it runs, else what it needs.
 */
import { closure, needOf, statusOf } from './match.js';
import type { TelemetryProfile } from './profile.js';
import type { TelemetryRule } from './rules.js';
import { shortLabel, type Vocabulary } from './vocabulary.js';

/** Resource row id → null (runnable) or `needs: sysmon 10 or windows-security 4663` / `needs: telemetry the rule does not state`. */
export type TelemetryGate = (rowid: number) => string | null;

export function telemetryGate(v: Vocabulary, profile: TelemetryProfile, rules: TelemetryRule[]): TelemetryGate {
  const have = closure(v, profile.ids);
  const verdicts = new Map<number, string | null>();
  for (const r of rules) {
    const need = needOf(v, r.logSources);
    const status = statusOf(need, have);
    if (status === 'runnable') verdicts.set(r.rowid, null);
    else if (status === 'unknown') verdicts.set(r.rowid, 'needs: telemetry the rule does not name in a known way');
    else {
      const alts = need.alternatives.map((alt) => alt.filter((id) => !have.has(id)).map((id) => {
        const e = v.entries.get(id);
        return e?.kind === 'kind' ? e.providedBy!.map((p) => shortLabel(v, p)).join(' or ') : shortLabel(v, id);
      }).join(' and '));
      verdicts.set(r.rowid, `needs: ${alts.slice(0, 3).join(', or ')}${alts.length > 3 ? ' …' : ''}`);
    }
  }
  // A rule the gate never saw (guidance, another stack) is not one the profile can run.
  return (rowid) => (verdicts.has(rowid) ? verdicts.get(rowid)! : 'needs: not an executable rule');
}
