/**
 * Sync settings: base URLs (GitHub or a mirror with GitHub's layout), limits for untrusted
 * downloads, timeouts, per-source overrides; read from a JSON file such as purplebook.config.json.
 */
import { CONFIG_FILE_NAME, parseLimitBlock, readConfigFile } from '../core/config-file.js';
import { InputError } from '../core/errors.js';

export class SyncInputError extends InputError {}

export interface SyncLimits {
  /** Largest download accepted (one archive or one ATT&CK bundle). */
  maxDownloadBytes: number;
  /** Most files written for one source. */
  maxFiles: number;
  /** Most bytes written for one source. */
  maxBytes: number;
  /** Most bytes an archive may unpack to, skipped entries included (gzip bombs). */
  maxArchiveBytes: number;
  /** Most tar entries read from one archive. */
  maxEntries: number;
  /** Abort a download when the server sends nothing for this long. */
  stallTimeoutMs: number;
  /** Abort a download that takes longer than this in total. */
  totalTimeoutMs: number;
}

export const DEFAULT_SYNC_LIMITS: SyncLimits = {
  maxDownloadBytes: 1024 * 1024 * 1024,
  maxFiles: 100_000,
  maxBytes: 2 * 1024 * 1024 * 1024,
  maxArchiveBytes: 8 * 1024 * 1024 * 1024,
  maxEntries: 1_000_000,
  stallTimeoutMs: 30_000,
  totalTimeoutMs: 30 * 60_000,
};

export interface SourceConfig {
  /** Base URL replacing https://github.com and https://raw.githubusercontent.com for this source. */
  mirror?: string;
  /** Branch, tag or commit to sync when nothing is pinned. */
  ref?: string;
}

export interface SyncConfig {
  mirror?: string;
  /** Data folder to write. */
  dir?: string;
  /** Lock file path. */
  lock?: string;
  attackVersion?: string;
  limits?: Partial<SyncLimits>;
  /** Keyed by source name or folder (`attack` for the ATT&CK bundles). */
  sources?: Record<string, SourceConfig>;
}

export const GITHUB = 'https://github.com';
export const GITHUB_RAW = 'https://raw.githubusercontent.com';
export { CONFIG_FILE_NAME };

function fail(file: string, what: string): never {
  throw new SyncInputError(`${file}: ${what}`);
}

/** A base URL: http(s), no query or fragment, no trailing slash. */
export function checkBaseUrl(url: string, where: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SyncInputError(`${where}: "${url}" is not a URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new SyncInputError(`${where}: "${url}" must be an http(s) URL`);
  if (u.search || u.hash) throw new SyncInputError(`${where}: "${url}" must not have a query or fragment`);
  return url.replace(/\/+$/, '');
}

function optString(file: string, obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !v) fail(file, `"${key}" must be a non-empty string`);
  return v;
}

/** Parse and validate a config object (unknown keys are an error: a typo must not pass silently). */
export function parseSyncConfig(raw: unknown, file = 'config'): SyncConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(file, 'must be a JSON object');
  const obj = raw as Record<string, unknown>;
  // `build` holds the build's limits (src/kb/limits-config.ts) and `stacks` the control stacks (src/kb/stack.ts): one file for every command.
  const known = new Set(['mirror', 'dir', 'lock', 'attackVersion', 'limits', 'sources', 'build', 'stacks', '$schema', 'comment']);
  for (const k of Object.keys(obj)) if (!known.has(k)) fail(file, `unknown setting "${k}"`);
  const cfg: SyncConfig = {};
  const mirror = optString(file, obj, 'mirror');
  if (mirror) cfg.mirror = checkBaseUrl(mirror, `${file}: mirror`);
  cfg.dir = optString(file, obj, 'dir');
  cfg.lock = optString(file, obj, 'lock');
  cfg.attackVersion = optString(file, obj, 'attackVersion');
  if (obj.limits !== undefined) cfg.limits = parseLimitBlock(obj.limits, DEFAULT_SYNC_LIMITS, 'limits', (what) => fail(file, what));
  if (obj.sources !== undefined) {
    if (!obj.sources || typeof obj.sources !== 'object' || Array.isArray(obj.sources)) fail(file, '"sources" must be an object');
    cfg.sources = {};
    for (const [name, v] of Object.entries(obj.sources as Record<string, unknown>)) {
      if (!v || typeof v !== 'object' || Array.isArray(v)) fail(file, `sources.${name} must be an object`);
      const s = v as Record<string, unknown>;
      for (const k of Object.keys(s)) if (k !== 'mirror' && k !== 'ref') fail(file, `unknown setting "sources.${name}.${k}"`);
      const sm = optString(file, s, 'mirror');
      cfg.sources[name] = { mirror: sm ? checkBaseUrl(sm, `${file}: sources.${name}.mirror`) : undefined, ref: optString(file, s, 'ref') };
    }
  }
  return cfg;
}

/** --config FILE, else $PURPLEBOOK_CONFIG, else ./purplebook.config.json when it exists, else nothing. */
export function loadSyncConfig(explicit?: string, cwd = process.cwd()): { config: SyncConfig; file?: string } {
  const read = readConfigFile(explicit, cwd, (message) => new SyncInputError(message));
  return read ? { config: parseSyncConfig(read.raw, read.file), file: read.file } : { config: {} };
}

export function effectiveLimits(cfg: SyncConfig, override: Partial<SyncLimits> = {}): SyncLimits {
  return { ...DEFAULT_SYNC_LIMITS, ...cfg.limits, ...override };
}

export interface Bases {
  /** Replaces https://github.com: `<archive>/<owner>/<repo>/archive/<ref>.tar.gz`. */
  archive: string;
  /** Replaces https://raw.githubusercontent.com: `<raw>/<owner>/<repo>/<ref>/<path>`. */
  raw: string;
}

/** --mirror, then $PURPLEBOOK_MIRROR, then the config's per-source mirror, then its global one, then GitHub. */
export function basesFor(keys: readonly string[], cfg: SyncConfig, cliMirror?: string): Bases {
  const perSource = keys.map((k) => cfg.sources?.[k]?.mirror).find(Boolean);
  const env = process.env.PURPLEBOOK_MIRROR ? checkBaseUrl(process.env.PURPLEBOOK_MIRROR, 'PURPLEBOOK_MIRROR') : undefined;
  const mirror = cliMirror ? checkBaseUrl(cliMirror, '--mirror') : env ?? perSource ?? cfg.mirror;
  return mirror ? { archive: mirror, raw: `${mirror}/raw` } : { archive: GITHUB, raw: GITHUB_RAW };
}

export function archiveUrl(bases: Bases, repo: string, ref: string): string {
  return `${bases.archive}/${repo}/archive/${encodeRef(ref)}.tar.gz`;
}

export function rawUrl(bases: Bases, repo: string, ref: string, path: string): string {
  return `${bases.raw}/${repo}/${encodeRef(ref)}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** Refs keep their slashes (`release/v2`), everything else is escaped. */
function encodeRef(ref: string): string {
  return ref.split('/').map(encodeURIComponent).join('/');
}

/** Branch, tag or commit names git accepts, minus anything that could bend a URL. */
export function checkRef(ref: string, where: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(ref) || ref.includes('..') || ref.includes('//') || ref.endsWith('/') || ref.endsWith('.lock')) {
    throw new SyncInputError(`${where}: "${ref}" is not a valid branch, tag or commit name`);
  }
  return ref;
}
