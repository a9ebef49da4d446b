/**
 * Rules written against a newer ATT&CK than the knowledge base: their ids are unknown, and
 * numbered just above the loaded release's range. One hint says so, instead of a list of
 * "unknown id" warnings that reads like broken rules.
 */
import type { Release } from './release.js';
import { NEWER_RANGE } from './translate.js';

export function newerIds(ids: Iterable<string>, release: Pick<Release, 'maxTechniqueNumber' | 'technique'>): string[] {
  const out = new Set<string>();
  for (const id of ids) {
    const n = Number(/^T(\d{4})(?:\.\d{3})?$/.exec(id)?.[1]);
    if (n > release.maxTechniqueNumber && n <= release.maxTechniqueNumber + NEWER_RANGE && !release.technique(id)) out.add(id);
  }
  return [...out].sort();
}

/** "rules use ATT&CK ids newer than the knowledge base's 19.1 (T1696, T1697): `purplebook sync` fetches the newer release" */
export function newerHint(who: string, ids: readonly string[], version: string): string | undefined {
  if (!ids.length) return undefined;
  const shown = ids.length > 8 ? `${ids.slice(0, 8).join(', ')}, …` : ids.join(', ');
  return `${who} use ATT&CK ids newer than the knowledge base's ATT&CK ${version} (${shown}): the rules follow a newer ATT&CK; purplebook sync fetches it, then purplebook build`;
}
