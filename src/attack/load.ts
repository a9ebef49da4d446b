/**
 * A lean, typed loader for ATT&CK STIX 2.0/2.1 bundles (enterprise, mobile, ICS).
 * JSON.parse plus one pass over the objects: @mitre-attack/attack-data-model was measured ten
 * times slower and rejects mitre/cti's STIX 2.0 objects in strict mode.
 * Every problem with a file or an object is a warning; nothing here throws on bad data. A bundle
 * is untrusted input (read.ts applies the build limits); an object with a wrong-typed field or a
 * malformed ATT&CK id is skipped whole (validate.ts), the rest of its bundle still loads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_LIMITS, type Limits } from '../core/types.js';
import { stripCitations } from '../util/text.js';
import { readBundle } from './read.js';
import type {
  Actor, ActorKind, AttackIndex, AttackWarning, DataComponent, DetectionStrategy, Domain, DomainInfo, Mitigation, MitigationUse, Tactic, Technique,
} from './types.js';
import { DOMAINS } from './types.js';
import { ATTACK_SOURCES, normalizeId, objectProblem } from './validate.js';

interface StixRef {
  source_name?: string;
  external_id?: string;
  url?: string;
}

interface StixObject {
  type?: string;
  id?: string;
  name?: string;
  description?: string;
  revoked?: boolean;
  x_mitre_deprecated?: boolean;
  external_references?: StixRef[];
  kill_chain_phases?: { kill_chain_name?: string; phase_name?: string }[];
  x_mitre_platforms?: string[];
  x_mitre_is_subtechnique?: boolean;
  x_mitre_version?: string;
  x_mitre_data_sources?: string[];
  x_mitre_shortname?: string;
  x_mitre_analytic_refs?: string[];
  x_mitre_log_source_references?: { name?: string; channel?: string; x_mitre_data_component_ref?: unknown }[];
  tactic_refs?: string[];
  aliases?: string[];
  x_mitre_aliases?: string[];
  x_mitre_domains?: string[];
  modified?: string;
  relationship_type?: string;
  source_ref?: string;
  target_ref?: string;
  x_mitre_contents?: unknown[];
}

/** The object's ATT&CK reference, its id in normal spelling (validate.ts has checked the form). */
function attackRef(o: StixObject): StixRef | undefined {
  const ref = o.external_references?.find((r) => ATTACK_SOURCES.has(r.source_name ?? '') && typeof r.external_id === 'string');
  return ref && { ...ref, external_id: normalizeId(ref.external_id!) };
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function techniqueUrl(id: string): string {
  return `https://attack.mitre.org/techniques/${id.replace('.', '/')}`;
}

/**
 * Version from MANIFEST.json's entry for the attack folder: a data folder's `sources[]`, or the
 * single `source` entry a folder of bundles kept from an earlier release carries.
 */
function manifestAttackVersion(dir: string): string | undefined {
  const file = join(dir, 'MANIFEST.json');
  if (!existsSync(file)) return undefined;
  try {
    type Entry = { folder?: string; version?: unknown };
    const m = JSON.parse(readFileSync(file, 'utf8')) as { sources?: Entry[]; source?: Entry };
    const entries = [...(Array.isArray(m.sources) ? m.sources : []), ...(m.source ? [m.source] : [])];
    const v = entries.find((s) => s.folder?.replace(/\/$/, '') === 'attack')?.version;
    return typeof v === 'string' && v ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Where a folder keeps its bundles: `attack/` of a data folder, or the folder itself (e.g. ../shared/attack-18.1). */
export function bundleFolderOf(dir: string): string | undefined {
  const has = (d: string) => DOMAINS.some((domain) => existsSync(join(dir, d, `${domain}.json`)));
  if (has('attack')) return 'attack';
  if (has('.')) return '.';
  return undefined;
}

export function emptyAttack(): AttackIndex {
  return {
    version: 'unknown', versionSource: 'unknown', domains: [], techniques: new Map(), tactics: [],
    mitigations: new Map(), mitigationUses: [], detectionStrategies: [], actors: [],
  };
}

/**
 * Load `attack/<domain>.json` for every domain present under dataDir (or `<domain>.json` when
 * `folder` is "."). `limits` are the build's (maxBundleBytes, maxDepth); callers without a build
 * configuration get the defaults.
 */
export function loadAttack(dataDir: string, warn: (w: AttackWarning) => void = () => {}, limits: Limits = DEFAULT_LIMITS, folder = 'attack'): AttackIndex {
  const index = emptyAttack();
  let collectionVersion: string | undefined;
  for (const domain of DOMAINS) {
    const file = folder === '.' ? `${domain}.json` : `${folder}/${domain}.json`;
    const full = join(dataDir, file);
    if (!existsSync(full)) continue;
    const bundle = readBundle(dataDir, file, limits, warn);
    if (!bundle) continue;
    const v = loadDomain(index, domain, file, bundle.objects, warn);
    index.domains.push(v.info);
    if (bundle.specVersion) v.info.spec = bundle.specVersion;
    collectionVersion ??= v.collectionVersion;
  }
  if (collectionVersion) {
    index.version = collectionVersion;
    index.versionSource = 'collection';
  } else {
    const mv = manifestAttackVersion(dataDir);
    if (mv) {
      index.version = mv;
      index.versionSource = 'manifest';
    }
  }
  return index;
}

function loadDomain(index: AttackIndex, domain: Domain, file: string, raw: unknown[], warn: (w: AttackWarning) => void) {
  const byStix = new Map<string, StixObject>();
  const relationships: StixObject[] = [];
  let collectionVersion: string | undefined;
  let bad = 0;
  for (const o of raw) {
    if (!o || typeof o !== 'object' || Array.isArray(o) || typeof (o as StixObject).id !== 'string') {
      bad++;
      continue;
    }
    const problem = objectProblem(o as Record<string, unknown>);
    if (problem) {
      warn({ file, reason: `${(o as StixObject).id}: ${problem}: object skipped` });
      continue;
    }
    const obj = o as StixObject;
    if (obj.type === 'relationship') relationships.push(obj);
    else byStix.set(obj.id!, obj);
    if (obj.type === 'x-mitre-collection' && typeof obj.x_mitre_version === 'string') collectionVersion = obj.x_mitre_version;
  }
  if (bad) warn({ file, reason: `${bad} object(s) without a type or id: ignored` });

  const info: DomainInfo = { domain, file, matrices: [], spec: '' };
  const idOf = (stixId: string | undefined): string | undefined => (stixId ? attackRef(byStix.get(stixId) ?? {})?.external_id : undefined);

  // Tactics, ordered by the domain's matrices: active matrices first, then the one with most tactics.
  const matrices = [...byStix.values()].filter((o) => o.type === 'x-mitre-matrix');
  matrices.sort((a, b) => Number(!!(a.x_mitre_deprecated || a.revoked)) - Number(!!(b.x_mitre_deprecated || b.revoked))
    || (b.tactic_refs?.length ?? 0) - (a.tactic_refs?.length ?? 0));
  const tacticByShort = new Map<string, Tactic>();
  const domainTactics: Tactic[] = [];
  for (const m of matrices) {
    info.matrices.push(m.name ?? '(unnamed matrix)');
    for (const ref of strings(m.tactic_refs)) {
      const t = byStix.get(ref);
      const ext = t && attackRef(t);
      if (!t || !ext || !t.x_mitre_shortname || !t.name) {
        warn({ file, reason: `matrix "${m.name}" names tactic ${ref}, which is missing or incomplete` });
        continue;
      }
      if (tacticByShort.has(t.x_mitre_shortname)) continue;
      const tactic: Tactic = {
        id: ext.external_id!, shortname: t.x_mitre_shortname, name: t.name, domain, order: domainTactics.length,
        url: ext.url ?? `https://attack.mitre.org/tactics/${ext.external_id}`,
      };
      tacticByShort.set(tactic.shortname, tactic);
      domainTactics.push(tactic);
    }
  }
  index.tactics.push(...domainTactics);

  // Revocations of every object kind (techniques, groups, software), by STIX id of the revoked object.
  const revokedBy = new Map<string, string[]>();
  for (const r of relationships) {
    if (r.relationship_type !== 'revoked-by') continue;
    const target = idOf(r.target_ref);
    if (r.source_ref && target) revokedBy.set(r.source_ref, [...(revokedBy.get(r.source_ref) ?? []), target]);
  }

  const stixToTechnique = new Map<string, Technique>();
  for (const o of byStix.values()) {
    if (o.type !== 'attack-pattern') continue;
    const ext = attackRef(o);
    if (!ext) {
      warn({ file, reason: `attack-pattern ${o.id} has no ATT&CK id: ignored` });
      continue;
    }
    const id = ext.external_id!;
    if (!o.name) warn({ file, reason: `technique ${id} has no name` });
    const status = o.revoked ? 'revoked' : o.x_mitre_deprecated ? 'deprecated' : 'active';
    const isSub = o.x_mitre_is_subtechnique === true || /\.\d{3}$/.test(id);
    const tactics = (o.kill_chain_phases ?? [])
      .map((p) => p?.phase_name)
      .filter((p): p is string => typeof p === 'string' && tacticByShort.has(p));
    tactics.sort((a, b) => tacticByShort.get(a)!.order - tacticByShort.get(b)!.order);
    if (status === 'active' && !tactics.length) warn({ file, reason: `technique ${id} names no tactic of the ${domain} matrix` });
    const t: Technique = {
      id, stixId: o.id!, domain, name: o.name ?? id,
      description: stripCitations(typeof o.description === 'string' ? o.description : ''),
      url: ext.url ?? techniqueUrl(id), tactics: [...new Set(tactics)], platforms: strings(o.x_mitre_platforms), status,
      revokedBy: revokedBy.get(o.id!) ?? [], isSubtechnique: isSub, parent: isSub ? id.split('.')[0] : undefined,
      version: o.x_mitre_version, modified: o.modified, dataSources: strings(o.x_mitre_data_sources),
    };
    if (index.techniques.has(id)) {
      warn({ file, reason: `technique id ${id} appears twice: kept the first` });
      continue;
    }
    index.techniques.set(id, t);
    stixToTechnique.set(o.id!, t);
  }

  // Mitigations and their `mitigates` relationships.
  const stixToMitigation = new Map<string, Mitigation>();
  for (const o of byStix.values()) {
    if (o.type !== 'course-of-action') continue;
    const ext = attackRef(o);
    if (!ext || !o.name) continue;
    const m: Mitigation = {
      id: ext.external_id!, stixId: o.id!, domain, name: o.name, url: ext.url ?? `https://attack.mitre.org/mitigations/${ext.external_id}`,
      description: stripCitations(o.description ?? ''), deprecated: !!(o.revoked || o.x_mitre_deprecated),
    };
    stixToMitigation.set(o.id!, m);
    if (!index.mitigations.has(m.id)) index.mitigations.set(m.id, m);
  }
  const uses: MitigationUse[] = [];
  const detects = new Map<string, string[]>();
  const actorUses = new Map<string, string[]>();
  for (const r of relationships) {
    if (r.revoked || r.x_mitre_deprecated) continue;
    const tech = r.target_ref ? stixToTechnique.get(r.target_ref) : undefined;
    if (!tech) continue;
    if (r.relationship_type === 'mitigates') {
      const m = r.source_ref ? stixToMitigation.get(r.source_ref) : undefined;
      if (m && !m.deprecated) uses.push({ mitigation: m.id, technique: tech.id, description: stripCitations(r.description ?? '') });
    } else if (r.relationship_type === 'detects' && r.source_ref) {
      detects.set(r.source_ref, [...(detects.get(r.source_ref) ?? []), tech.id]);
    } else if (r.relationship_type === 'uses' && r.source_ref) {
      actorUses.set(r.source_ref, [...(actorUses.get(r.source_ref) ?? []), tech.id]);
    }
  }
  index.mitigationUses.push(...uses);

  // Detection strategies (ATT&CK v18+) with their analytics.
  /** The data components an analytic's log sources belong to, each once, as the bundle names them. */
  const dataComponentsOf = (a: StixObject): DataComponent[] => {
    const out = new Map<string, DataComponent>();
    for (const l of a.x_mitre_log_source_references ?? []) {
      const ref = l?.x_mitre_data_component_ref;
      const dc = typeof ref === 'string' ? byStix.get(ref) : undefined;
      const ext = dc?.type === 'x-mitre-data-component' && !dc.revoked && !dc.x_mitre_deprecated ? attackRef(dc) : undefined;
      if (ext && dc?.name && !out.has(ext.external_id!)) out.set(ext.external_id!, { id: ext.external_id!, name: dc.name, url: ext.url ?? '' });
    }
    return [...out.values()];
  };
  for (const o of byStix.values()) {
    if (o.type !== 'x-mitre-detection-strategy') continue;
    const ext = attackRef(o);
    if (!ext || !o.name) continue;
    const analytics = strings(o.x_mitre_analytic_refs).flatMap((ref) => {
      const a = byStix.get(ref);
      const aext = a && attackRef(a);
      if (!a || !aext) return [];
      return [{
        id: aext.external_id!, name: a.name ?? aext.external_id!, url: aext.url ?? '', platforms: strings(a.x_mitre_platforms),
        description: stripCitations(a.description ?? ''),
        logSourceRefs: (a.x_mitre_log_source_references ?? []).flatMap((l) => {
          const name = typeof l?.name === 'string' ? l.name.trim() : '';
          const channel = typeof l?.channel === 'string' ? l.channel.trim() : '';
          return name ? [channel ? { name, channel } : { name }] : [];
        }),
        dataComponents: dataComponentsOf(a),
      }];
    });
    const ds: DetectionStrategy = {
      id: ext.external_id!, stixId: o.id!, domain, name: o.name, url: ext.url ?? '', deprecated: !!o.x_mitre_deprecated,
      revoked: !!o.revoked, analytics, techniques: [...new Set(detects.get(o.id!) ?? [])],
    };
    index.detectionStrategies.push(ds);
  }

  // Groups, software and campaigns with the techniques they use.
  const kinds: Record<string, ActorKind> = { 'intrusion-set': 'group', malware: 'software', tool: 'software', campaign: 'campaign' };
  const existing = new Map(index.actors.map((a) => [a.id, a]));
  for (const o of byStix.values()) {
    const kind = kinds[o.type ?? ''];
    if (!kind) continue;
    const ext = attackRef(o);
    if (!ext || !o.name) continue;
    const techniques = [...new Set(actorUses.get(o.id!) ?? [])];
    const prev = existing.get(ext.external_id!);
    if (prev) {
      // The same group appears in several domains' bundles: merge its uses.
      prev.domains.push(domain);
      prev.techniques = [...new Set([...prev.techniques, ...techniques])];
      continue;
    }
    const actor: Actor = {
      id: ext.external_id!, stixId: o.id!, kind, domains: [domain], name: o.name,
      aliases: [...new Set([...strings(o.aliases), ...strings(o.x_mitre_aliases)])].filter((a) => a !== o.name),
      url: ext.url ?? '', status: o.revoked ? 'revoked' : o.x_mitre_deprecated ? 'deprecated' : 'active',
      revokedBy: revokedBy.get(o.id!) ?? [], techniques,
    };
    index.actors.push(actor);
    existing.set(actor.id, actor);
  }
  return { info, collectionVersion };
}
