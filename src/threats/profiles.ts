/**
 * Threat profiles from Categorized Adversary TTPs (tropChaud): ATT&CK groups merged with ETDA/ThaiCERT
 * threat group cards — origin country, motivation, victim industries and countries. Joined to the
 * loaded ATT&CK on the intrusion-set STIX id, falling back to names and aliases.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Actor, AttackIndex } from '../attack/types.js';

export const PROFILES_FILE = 'adversaries/Categorized_Adversary_TTPs.json';

export interface ThreatProfile {
  stixId: string;
  name: string;
  aliases: string[];
  /** ATT&CK group id in the loaded ATT&CK (a revoked group is followed to its replacement), or null. */
  actor: string | null;
  originCountry: string | null;
  motivation: string[];
  victimIndustries: string[];
  victimCountries: string[];
  url: string | null;
  techniques: string[];
}

const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim()) : []);
const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

function joinActor(attack: AttackIndex, stixId: string, names: string[]): Actor | undefined {
  const groups = attack.actors.filter((a) => a.kind === 'group');
  let actor = groups.find((a) => a.stixId === stixId);
  if (!actor) {
    const wanted = new Set(names.map(norm));
    actor = groups.find((a) => a.status === 'active' && [a.name, ...a.aliases].some((n) => wanted.has(norm(n))));
  }
  // A revoked group (UNC2452) is followed to the group that absorbed it (APT29).
  for (let hops = 0; actor?.status === 'revoked' && actor.revokedBy.length && hops < 5; hops++) {
    const next = attack.actors.find((a) => a.id === actor!.revokedBy[0]);
    if (!next) break;
    actor = next;
  }
  return actor;
}

export function loadThreatProfiles(dataDir: string, attack: AttackIndex, warn: (file: string, reason: string) => void): ThreatProfile[] {
  const full = join(dataDir, PROFILES_FILE);
  if (!existsSync(full)) return [];
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(full, 'utf8'));
  } catch (e) {
    warn(PROFILES_FILE, `not valid JSON: ${(e as Error).message.split('\n')[0]}`);
    return [];
  }
  if (!Array.isArray(data)) {
    warn(PROFILES_FILE, 'not a JSON array of groups');
    return [];
  }
  const out: ThreatProfile[] = [];
  data.forEach((e: Record<string, unknown>, i) => {
    if (!e || typeof e !== 'object' || typeof e.mitre_attack_name !== 'string') {
      warn(PROFILES_FILE, `entry ${i} has no mitre_attack_name: skipped`);
      return;
    }
    const stixId = typeof e.mitre_attack_id === 'string' ? e.mitre_attack_id : '';
    const aliases = [...new Set([...strs(e.mitre_attack_aliases), ...strs(e.etda_aliases)])];
    const actor = joinActor(attack, stixId, [e.mitre_attack_name, ...aliases]);
    if (!actor) warn(PROFILES_FILE, `group "${e.mitre_attack_name}" (${stixId}) could not be joined to the loaded ATT&CK ${attack.version}`);
    out.push({
      stixId, name: e.mitre_attack_name, aliases, actor: actor?.id ?? null,
      originCountry: typeof e.country === 'string' && e.country ? e.country : null, motivation: strs(e.motivation),
      victimIndustries: strs(e.victim_industries), victimCountries: strs(e.victim_countries),
      url: typeof e.mitre_url === 'string' ? e.mitre_url : null, techniques: strs(e.mitre_attack_ttps),
    });
  });
  return out;
}
