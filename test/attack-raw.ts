/**
 * An independent reading of the data folder's ATT&CK bundles for expectations: plain JSON, the
 * `revoked-by` relationships and the revoked/deprecated flags, nothing from `src/`. Tests compare
 * what Purplebook resolves with what this reading resolves, so a new ATT&CK release in the data
 * needs no test edits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR } from './helpers.js';

type StixObject = Record<string, unknown>;

export interface RawTechnique {
  id: string;
  name: string;
  revoked: boolean;
  deprecated: boolean;
  /** ATT&CK ids of the objects this one is revoked by. */
  revokedBy: string[];
  /** kill-chain phase names (tactic shortnames) as the object states them. */
  tactics: string[];
}

export interface RawAttack {
  techniques: Map<string, RawTechnique>;
  /** The ids that stand today for `raw` (as the build counts: unknown ids stay as written, normalized). */
  resolve(raw: string): string[];
  /** One past the highest technique number: an id no loaded release knows. */
  nextTechniqueId: string;
  /** Release from the enterprise bundle's x-mitre-collection, if it has one. */
  collectionVersion?: string;
  /** Per domain, the tactic names of its (first, not revoked) matrix in the matrix's own order. */
  matrixTactics: Map<string, string[]>;
}

const cache = new Map<string, RawAttack>();

function attackId(o: StixObject): string | undefined {
  const refs = o.external_references as { source_name?: string; external_id?: string }[] | undefined;
  return refs?.find((r) => r.source_name === 'mitre-attack')?.external_id;
}

/** Reads `<dir>/attack/*.json` (a data folder) or `<dir>/*.json` (a folder of bundles). */
export function rawAttack(dir = DATA_DIR): RawAttack {
  const hit = cache.get(dir);
  if (hit) return hit;
  const techniques = new Map<string, RawTechnique>();
  const byStix = new Map<string, string>();
  const relationships: StixObject[] = [];
  const matrixTactics = new Map<string, string[]>();
  let collectionVersion: string | undefined;
  for (const domain of ['enterprise-attack', 'mobile-attack', 'ics-attack']) {
    let text: string;
    try {
      text = readFileSync(join(dir, 'attack', `${domain}.json`), 'utf8');
    } catch {
      text = readFileSync(join(dir, `${domain}.json`), 'utf8');
    }
    const objects = (JSON.parse(text) as { objects: StixObject[] }).objects;
    const tacticNames = new Map(objects.filter((o) => o.type === 'x-mitre-tactic').map((o) => [o.id as string, o.name as string]));
    const matrix = objects.find((o) => o.type === 'x-mitre-matrix' && o.revoked !== true);
    matrixTactics.set(domain, ((matrix?.tactic_refs ?? []) as string[]).map((r) => tacticNames.get(r) ?? r));
    if (domain === 'enterprise-attack') collectionVersion = objects.find((o) => o.type === 'x-mitre-collection')?.x_mitre_version as string | undefined;
    for (const o of objects) {
      const id = attackId(o);
      if (id) byStix.set(o.id as string, id);
      if (o.type === 'relationship' && o.relationship_type === 'revoked-by') relationships.push(o);
      if (o.type !== 'attack-pattern' || !id) continue;
      techniques.set(id, {
        id, name: o.name as string, revoked: o.revoked === true, deprecated: o.x_mitre_deprecated === true, revokedBy: [],
        tactics: ((o.kill_chain_phases ?? []) as { phase_name: string }[]).map((p) => p.phase_name),
      });
    }
  }
  for (const r of relationships) {
    const from = byStix.get(r.source_ref as string);
    const to = byStix.get(r.target_ref as string);
    const t = from ? techniques.get(from) : undefined;
    if (t && to && !t.revokedBy.includes(to)) t.revokedBy.push(to);
  }
  const resolve = (raw: string): string[] => {
    const id = raw.trim().replace(/^attack\./i, '').toUpperCase();
    if (!/^T\d{4}(\.\d{3})?$/.test(id)) return [];
    const out = new Set<string>();
    const seen = new Set<string>();
    const walk = (x: string) => {
      if (seen.has(x)) return;
      seen.add(x);
      const t = techniques.get(x);
      if (t?.revoked && t.revokedBy.length) for (const r of t.revokedBy) walk(r);
      else if (x.startsWith('T') && (t || x === id)) out.add(x);
    };
    walk(id);
    // A revoked id with no technique to replace it stays itself, as the build keeps it.
    return out.size ? [...out] : [id];
  };
  const max = Math.max(...[...techniques.keys()].map((id) => Number(id.slice(1, 5))));
  const value = { techniques, resolve, nextTechniqueId: `T${max + 1}`, collectionVersion, matrixTactics };
  cache.set(dir, value);
  return value;
}
