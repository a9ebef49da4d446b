/**
 * A baseline is an earlier Navigator layer (typically `purplebook coverage --format layer`): every
 * technique with a score above 0 counts as covered then. Comparing tells what was gained and lost.
 */
import type { Crosswalk } from '../crosswalk/translate.js';
import { isTechniqueId, normalizeTechniqueId } from '../resolve.js';
import { InputError } from '../core/errors.js';

export class BaselineError extends InputError {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Covered technique ids of a layer document (a single layer, or the first of a list of layers). */
export function readBaseline(text: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new BaselineError(`baseline is not JSON: ${(e as Error).message}`);
  }
  if (Array.isArray(doc)) doc = doc[0];
  if (!isObject(doc) || !Array.isArray(doc.techniques)) throw new BaselineError('baseline is not an ATT&CK Navigator layer (no "techniques" list)');
  const ids = new Set<string>();
  for (const t of doc.techniques) {
    if (!isObject(t) || typeof t.techniqueID !== 'string') continue;
    const id = normalizeTechniqueId(t.techniqueID);
    if (isTechniqueId(id) && typeof t.score === 'number' && t.score > 0) ids.add(id);
  }
  return [...ids].sort();
}

/** A baseline id that stands for another technique in the loaded ATT&CK (a layer made on an older release). */
export interface BaselineCarried {
  from: string;
  /** Empty: no technique of the loaded release stands for it (deprecated, unknown). */
  to: string[];
}

export interface BaselineDiff {
  /** Baseline techniques covered then, within the report's scope. */
  covered: number;
  gained: string[];
  lost: string[];
  /** Baseline techniques outside the report's scope (other threat, other domain). */
  ignored: number;
  /** Baseline ids the crosswalk carried to other ids, or found no counterpart for. */
  carried: BaselineCarried[];
}

/**
 * Gains and losses of `coveredNow` against `baseline`, both restricted to `scope`. Baseline ids
 * first go through the crosswalk, so a layer made on ATT&CK 18 compares with 19 coverage: its
 * T1562.001 counts as the T1685 that replaced it, not as a loss.
 */
export function compareBaseline(scope: ReadonlySet<string>, coveredNow: ReadonlySet<string>, baseline: readonly string[], cw: Crosswalk): BaselineDiff {
  const carried: BaselineCarried[] = [];
  const ids = new Set<string>();
  for (const t of cw.translateAll(baseline)) {
    if (t.outcome !== 'same') carried.push({ from: t.id, to: t.ids });
    for (const id of t.ids) ids.add(id);
  }
  const then = new Set([...ids].filter((id) => scope.has(id)));
  return {
    covered: then.size,
    gained: [...coveredNow].filter((id) => scope.has(id) && !then.has(id)).sort(),
    lost: [...then].filter((id) => !coveredNow.has(id)).sort(),
    ignored: ids.size - then.size,
    carried,
  };
}
