/**
 * `purplebook sync`: download each upstream (or the pinned commit), extract only what the sources
 * need into a temporary folder beside the data, verify, then swap it in by rename and record it in
 * MANIFEST.json and the lock. A failure leaves the previous copy exactly as it was.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Progress } from '../util/progress.js';
import { commitFromArchivePrefix, extractArchive } from './archive.js';
import { checkAttackVersion, downloadAttack } from './attack.js';
import { archiveUrl, basesFor, checkBaseUrl, type Bases, checkRef, effectiveLimits, SyncInputError, type SyncConfig, type SyncLimits } from './config.js';
import { downloadTo, fetchPrefix } from './download.js';
import { globMatcher } from './glob.js';
import { emptyLock, LOCK_FILE_NAME, readLock, writeLock, type LockEntry, type LockFile } from './lock.js';
import { findEntry, readDataManifest, upsertManifestEntry, type ManifestEntry } from './manifest.js';
import { findUnit, LICENSE_GLOBS, planUnits, targetFor, type ArchiveUnit, type AttackUnit, type Plan, type SyncSource, type SyncUnit } from './plan.js';

export interface SyncOptions {
  /** Data folder to write (created when missing). */
  dir: string;
  /** Sources to consider (normally ALL_SOURCES); ATT&CK is always available as `attack`. */
  sources: readonly SyncSource[];
  /** Source names, folders or `attack`; all when empty. */
  select?: readonly string[];
  /** `name=ref` overrides (source name, folder or `attack`); an explicit ref moves that pin. */
  refs?: Readonly<Record<string, string>>;
  attackVersion?: string;
  offline?: boolean;
  /** Move every pin to the ref asked for (default branch unless --ref). */
  update?: boolean;
  /** Default: purplebook.lock.json beside the data folder. */
  lockFile?: string;
  /** Do not read or write a lock file. */
  noLock?: boolean;
  mirror?: string;
  config?: SyncConfig;
  limits?: Partial<SyncLimits>;
  progress?: Progress;
  /** Called once per unit as soon as it is done (the CLI prints errors from here). */
  onResult?(result: UnitResult): void;
  now?: Date;
  fetchImpl?: typeof fetch;
}

export type UnitStatus = 'synced' | 'failed' | 'present' | 'missing';

export interface UnitResult {
  folder: string;
  names: string[];
  repository: string;
  status: UnitStatus;
  /** One line for the user. */
  message: string;
  /** True when the download was the pinned commit/version, checked against the lock. */
  pinned?: boolean;
  entry?: ManifestEntry;
  /** YYYY-MM-DD of the copy on disk (offline, or kept after a failure). */
  accessed?: string;
  ageDays?: number;
}

export interface SyncReport {
  dir: string;
  lockFile?: string;
  results: UnitResult[];
  skipped: Plan['skipped'];
  failed: number;
}

const DAY = 86_400_000;

export function defaultLockFile(dir: string): string {
  return join(dirname(resolve(dir)), LOCK_FILE_NAME);
}

function ymd(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function ageInDays(accessed: string, now: Date): number {
  return Math.max(0, Math.floor((Date.parse(ymd(now)) - Date.parse(accessed)) / DAY));
}

/** When the folder on disk was fetched: the manifest's date, else the folder's modification time. */
export function copyDate(dir: string, folder: string): string | undefined {
  const entry = findEntry(readDataManifest(dir), folder);
  if (entry && typeof entry.accessed === 'string' && /^\d{4}-\d{2}-\d{2}/.test(entry.accessed)) return entry.accessed.slice(0, 10);
  const full = join(dir, folder);
  return existsSync(full) ? ymd(statSync(full).mtime) : undefined;
}

function describeCopy(dir: string, folder: string, now: Date): { text: string; accessed?: string; ageDays?: number } {
  const accessed = existsSync(join(dir, folder)) ? copyDate(dir, folder) : undefined;
  if (!accessed) return { text: 'no copy present' };
  const ageDays = ageInDays(accessed, now);
  return { text: `copy from ${accessed} (${ageDays} day${ageDays === 1 ? '' : 's'} old)`, accessed, ageDays };
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Repaint at most every 100 ms: downloads report every chunk. */
function throttled(progress: Progress | undefined): (label: string) => void {
  let last = 0;
  return (label) => {
    const now = Date.now();
    if (!progress || now - last < 100) return;
    last = now;
    progress.update(label);
  };
}

/** Rename the new folder into place; the old one goes to the temp folder and is removed with it. */
function swapIn(fresh: string, target: string, tmpRoot: string): void {
  mkdirSync(dirname(target), { recursive: true });
  const previous = join(tmpRoot, 'previous');
  const had = existsSync(target);
  if (had) renameSync(target, previous);
  try {
    renameSync(fresh, target);
  } catch (e) {
    if (had) renameSync(previous, target);
    throw e;
  }
}

const TEMP_PREFIX = '.purplebook-sync-';
/** Temp folders are named `.purplebook-sync-<pid>-XXXXXX`: whose they are tells whether they are still in use. */
const TEMP_OF_PID = /^\.purplebook-sync-(\d+)-/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Temp folders a killed or crashed sync left behind: removed at once when the process that made
 * them is gone (this process has none yet); a folder of the older unnamed kind after a day, so a
 * sync running right now is never touched.
 */
function removeStaleTemps(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const full = join(dir, name);
    const pid = TEMP_OF_PID.exec(name)?.[1];
    const stale = pid ? Number(pid) === process.pid || !processAlive(Number(pid)) : Date.now() - statSync(full).mtimeMs > DAY;
    if (stale) rmSync(full, { recursive: true, force: true });
  }
}

/**
 * Runs `work` with a fresh temp folder that is removed however it ends: success, failure, or
 * SIGINT/SIGTERM (removed, then the signal is raised again so the process ends as it would have).
 */
async function withTempFolder<T>(dir: string, work: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = mkdtempSync(join(dir, `${TEMP_PREFIX}${process.pid}-`));
  const onSignal = (signal: NodeJS.Signals) => {
    rmSync(tmp, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((sig) => [sig, () => onSignal(sig)] as const);
  for (const [sig, h] of handlers) process.once(sig, h);
  try {
    return await work(tmp);
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
    rmSync(tmp, { recursive: true, force: true });
  }
}

interface Ctx {
  opts: SyncOptions;
  dir: string;
  cfg: SyncConfig;
  limits: SyncLimits;
  lock: LockFile;
  now: Date;
  refs: Map<string, string>;
  attackVersion?: string;
}

function configRef(ctx: Ctx, unit: SyncUnit): string | undefined {
  for (const k of [unit.folder, ...unit.names]) {
    const r = ctx.cfg.sources?.[k]?.ref;
    if (r) return r;
  }
  return undefined;
}

function downloadOptions(ctx: Ctx) {
  return { maxBytes: ctx.limits.maxDownloadBytes, stallMs: ctx.limits.stallTimeoutMs, totalMs: ctx.limits.totalTimeoutMs, fetchImpl: ctx.opts.fetchImpl };
}

const FULL_SHA = /^([0-9a-f]{40}|[0-9a-f]{64})$/;
/** Enough of a gzip stream to hold the pax global header and the first entry header. */
const PROBE_BYTES = 16 * 1024;

/**
 * A branch or tag resolved to its commit from the first bytes of its archive, so what is downloaded
 * (and hashed for the lock) is the archive of the commit: the one a later pinned sync fetches again.
 */
async function resolveCommit(ctx: Ctx, unit: ArchiveUnit, bases: Bases, ref: string): Promise<string> {
  if (FULL_SHA.test(ref)) return ref;
  ctx.opts.progress?.update(`${unit.folder}: resolving ${ref}`);
  const prefix = await fetchPrefix(archiveUrl(bases, unit.repo, ref), PROBE_BYTES, { stallMs: ctx.limits.stallTimeoutMs, fetchImpl: ctx.opts.fetchImpl });
  return commitFromArchivePrefix(prefix) ?? ref;
}

async function syncArchive(ctx: Ctx, unit: ArchiveUnit, tmp: string): Promise<{ entry: ManifestEntry; lock: LockEntry; pinned: boolean }> {
  const pin = ctx.lock.sources[unit.folder];
  const explicit = ctx.refs.get(unit.folder);
  const usePin = !!pin && !ctx.opts.update && !explicit && pin.repository === unit.repo;
  const asked = usePin ? pin.ref : explicit ?? configRef(ctx, unit) ?? unit.defaultRef;
  const bases = basesFor([unit.folder, ...unit.names], ctx.cfg, ctx.opts.mirror);
  const fetchRef = usePin ? pin.commit ?? pin.ref : await resolveCommit(ctx, unit, bases, asked);
  const url = archiveUrl(bases, unit.repo, fetchRef);
  const show = throttled(ctx.opts.progress);
  const archive = join(tmp, 'archive.tar.gz');
  const got = await downloadTo(url, archive, {
    ...downloadOptions(ctx),
    onProgress: (b, t) => show(`${unit.folder}: downloading ${fmtBytes(b)}${t ? ` of ${fmtBytes(t)}` : ''}`),
  });
  if (usePin && got.sha256 !== pin.sha256) {
    throw new Error(`refused: checksum of ${unit.repo}@${fetchRef} is ${got.sha256}, the lock says ${pin.sha256}`);
  }
  const out = join(tmp, 'out');
  mkdirSync(out);
  const res = await extractArchive(archive, out, {
    target: targetFor(unit, globMatcher(unit.paths), globMatcher(LICENSE_GLOBS)),
    limits: ctx.limits,
    onProgress: (files, bytes) => show(`${unit.folder}: extracting ${files} files, ${fmtBytes(bytes)}`),
  });
  if (FULL_SHA.test(fetchRef) && res.commit && res.commit !== fetchRef) {
    throw new Error(`refused: archive of ${fetchRef} says it is commit ${res.commit}${usePin ? ' (lock mismatch)' : ''}`);
  }
  const dataFiles = res.files.filter((f) => !globMatcher(LICENSE_GLOBS)(f));
  if (!dataFiles.length) throw new Error(`no file of ${unit.repo}@${fetchRef} matches ${unit.paths.join(', ')}`);
  const commit = res.commit ?? (FULL_SHA.test(fetchRef) ? fetchRef : undefined);
  const entry: ManifestEntry = {
    folder: `${unit.folder}/`, repository: unit.repo, branch: asked, ref: fetchRef,
    ...(commit ? { commit } : {}), ...(res.commitDate ? { commit_date: res.commitDate } : {}),
    accessed: ymd(ctx.now), ...(unit.license ? { license: unit.license } : {}), used_by: [...unit.names],
    paths_copied: [...unit.paths, ...(unit.strip.length ? [`(prefix ${unit.strip.join(', ')} stripped)`] : [])],
    url, sha256: got.sha256, download_bytes: got.bytes,
    file_count: res.files.length, bytes: res.bytes, files: res.files.map((f) => `${unit.folder}/${f}`),
  };
  swapIn(out, join(ctx.dir, unit.folder), tmp);
  return { entry, pinned: usePin, lock: { repository: unit.repo, ref: asked, ...(commit ? { commit } : {}), sha256: got.sha256 } };
}

async function syncAttack(ctx: Ctx, unit: AttackUnit, tmp: string): Promise<{ entry: ManifestEntry; lock: LockEntry; pinned: boolean }> {
  const pin = ctx.lock.sources[unit.folder];
  const explicitRef = ctx.refs.get(unit.folder);
  const usePin = !!pin && !ctx.opts.update && !explicitRef && !ctx.attackVersion && pin.repository === unit.repo;
  const ref = usePin ? pin.ref : explicitRef ?? configRef(ctx, unit) ?? unit.defaultRef;
  const version = usePin ? pin.version : ctx.attackVersion;
  const out = join(tmp, 'out');
  mkdirSync(out);
  const show = throttled(ctx.opts.progress);
  const got = await downloadAttack(out, {
    bases: basesFor([unit.folder, ...unit.names], ctx.cfg, ctx.opts.mirror), ref, version,
    pinned: usePin ? pin.files : undefined, download: downloadOptions(ctx),
    onProgress: (domain, b, t) => show(`attack: downloading ${domain} ${fmtBytes(b)}${t ? ` of ${fmtBytes(t)}` : ''}`),
  });
  if (usePin && got.sha256 !== pin.sha256) throw new Error(`refused: ATT&CK ${version} checksums do not match the lock`);
  const files = got.files.map((f) => f.name).sort();
  const entry: ManifestEntry = {
    folder: `${unit.folder}/`, repository: unit.repo, branch: ref, ref,
    accessed: ymd(ctx.now), license: unit.license, used_by: [...unit.names],
    paths_copied: got.files.map((f) => `${f.path} -> attack/${f.name}`),
    sha256: got.sha256, downloads: got.files.map((f) => ({ path: f.path, sha256: f.sha256, bytes: f.bytes })),
    file_count: files.length, bytes: got.files.reduce((n, f) => n + f.bytes, 0), files: files.map((f) => `attack/${f}`),
    ...(got.version ? { version: got.version } : {}),
  };
  swapIn(out, join(ctx.dir, unit.folder), tmp);
  return {
    entry, pinned: usePin,
    lock: { repository: unit.repo, ref, sha256: got.sha256, ...(got.version ? { version: got.version } : {}), files: Object.fromEntries(got.files.map((f) => [f.name, f.sha256])) },
  };
}

async function syncUnit(ctx: Ctx, unit: SyncUnit): Promise<UnitResult> {
  const base = { folder: unit.folder, names: [...unit.names], repository: unit.repo };
  ctx.opts.progress?.update(`${unit.folder}: starting`);
  try {
    const done = await withTempFolder(ctx.dir, (tmp) => (unit.kind === 'attack' ? syncAttack(ctx, unit, tmp) : syncArchive(ctx, unit, tmp)));
    upsertManifestEntry(ctx.dir, done.entry);
    ctx.lock.sources[unit.folder] = done.lock;
    const e = done.entry;
    const what = e.commit ? `${unit.repo}@${e.commit.slice(0, 12)}` : e.version ? `ATT&CK ${e.version}` : `${unit.repo}@${e.ref}`;
    return { ...base, status: 'synced', pinned: done.pinned, entry: e, message: `${unit.folder}: synced ${what}${done.pinned ? ' (pinned, checksum verified)' : ''}: ${e.file_count} files, ${fmtBytes(e.bytes)}` };
  } catch (e) {
    const copy = describeCopy(ctx.dir, unit.folder, ctx.now);
    const msg = ((e as Error).message || String(e)).split('\n')[0];
    return { ...base, status: 'failed', accessed: copy.accessed, ageDays: copy.ageDays, message: `${unit.folder}: failed: ${msg}; ${copy.accessed ? `kept the ${copy.text}` : copy.text}` };
  }
}

function offlineResult(dir: string, unit: SyncUnit, now: Date): UnitResult {
  const copy = describeCopy(dir, unit.folder, now);
  const base = { folder: unit.folder, names: [...unit.names], repository: unit.repo, accessed: copy.accessed, ageDays: copy.ageDays };
  if (!copy.accessed) return { ...base, status: 'missing', message: `${unit.folder}: not present (offline)` };
  return { ...base, status: 'present', message: `${unit.folder}: present, ${copy.text}` };
}

function parseInputs(opts: SyncOptions, plan: Plan): { units: SyncUnit[]; refs: Map<string, string>; attackVersion?: string } {
  const wanted = new Set(opts.select?.map((n) => findUnit(plan, n)));
  const chosen = wanted.size ? plan.units.filter((u) => wanted.has(u)) : plan.units;
  const refs = new Map<string, string>();
  for (const [name, ref] of Object.entries(opts.refs ?? {})) refs.set(findUnit(plan, name).folder, checkRef(ref, `--ref ${name}`));
  if (opts.mirror) checkBaseUrl(opts.mirror, '--mirror');
  if (process.env.PURPLEBOOK_MIRROR) checkBaseUrl(process.env.PURPLEBOOK_MIRROR, 'PURPLEBOOK_MIRROR');
  const av = opts.attackVersion ?? opts.config?.attackVersion;
  let attackVersion: string | undefined;
  try {
    attackVersion = av ? checkAttackVersion(av, '--attack-version') : undefined;
  } catch (e) {
    throw new SyncInputError((e as Error).message);
  }
  return { units: chosen, refs, attackVersion };
}

/** Sync the chosen sources. Throws `SyncInputError` for bad input; per-source failures are in the report. */
export async function syncSources(opts: SyncOptions): Promise<SyncReport> {
  const dir = resolve(opts.dir);
  const cfg = opts.config ?? {};
  const plan = planUnits(opts.sources);
  const { units, refs, attackVersion } = parseInputs(opts, plan);
  const now = opts.now ?? new Date();
  const lockFile = opts.noLock ? undefined : resolve(opts.lockFile ?? cfg.lock ?? defaultLockFile(dir));
  const report: SyncReport = { dir, lockFile, results: [], skipped: plan.skipped, failed: 0 };
  if (opts.offline) {
    for (const unit of units) {
      const r = offlineResult(dir, unit, now);
      report.results.push(r);
      opts.onResult?.(r);
    }
    return report;
  }
  const lock = lockFile ? readLock(lockFile) : emptyLock();
  mkdirSync(dir, { recursive: true });
  removeStaleTemps(dir);
  const ctx: Ctx = { opts, dir, cfg, limits: effectiveLimits(cfg, opts.limits), lock, now, refs, attackVersion };
  for (const unit of units) {
    const r = await syncUnit(ctx, unit);
    report.results.push(r);
    if (r.status === 'failed') report.failed++;
    // Written after every success: an interrupted run still pins what it swapped in.
    if (lockFile && r.status === 'synced') writeLock(lockFile, lock);
    opts.onResult?.(r);
  }
  opts.progress?.done();
  return report;
}
