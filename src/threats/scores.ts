/**
 * Intel scores of an ATT&CK Navigator layer: a team's threat-intelligence layer scores techniques
 * (how often seen, how severe); the line-up can sort by them. Techniques without a numeric score,
 * or disabled, have none.
 */
import { isTechniqueId, normalizeTechniqueId } from '../resolve.js';

/** Technique id → score, from a layer's text; undefined when the text is not a layer (a plain id list). */
export function layerScores(text: string): Map<string, number> | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return undefined;
  let layer: unknown;
  try {
    layer = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  const techniques = (layer as { techniques?: unknown }).techniques;
  if (!Array.isArray(techniques)) return undefined;
  const out = new Map<string, number>();
  for (const t of techniques as { techniqueID?: unknown; enabled?: unknown; score?: unknown }[]) {
    if (!t || typeof t.techniqueID !== 'string' || t.enabled === false) continue;
    const score = typeof t.score === 'number' ? t.score : typeof t.score === 'string' && t.score.trim() ? Number(t.score) : NaN;
    const id = normalizeTechniqueId(t.techniqueID);
    // A layer lists a technique once per tactic: the highest score stands.
    if (Number.isFinite(score) && isTechniqueId(id)) out.set(id, Math.max(score, out.get(id) ?? -Infinity));
  }
  return out;
}
