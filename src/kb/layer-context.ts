/**
 * What a Navigator layer needs from the knowledge base beyond technique summaries, read here so
 * the views that draw layers never query.
 */
import type { Domain } from '../attack/types.js';
import type { KnowledgeBase } from './open.js';

export interface LayerContext {
  attackVersion: string;
  /** When the knowledge base was built ('' when it does not say). */
  builtAt: string;
  /** Active technique ids per domain, in id order. */
  activeIds: ReadonlyMap<Domain, readonly string[]>;
}

export function layerContextOf(kb: KnowledgeBase): LayerContext {
  const activeIds = new Map<Domain, string[]>();
  for (const t of kb.techniques()) {
    if (t.status !== 'active') continue;
    const ids = activeIds.get(t.domain) ?? [];
    ids.push(t.id);
    activeIds.set(t.domain, ids);
  }
  return { attackVersion: kb.attackVersion, builtAt: kb.meta('built_at') ?? '', activeIds };
}
