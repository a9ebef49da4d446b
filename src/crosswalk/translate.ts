/**
 * The version crosswalk: a technique id written against an older ATT&CK release becomes the
 * id(s) of the loaded release, with the reasons a reader needs. Revoked-by chains come from the
 * loaded release itself (ATT&CK keeps revoked objects); an older release given as `from`
 * explains what revocations cannot: renames, tactic moves, new sub-techniques.
 */
import type { Domain } from '../attack/types.js';
import { isTechniqueId, normalizeTechniqueId, replacementsOf } from '../resolve.js';
import type { Release, ReleaseTechnique } from './release.js';

/**
 * same: the id stands as it is. replaced: revoked, carried to its replacement(s).
 * deprecated / unknown / invalid: no technique of the loaded release stands for it.
 */
export type Outcome = 'same' | 'replaced' | 'deprecated' | 'unknown' | 'invalid';

export interface Translation {
  /** As written in the input. */
  input: string;
  /** Normal spelling (T1059.001); the input itself when it is no technique id. */
  id: string;
  /** Ids in the loaded release; empty when the id could not be translated. */
  ids: string[];
  outcome: Outcome;
  /** One sentence each: what changed and why. */
  notes: string[];
  /** Unknown, and numbered above anything the loaded release has: written against a newer ATT&CK. */
  newer?: boolean;
}

/** How far above the loaded release's highest technique number an unknown id still reads as "newer". */
export const NEWER_RANGE = 100;

/** Translations remembered per crosswalk: every id of a few releases, not every string a client can send. */
const MEMO_MAX = 20_000;

export const translated = (t: Translation): boolean => t.outcome === 'same' || t.outcome === 'replaced';

/** "19.1" → "19": Navigator layers and people name releases by their major version. */
export const majorOf = (version: string): string => version.split('.')[0] || version;

export class Crosswalk {
  private readonly memo = new Map<string, Translation>();

  constructor(readonly to: Release, readonly from?: Release) {}

  /** "ATT&CK 19.1" */
  get toLabel(): string {
    return `ATT&CK ${this.to.version}`;
  }

  get fromLabel(): string | undefined {
    return this.from && `ATT&CK ${this.from.version}`;
  }

  translate(input: string): Translation {
    const hit = this.memo.get(input);
    if (hit) return { ...hit, notes: [...hit.notes] };
    const t = this.compute(input);
    // Inputs come from users (files, MCP clients): only well-formed ids are remembered, and only so many.
    if (t.outcome !== 'invalid' && this.memo.size < MEMO_MAX) this.memo.set(input, t);
    return { ...t, notes: [...t.notes] };
  }

  /**
   * Translations of many ids, each input once (first-seen order), with merges stated: two old ids
   * that now stand for one technique each say so.
   */
  translateAll(inputs: Iterable<string>): Translation[] {
    const seen = new Map<string, Translation>();
    for (const input of inputs) {
      const key = normalizeTechniqueId(input);
      if (!seen.has(key)) seen.set(key, this.translate(input));
    }
    const list = [...seen.values()];
    noteMerges(list);
    return list;
  }

  private compute(input: string): Translation {
    const id = normalizeTechniqueId(input);
    if (!isTechniqueId(id)) return { input, id: input, ids: [], outcome: 'invalid', notes: ['not an ATT&CK technique id'] };
    const t = this.to.technique(id);
    const old = this.from?.technique(id);
    if (!t) return this.unknown(input, id, old);
    if (t.status === 'revoked') {
      const ids = replacementsOf(id, (x) => this.to.technique(x)).sort();
      if (!ids.length) return { input, id, ids: [], outcome: 'unknown', notes: [`revoked in ${this.toLabel} with no technique to replace it`] };
      const names = ids.map((x) => this.describe(x)).join(', ');
      const notes = [ids.length > 1 ? `revoked and split into ${names}` : `revoked; replaced by ${names}`];
      for (const x of ids) notes.push(...this.changesSince(old ?? t, this.to.technique(x)!));
      return { input, id, ids, outcome: 'replaced', notes };
    }
    if (t.status === 'deprecated') {
      return { input, id, ids: [], outcome: 'deprecated', notes: [`deprecated in ${this.toLabel} without a replacement`] };
    }
    return { input, id, ids: [id], outcome: 'same', notes: old ? this.changesSince(old, t) : [] };
  }

  private unknown(input: string, id: string, old: ReleaseTechnique | undefined): Translation {
    const n = Number(id.slice(1, 5));
    // A release adds a few dozen techniques: far above the loaded range is a typo, not the future.
    const newer = n > this.to.maxTechniqueNumber && n <= this.to.maxTechniqueNumber + NEWER_RANGE;
    let note: string;
    if (old) note = `in ${this.fromLabel} (${old.name}) but not in ${this.toLabel}`;
    else if (newer) note = `unknown to ${this.toLabel}, whose highest technique number is T${this.to.maxTechniqueNumber}: written against a newer ATT&CK (purplebook sync fetches it)`;
    else note = this.from ? `unknown to ${this.fromLabel} and ${this.toLabel}` : `unknown to ${this.toLabel}`;
    return { input, id, ids: [], outcome: 'unknown', notes: [note], ...(newer ? { newer } : {}) };
  }

  /** `T1685 "Disable or Modify Tools" (Defense Impairment)` */
  private describe(id: string): string {
    const t = this.to.technique(id);
    if (!t) return id;
    const tactics = t.tactics.map((s) => this.tacticName(this.to, t.domain, s)).join(', ');
    return `${id} "${t.name}"${tactics ? ` (${tactics})` : ''}`;
  }

  private tacticName(release: Release, domain: Domain, shortname: string): string {
    return release.tactics.find((x) => x.domain === domain && x.shortname === shortname)?.name ?? shortname;
  }

  /** What the older release says differently about the technique that now stands for it. */
  private changesSince(old: ReleaseTechnique, now: ReleaseTechnique): string[] {
    const notes: string[] = [];
    if (old.id === now.id && old.name !== now.name) notes.push(`renamed: "${old.name}" → "${now.name}"`);
    if (this.from && this.from.technique(old.id)) {
      const before = old.tactics.map((s) => this.tacticName(this.from!, old.domain, s));
      const after = now.tactics.map((s) => this.tacticName(this.to, now.domain, s));
      if (before.join(', ') !== after.join(', ')) notes.push(`tactics: ${before.join(', ') || 'none'} → ${after.join(', ') || 'none'}`);
      if (!now.parent && old.id === now.id) {
        const added = this.to.subtechniques(now.id).filter((s) => !this.from!.technique(s));
        if (added.length) notes.push(`new sub-techniques since ${this.fromLabel}: ${added.join(', ')}`);
      }
    }
    const oldParent = old.id.includes('.') ? old.id.split('.')[0]! : undefined;
    if (oldParent && now.parent && now.parent !== oldParent) {
      const parentNow = this.compute(oldParent).ids;
      if (!parentNow.includes(now.parent)) notes.push(`now a sub-technique of ${now.parent}, not of ${parentNow.join(', ') || oldParent}`);
    }
    return notes;
  }

  /**
   * The tactic(s) a layer entry should carry after translation; `tactics` undefined means the
   * entry applies to all the technique's tactics (no `tactic` field). A tactic that split (Defense
   * Evasion → Stealth and Defense Impairment) gives one entry per half the technique is under.
   * `siblings` are the tactics other entries of the same old id use: a layer with one entry per
   * tactic (T1078 under four tactics) tells which of the technique's tactics the renamed one became.
   */
  deriveTactic(tactic: string | undefined, now: ReleaseTechnique, siblings: ReadonlySet<string>): { tactics?: string[]; note?: string } {
    if (!tactic) return {};
    if (now.tactics.includes(tactic)) return { tactics: [tactic] };
    const chosen = (to: string[]) => ({ tactics: to, note: `${now.id}: tactic ${tactic} → ${to.join(', ')}` });
    const successors = this.successorsOf(tactic, now.domain).filter((s) => now.tactics.includes(s));
    if (successors.length) return chosen(successors);
    if (now.tactics.length === 1) return chosen([now.tactics[0]!]);
    const free = now.tactics.filter((s) => !siblings.has(s));
    if (free.length === 1) return chosen([free[0]!]);
    return { note: `${now.id}: tactic ${tactic} is not one of its tactics in ${this.toLabel} (${now.tactics.join(', ')}); the entry now applies to all of them` };
  }

  /**
   * Tactics of the loaded release that may stand for an older one: the tactic with the same
   * ATT&CK id (TA0005 defense-evasion → stealth), and tactics the older release did not have
   * (TA0112 defense-impairment took part of Defense Evasion). Needs `from`.
   */
  private successorsOf(shortname: string, domain: Domain): string[] {
    if (!this.from) return [];
    const old = this.from.tactics.find((t) => t.domain === domain && t.shortname === shortname);
    if (!old) return [];
    const oldIds = new Set(this.from.tactics.filter((t) => t.domain === domain).map((t) => t.id));
    return this.to.tactics.filter((t) => t.domain === domain && (t.id === old.id || !oldIds.has(t.id))).map((t) => t.shortname);
  }
}

/** Adds "merged" notes where several old ids now stand for the same technique. */
function noteMerges(list: Translation[]): void {
  const byTarget = new Map<string, Translation[]>();
  for (const t of list) for (const id of t.ids) byTarget.set(id, [...(byTarget.get(id) ?? []), t]);
  for (const [target, olds] of byTarget) {
    const ids = [...new Set(olds.map((o) => o.id))];
    if (ids.length < 2) continue;
    for (const o of olds) o.notes.push(`merged into ${target} with ${ids.filter((x) => x !== o.id).join(', ')}`);
  }
}
