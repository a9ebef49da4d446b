/**
 * Extract the wanted files of an untrusted GitHub-style `.tar.gz` (one top folder, commit in the
 * pax global header) into a fresh folder. Refuses, and stops at once, on: paths escaping the
 * target, device files and fifos anywhere; links or unknown entry types among the wanted paths;
 * more files or bytes than the limits; a corrupt or truncated stream.
 */
import { closeSync, createReadStream, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { constants as zlibConstants, createGunzip, gunzipSync } from 'node:zlib';
import { TarError, TarParser, type TarEntry } from './tar.js';
import { PurplebookError } from '../core/errors.js';

export class ArchiveError extends PurplebookError {}

export interface ExtractLimits {
  /** Wanted files written at most. */
  maxFiles: number;
  /** Bytes of wanted files written at most. */
  maxBytes: number;
  /** Uncompressed tar stream bytes read at most (gzip bombs hide in skipped entries too). */
  maxArchiveBytes: number;
  /** Entries of any kind read at most. */
  maxEntries: number;
}

export interface ExtractOptions {
  /** Where a repository path goes, relative to `dest` (`/`-separated), or undefined to skip it. */
  target(repoPath: string): string | undefined;
  limits: ExtractLimits;
  onProgress?(files: number, bytes: number): void;
}

export interface ExtractResult {
  /** Commit id from the pax global header `comment`, when it is one. */
  commit?: string;
  /** ISO date of the global header's mtime: `git archive` stamps the commit time there. */
  commitDate?: string;
  topFolder?: string;
  /** Written files, relative to dest, sorted. */
  files: string[];
  bytes: number;
}

/** Split and check an archive path; throws on anything that could leave the target folder. */
export function safeSegments(raw: string): string[] {
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw) || raw.startsWith('\\')) throw new ArchiveError(`refused: absolute path "${raw}" in archive`);
  const segments = raw.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..')) throw new ArchiveError(`refused: path "${raw}" escapes the target folder`);
  if (process.platform === 'win32' && segments.some((s) => s.includes('\\') || s.includes(':'))) {
    throw new ArchiveError(`refused: path "${raw}" is not portable`);
  }
  return segments;
}

export async function extractArchive(archiveFile: string, dest: string, opts: ExtractOptions): Promise<ExtractResult> {
  const root = resolve(dest);
  const result: ExtractResult = { files: [], bytes: 0 };
  const { limits } = opts;
  let entries = 0;
  let fd: number | undefined;
  /** Written paths: a second entry for one of them would overwrite the first and be counted twice. */
  const written = new Set<string>();

  const closeFile = () => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
  };

  const onEntry = (entry: TarEntry): ((chunk: Buffer) => void) | undefined => {
    if (++entries > limits.maxEntries) throw new ArchiveError(`refused: more than ${limits.maxEntries} entries in archive`);
    const segments = safeSegments(entry.path);
    if (entry.kind === 'device' || entry.kind === 'fifo') throw new ArchiveError(`refused: ${entry.kind === 'fifo' ? 'fifo' : 'device file'} "${entry.path}" in archive`);
    if (!segments.length) return undefined;
    result.topFolder ??= segments[0];
    if (segments[0] !== result.topFolder) throw new ArchiveError(`refused: "${entry.path}" is outside the archive's top folder "${result.topFolder}/"`);
    const repoPath = segments.slice(1).join('/');
    if (!repoPath || entry.kind === 'directory') return undefined;
    const rel = opts.target(repoPath);
    if (rel === undefined) return undefined;
    if (entry.kind === 'symlink' || entry.kind === 'hardlink') {
      throw new ArchiveError(`refused: ${entry.kind === 'symlink' ? 'symbolic' : 'hard'} link "${repoPath}" -> "${entry.linkname}" in archive`);
    }
    if (entry.kind !== 'file') throw new ArchiveError(`refused: unsupported entry type "${entry.type}" for "${repoPath}"`);
    const relSegments = safeSegments(rel);
    const full = resolve(root, ...relSegments);
    if (!full.startsWith(root + sep)) throw new ArchiveError(`refused: path "${repoPath}" escapes the target folder`);
    const relPath = relSegments.join('/');
    if (written.has(relPath)) throw new ArchiveError(`refused: "${repoPath}" appears twice in the archive (a second copy would overwrite the first)`);
    written.add(relPath);
    if (result.files.length + 1 > limits.maxFiles) throw new ArchiveError(`refused: more than ${limits.maxFiles} files to extract (limit maxFiles)`);
    if (result.bytes + entry.size > limits.maxBytes) throw new ArchiveError(`refused: more than ${limits.maxBytes} bytes to extract (limit maxBytes)`);
    mkdirSync(dirname(full), { recursive: true });
    // Fresh temporary folder, no links ever created in it: plain write, no upstream mode bits.
    fd = openSync(full, 'w', 0o644);
    result.files.push(relPath);
    result.bytes += entry.size;
    opts.onProgress?.(result.files.length, result.bytes);
    const handle = fd;
    return (chunk) => {
      writeSync(handle, chunk);
    };
  };

  const parser = new TarParser({
    onGlobal(records, mtime) {
      const comment = records.comment?.trim();
      if (comment && /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(comment)) {
        result.commit = comment;
        if (mtime > 0) result.commitDate = new Date(mtime * 1000).toISOString().replace('.000Z', 'Z');
      }
    },
    onEntry,
    onEntryEnd: closeFile,
  });

  const gunzip = createGunzip();
  const input = createReadStream(archiveFile);
  input.on('error', (e) => gunzip.destroy(e));
  input.pipe(gunzip);
  let unpacked = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      unpacked += chunk.length;
      if (unpacked > limits.maxArchiveBytes) throw new ArchiveError(`refused: archive unpacks to more than ${limits.maxArchiveBytes} bytes (limit maxArchiveBytes)`);
      parser.push(chunk);
    }
    parser.end();
  } catch (e) {
    if (e instanceof ArchiveError) throw e;
    if (e instanceof TarError) throw new ArchiveError(`refused: ${e.message}`);
    const err = e as NodeJS.ErrnoException;
    if (err.code?.startsWith('Z_') || /unexpected end of file|incorrect header check|invalid/i.test(err.message)) {
      throw new ArchiveError(`refused: not a complete gzip stream (${err.message})`);
    }
    throw e;
  } finally {
    closeFile();
    input.destroy();
    gunzip.destroy();
  }
  result.files.sort();
  return result;
}

/**
 * The commit a GitHub archive was made from, read from its first bytes only (the pax global header
 * comes first), so a branch can be resolved to a commit before the archive of that commit is fetched.
 */
export function commitFromArchivePrefix(prefix: Buffer): string | undefined {
  let tarBytes: Buffer;
  try {
    tarBytes = gunzipSync(prefix, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch {
    return undefined;
  }
  let commit: string | undefined;
  const stop = new Error('first entry reached');
  const parser = new TarParser({
    onGlobal(records) {
      const c = records.comment?.trim();
      if (c && /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(c)) commit = c;
    },
    onEntry() {
      throw stop;
    },
  });
  try {
    parser.push(tarBytes);
  } catch {
    // the first entry (or garbage) ends the look
  }
  return commit;
}

/** Join for messages and manifests: always `/`. */
export function posixJoin(...parts: string[]): string {
  return join(...parts).split(sep).join('/');
}
