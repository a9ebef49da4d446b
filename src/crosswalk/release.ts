/**
 * One ATT&CK release as the crosswalk sees it: techniques with their status, replacements and
 * tactics, and the tactics of each domain. Two readers give the same shape: the loaded knowledge
 * base (the release we translate into) and a folder of STIX bundles (`--from`, an older release).
 */
import { bundleFolderOf, loadAttack } from '../attack/load.js';
import type { AttackIndex, Domain, Status } from '../attack/types.js';
import type { KnowledgeBase } from '../kb/open.js';
import { InputError } from '../core/errors.js';

export interface ReleaseTechnique {
  id: string;
  domain: Domain;
  name: string;
  status: Status;
  revokedBy: readonly string[];
  /** Tactic shortnames. */
  tactics: readonly string[];
  parent?: string | null;
}

export interface ReleaseTactic {
  domain: Domain;
  id: string; // TA0005
  shortname: string; // stealth
  name: string;
}

export interface Release {
  /** "19.1", or "unknown" when the bundles do not say. */
  version: string;
  technique(id: string): ReleaseTechnique | undefined;
  /** Active sub-techniques of a technique, sorted. */
  subtechniques(id: string): string[];
  tactics: readonly ReleaseTactic[];
  /** Highest technique number (T1689 → 1689): ids above it are from a newer release. */
  maxTechniqueNumber: number;
}

export class ReleaseError extends InputError {}

function maxNumber(ids: Iterable<string>): number {
  let max = 0;
  for (const id of ids) {
    const n = Number(id.slice(1, 5));
    if (Number.isInteger(n) && n > max) max = n;
  }
  return max;
}

function childrenIndex(techniques: Iterable<ReleaseTechnique>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const t of techniques) {
    if (!t.parent || t.status !== 'active') continue;
    const list = out.get(t.parent) ?? [];
    list.push(t.id);
    out.set(t.parent, list);
  }
  for (const list of out.values()) list.sort();
  return out;
}

export function releaseFromAttack(attack: AttackIndex): Release {
  const children = childrenIndex(attack.techniques.values());
  return {
    version: attack.version,
    technique: (id) => attack.techniques.get(id),
    subtechniques: (id) => children.get(id) ?? [],
    tactics: attack.tactics.map((t) => ({ domain: t.domain, id: t.id, shortname: t.shortname, name: t.name })),
    maxTechniqueNumber: maxNumber(attack.techniques.keys()),
  };
}

export function releaseFromKb(kb: KnowledgeBase): Release {
  const all = kb.techniques();
  const children = childrenIndex(all);
  return {
    version: kb.attackVersion,
    technique: (id) => kb.technique(id),
    subtechniques: (id) => children.get(id) ?? [],
    tactics: kb.tactics().map((t) => ({ domain: t.domain, id: t.id, shortname: t.shortname, name: t.name })),
    maxTechniqueNumber: maxNumber(all.map((t) => t.id)),
  };
}

/**
 * An earlier release from a folder of bundles (`../shared/attack-18.1`) or a data folder
 * (`attack/*.json`). A folder without bundles, or whose bundles all fail, is an error: a
 * crosswalk from nothing would explain nothing.
 */
export function releaseFromFolder(dir: string): Release {
  const folder = bundleFolderOf(dir);
  if (!folder) throw new ReleaseError(`${dir}: no ATT&CK bundle (expected enterprise-attack.json, mobile-attack.json or ics-attack.json, or an attack/ folder holding them)`);
  const problems: string[] = [];
  const attack = loadAttack(dir, (w) => problems.push(`${w.file}: ${w.reason}`), undefined, folder);
  if (!attack.techniques.size) throw new ReleaseError(`${dir}: no technique could be read${problems.length ? ` (${problems[0]})` : ''}`);
  return releaseFromAttack(attack);
}
