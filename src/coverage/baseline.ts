/**
 * A baseline is an earlier Navigator layer (typically `purplebook coverage --format layer`): every
 * technique with a score above 0 counts as covered then. Comparing tells what was gained and lost.
 */
import { isTechniqueId, normalizeTechniqueId } from '../resolve.js';

export class BaselineError extends Error {}

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

export interface BaselineDiff {
  /** Baseline techniques covered then, within the report's scope. */
  covered: number;
  gained: string[];
  lost: string[];
  /** Baseline techniques outside the report's scope (other threat, other domain, revoked since). */
  ignored: number;
}

/** Gains and losses of `coveredNow` against `baseline`, both restricted to `scope`. */
export function compareBaseline(scope: ReadonlySet<string>, coveredNow: ReadonlySet<string>, baseline: readonly string[]): BaselineDiff {
  const then = new Set(baseline.filter((id) => scope.has(id)));
  return {
    covered: then.size,
    gained: [...coveredNow].filter((id) => scope.has(id) && !then.has(id)).sort(),
    lost: [...then].filter((id) => !coveredNow.has(id)).sort(),
    ignored: new Set(baseline).size - then.size,
  };
}
