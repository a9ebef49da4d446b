/**
 * Who uses a technique, from ATT&CK's `uses` relationships as the knowledge base stores them
 * (actor → technique). The table is keyed by actor, so it is read once per knowledge base and
 * indexed by technique here rather than scanned for every page.
 */
import type { KnowledgeBase } from '../kb/open.js';
import type { ActorLink, UsedBy } from '../render/html.js';

const byKb = new WeakMap<KnowledgeBase, Map<string, UsedBy>>();

function index(kb: KnowledgeBase): Map<string, UsedBy> {
  const actors = new Map(kb.actors().filter((a) => a.status === 'active').map((a) => [a.id, a]));
  const out = new Map<string, UsedBy>();
  const rows = kb.db.prepare('SELECT actor, technique FROM actor_uses ORDER BY technique, actor').all() as { actor: string; technique: string }[];
  for (const { actor, technique } of rows) {
    const a = actors.get(actor);
    if (!a) continue;
    let u = out.get(technique);
    if (!u) out.set(technique, (u = { groups: [], software: [], campaigns: [] }));
    const link: ActorLink = { id: a.id, name: a.name, url: a.url };
    (a.kind === 'group' ? u.groups : a.kind === 'software' ? u.software : u.campaigns).push(link);
  }
  const byName = (x: ActorLink, y: ActorLink) => x.name.localeCompare(y.name) || x.id.localeCompare(y.id);
  for (const u of out.values()) for (const list of [u.groups, u.software, u.campaigns]) list.sort(byName);
  return out;
}

/** Groups, software and campaigns that use the technique (active ones, by name). */
export function usedBy(kb: KnowledgeBase, techniqueId: string): UsedBy {
  let m = byKb.get(kb);
  if (!m) byKb.set(kb, (m = index(kb)));
  return m.get(techniqueId) ?? { groups: [], software: [], campaigns: [] };
}
