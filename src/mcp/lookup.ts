/**
 * A technique by id or by name, as an assistant writes it: `T1021.004`, `SSH`,
 * `Remote Services: SSH`. Unknown or ambiguous input is an error that names the candidates.
 */
import type { KnowledgeBase, TechniqueRow } from '../kb/open.js';
import { closeMatches } from '../page/suggest.js';
import { isTechniqueId, normalizeTechniqueId } from '../resolve.js';
import { ToolInputError } from './errors.js';

const fold = (s: string) => s.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();

/** The name ATT&CK shows for a sub-technique: `Remote Services: SSH`. */
function fullName(kb: KnowledgeBase, t: TechniqueRow): string {
  const parent = t.parent ? kb.technique(t.parent) : undefined;
  return parent ? `${parent.name}: ${t.name}` : t.name;
}

function suggestions(kb: KnowledgeBase, input: string): string {
  const near = closeMatches(kb, input);
  return near.length ? `; did you mean ${near.join(', ')}?` : '; try the search tool';
}

/** The id of the technique the input names (revoked ids included: their page says what replaced them). */
export function findTechniqueId(kb: KnowledgeBase, input: string): string {
  const id = normalizeTechniqueId(input);
  if (isTechniqueId(id)) {
    if (kb.technique(id)) return id;
    throw new ToolInputError(`unknown technique "${input}" in ATT&CK ${kb.attackVersion}${suggestions(kb, input)}`);
  }
  const q = fold(input);
  const live = kb.techniques().filter((t) => t.status !== 'revoked');
  let hits = live.filter((t) => fold(fullName(kb, t)) === q);
  if (!hits.length) hits = live.filter((t) => fold(t.name) === q);
  // The same name in several domains or under several parents: an active one beats a deprecated one.
  if (hits.length > 1 && hits.some((t) => t.status === 'active')) hits = hits.filter((t) => t.status === 'active');
  if (hits.length === 1) return hits[0]!.id;
  if (hits.length > 1) {
    throw new ToolInputError(`"${input}" names ${hits.length} techniques: ${hits.slice(0, 10).map((t) => `${t.id} (${fullName(kb, t)})`).join(', ')}; give the id`);
  }
  throw new ToolInputError(`no technique named "${input}" in ATT&CK ${kb.attackVersion}${suggestions(kb, input)}`);
}
