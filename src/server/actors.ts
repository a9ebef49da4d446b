/** The threat picker's matches: ATT&CK groups, software and campaigns by id, name or alias, best first. */
import type { Domain } from '../attack/types.js';
import type { ActorRow, KnowledgeBase } from '../kb/open.js';

export interface ActorHit {
  id: string;
  kind: ActorRow['kind'];
  name: string;
  aliases: string[];
  /** The alias the query matched, when it was not the id or the name. */
  matched?: string;
  /** Techniques the actor uses (ATT&CK `uses`). */
  techniques: number;
  domains: Domain[];
  url: string;
}

const actorLists = new WeakMap<KnowledgeBase, ActorRow[]>();
const KIND_ORDER = { group: 0, campaign: 1, software: 2 } as const;

function rank(a: ActorRow, q: string): { score: number; matched?: string } | undefined {
  const id = a.id.toLowerCase();
  const name = a.name.toLowerCase();
  const aliases = a.aliases.filter((x) => x.toLowerCase() !== name);
  const alias = (test: (x: string) => boolean) => aliases.find((x) => test(x.toLowerCase()));
  if (id === q) return { score: 0 };
  // Revoked and deprecated actors are found by their exact id only (selection follows a revocation).
  if (a.status !== 'active') return undefined;
  if (name === q) return { score: 1 };
  let m = alias((x) => x === q);
  if (m) return { score: 2, matched: m };
  if (id.startsWith(q)) return { score: 3 };
  if (name.startsWith(q)) return { score: 4 };
  m = alias((x) => x.startsWith(q));
  if (m) return { score: 5, matched: m };
  if (name.includes(q)) return { score: 6 };
  m = alias((x) => x.includes(q));
  return m ? { score: 7, matched: m } : undefined;
}

export function findActors(kb: KnowledgeBase, query: string, opts: { kind?: ActorRow['kind']; domain?: Domain; limit: number }): ActorHit[] {
  let actors = actorLists.get(kb);
  if (!actors) {
    actors = kb.actors();
    actorLists.set(kb, actors);
  }
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const hits: { a: ActorRow; score: number; matched?: string }[] = [];
  for (const a of actors) {
    if (opts.kind && a.kind !== opts.kind) continue;
    if (opts.domain && !a.domains.includes(opts.domain)) continue;
    const r = rank(a, q);
    if (r) hits.push({ a, ...r });
  }
  hits.sort((x, y) => x.score - y.score || KIND_ORDER[x.a.kind] - KIND_ORDER[y.a.kind] || x.a.name.localeCompare(y.a.name) || x.a.id.localeCompare(y.a.id));
  return hits.slice(0, opts.limit).map(({ a, matched }) => ({
    id: a.id, kind: a.kind, name: a.name, aliases: a.aliases.filter((x) => x !== a.name).slice(0, 12), ...(matched ? { matched } : {}),
    techniques: kb.actorTechniques(a.id).length, domains: a.domains, url: a.url,
  }));
}
