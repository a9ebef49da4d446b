/**
 * What to download: one unit per data folder. Sources sharing a folder share one repository
 * archive (the union of their paths); ATT&CK is a built-in unit of raw bundle files.
 */
import type { SourceInfo } from '../sources/types.js';
import { SyncInputError } from './config.js';

/** What sync needs of a `Source`; tests pass plain descriptors. */
export type SyncSource = Pick<SourceInfo, 'name' | 'folder' | 'upstream'> & { license?: string };

export const ATTACK_FOLDER = 'attack';
export const ATTACK_REPO = 'mitre-attack/attack-stix-data';
export const ATTACK_DOMAINS = ['enterprise-attack', 'mobile-attack', 'ics-attack'] as const;

/**
 * Repository prefixes dropped on extraction so the layout matches ../shared/data (the connectors
 * read these folders without the prefix). A source may also carry `upstream.strip`.
 */
export const KNOWN_STRIP_PREFIXES: Record<string, string[]> = {
  'd3fend/d3fend-ontology': ['src/ontology/'],
  'center-for-threat-informed-defense/mappings-explorer': ['mappings/'],
};

/** Root files kept with every copy: licenses and notices must travel with redistributed content. */
export const LICENSE_GLOBS = ['LICEN[CS]E', 'LICEN[CS]E.*', 'NOTICE', 'NOTICE.*', 'COPYING', 'COPYING.*'];

export interface ArchiveUnit {
  kind: 'archive';
  folder: string;
  repo: string;
  defaultRef: string;
  paths: string[];
  strip: string[];
  names: string[];
  license?: string;
}

export interface AttackUnit {
  kind: 'attack';
  folder: typeof ATTACK_FOLDER;
  repo: typeof ATTACK_REPO;
  defaultRef: string;
  names: string[];
  license: string;
}

export type SyncUnit = ArchiveUnit | AttackUnit;

export interface Plan {
  units: SyncUnit[];
  /** Sources that cannot be synced, and why. */
  skipped: { name: string; reason: string }[];
}

const GITHUB_REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

function checkFolder(folder: string, name: string): string {
  const f = folder.replace(/\/+$/, '');
  if (!f || f.startsWith('/') || f.split('/').some((s) => s === '..' || s === '.' || s === '' || s.startsWith('.'))) {
    throw new SyncInputError(`source ${name}: folder "${folder}" is not a plain relative folder`);
  }
  return f;
}

export function planUnits(sources: readonly SyncSource[]): Plan {
  const attack: AttackUnit = { kind: 'attack', folder: ATTACK_FOLDER, repo: ATTACK_REPO, defaultRef: 'master', names: ['attack'], license: 'ATT&CK Terms of Use' };
  const byFolder = new Map<string, ArchiveUnit>();
  const skipped: Plan['skipped'] = [];
  for (const s of sources) {
    const folder = checkFolder(s.folder, s.name);
    if (folder === ATTACK_FOLDER) {
      if (!s.upstream) {
        attack.names.push(s.name);
        continue;
      }
      throw new SyncInputError(`source ${s.name}: folder "attack" is reserved for the ATT&CK bundles`);
    }
    if (!s.upstream) {
      skipped.push({ name: s.name, reason: 'no upstream repository to sync' });
      continue;
    }
    if (!GITHUB_REPO.test(s.upstream.repo)) {
      skipped.push({ name: s.name, reason: `upstream "${s.upstream.repo}" is not a GitHub repository` });
      continue;
    }
    const strip = (s.upstream as { strip?: unknown }).strip;
    const unit = byFolder.get(folder);
    if (unit) {
      if (unit.repo !== s.upstream.repo) {
        throw new SyncInputError(`folder "${folder}" is claimed by ${unit.repo} (${unit.names.join(', ')}) and ${s.upstream.repo} (${s.name}): one repository per folder`);
      }
      unit.names.push(s.name);
      for (const p of s.upstream.paths) if (!unit.paths.includes(p)) unit.paths.push(p);
      continue;
    }
    byFolder.set(folder, {
      kind: 'archive', folder, repo: s.upstream.repo, defaultRef: s.upstream.defaultRef, paths: [...s.upstream.paths],
      strip: Array.isArray(strip) && strip.every((x) => typeof x === 'string') ? (strip) : KNOWN_STRIP_PREFIXES[s.upstream.repo] ?? [],
      names: [s.name], license: s.license,
    });
  }
  const units: SyncUnit[] = [attack, ...[...byFolder.values()].sort((a, b) => a.folder.localeCompare(b.folder))];
  return { units, skipped };
}

/** The unit a `--source`/`--ref` name designates: a source name, a folder, or `attack`. */
export function findUnit(plan: Plan, name: string): SyncUnit {
  const key = name.replace(/\/+$/, '');
  const unit = plan.units.find((u) => u.folder === key || u.names.includes(key));
  if (unit) return unit;
  const skip = plan.skipped.find((s) => s.name === key);
  if (skip) throw new SyncInputError(`source ${key} cannot be synced: ${skip.reason}`);
  const known = [...new Set(plan.units.flatMap((u) => [u.folder, ...u.names]))].sort();
  throw new SyncInputError(`unknown source "${name}" (known: ${known.join(', ')})`);
}

/** Where a repository path lands inside the unit's folder, or undefined when the unit does not need it. */
export function targetFor(unit: ArchiveUnit, match: (path: string) => boolean, isLicense: (path: string) => boolean): (repoPath: string) => string | undefined {
  return (repoPath) => {
    if (!match(repoPath) && !isLicense(repoPath)) return undefined;
    const prefix = unit.strip.find((p) => repoPath.startsWith(p) && repoPath.length > p.length);
    return prefix ? repoPath.slice(prefix.length) : repoPath;
  };
}
