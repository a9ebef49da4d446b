/** What every own-rule format reader shares: the draft it returns and the context it reports to. */
import type { Limits } from '../../core/types.js';
import type { OwnRule } from '../types.js';

/** A rule as a format reader sees it; the caller adds the file, key and format. */
export type RuleDraft = Omit<OwnRule, 'key' | 'file' | 'format'>;

export interface FormatContext {
  limits: Limits;
  /** A problem with this file (the caller names the file); reading carries on. */
  warn(reason: string): void;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

/** Collapsed whitespace, capped: titles are shown on one line in reports and pages. */
export function titleText(v: unknown, max = 300): string | undefined {
  const s = str(v)?.replace(/\s+/g, ' ');
  return s && s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * Ids as written, first spelling of each kept (case-insensitive), capped at the per-resource
 * limit with a warning that names the rule.
 */
export function uniqueIds(ids: string[], ctx: FormatContext, rule: string): string[] {
  const seen = new Map<string, string>();
  for (const raw of ids) {
    const id = raw.trim();
    if (id && !seen.has(id.toUpperCase())) seen.set(id.toUpperCase(), id);
  }
  const out = [...seen.values()];
  const max = ctx.limits.maxTechniquesPerResource;
  if (out.length <= max) return out;
  ctx.warn(`${rule}: ${out.length} ATT&CK ids, over the limit of ${max}: the first ${max} kept`);
  return out.slice(0, max);
}

/** A `T1234`/`T1234.001` id, the only kind the free-form fields below are searched for. */
export const TECHNIQUE_ID = /^T\d{4}(?:\.\d{3})?$/i;
