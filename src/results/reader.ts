/**
 * Results as the views read them, against one knowledge base: per technique (a page) or all at
 * once (coverage, layers), techniques carried through the crosswalk. A stored id that a later
 * ATT&CK revoked is found from the page of the technique that replaced it.
 */
import { Crosswalk } from '../crosswalk/translate.js';
import { releaseFromKb } from '../crosswalk/release.js';
import type { KnowledgeBase } from '../kb/open.js';
import { replacementsOf } from '../resolve.js';
import type { OwnRuleSet } from '../rules/types.js';
import { TestCatalog } from './catalog.js';
import type { ResultsStore } from './store.js';
import { resultsByTechnique, viewExecutions, type TechniqueResults, type ViewOptions } from './view.js';

interface KbContext {
  crosswalk: Crosswalk;
  catalog: TestCatalog;
  /** Technique → the revoked ids that now stand for it. */
  revokedInto: Map<string, string[]>;
}

export interface ReadOptions {
  now?: Date;
  maxAgeDays?: number;
  rules?: OwnRuleSet;
}

export class ResultsReader {
  /** One context per knowledge base (the server swaps them on a rebuild). */
  private readonly contexts = new WeakMap<KnowledgeBase, KbContext>();

  constructor(readonly store: ResultsStore) {}

  private context(kb: KnowledgeBase): KbContext {
    let c = this.contexts.get(kb);
    if (!c) {
      const revokedInto = new Map<string, string[]>();
      for (const t of kb.techniques()) {
        if (t.status !== 'revoked') continue;
        for (const r of replacementsOf(t.id, (x) => kb.technique(x))) revokedInto.set(r, [...(revokedInto.get(r) ?? []), t.id]);
      }
      c = { crosswalk: new Crosswalk(releaseFromKb(kb)), catalog: new TestCatalog(kb), revokedInto };
      this.contexts.set(kb, c);
    }
    return c;
  }

  private viewOptions(kb: KnowledgeBase, o: ReadOptions): ViewOptions {
    const c = this.context(kb);
    return { crosswalk: c.crosswalk, catalog: c.catalog, now: o.now, maxAgeDays: o.maxAgeDays };
  }

  /** Results of one technique of the loaded ATT&CK; undefined when none was recorded. */
  technique(kb: KnowledgeBase, id: string, o: ReadOptions = {}): TechniqueResults | undefined {
    const stored = [id, ...(this.context(kb).revokedInto.get(id) ?? [])];
    const views = viewExecutions(this.store.history({ techniques: stored }), this.viewOptions(kb, o));
    return resultsByTechnique(views, o.rules).get(id);
  }

  /** Results of every technique that has some. */
  all(kb: KnowledgeBase, o: ReadOptions = {}): Map<string, TechniqueResults> {
    return resultsByTechnique(viewExecutions(this.store.history(), this.viewOptions(kb, o)), o.rules);
  }
}
