import { PurplebookError } from '../core/errors.js';
/**
 * A small streaming tar reader (ustar, pax and GNU long names) for untrusted archives. It only
 * parses: it reports every entry with its kind and lets the caller decide what to write, so the
 * refusal rules (links, devices, paths escaping the target) live in one place, `archive.ts`.
 */

export class TarError extends PurplebookError {}

export type EntryKind = 'file' | 'directory' | 'symlink' | 'hardlink' | 'device' | 'fifo' | 'other';

export interface TarEntry {
  /** Path as stored (pax `path`, GNU long name, or ustar prefix + name). */
  path: string;
  kind: EntryKind;
  /** Tar type flag, for messages. */
  type: string;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname: string;
}

export interface TarHandlers {
  /** A pax global header (`g`): GitHub and `git archive` put the commit in its `comment`. */
  onGlobal?(records: Record<string, string>, mtime: number): void;
  /** Return a sink for the entry's bytes, or undefined to skip them. */
  onEntry(entry: TarEntry): ((chunk: Buffer) => void) | undefined;
  onEntryEnd?(entry: TarEntry): void;
}

const BLOCK = 512;

export interface TarLimits {
  /**
   * Metadata (pax `x`, GNU long name `L` and long link `K` records) before one entry, together:
   * a long path is a few hundred bytes, so anything near this is hostile. Without it, a stream of
   * pax headers with ever new keys piled up in memory (a 10 MB archive took 816 MB).
   */
  maxEntryMetaBytes: number;
  /** Metadata records of the whole archive, global headers included. */
  maxTotalMetaBytes: number;
}

export const DEFAULT_TAR_LIMITS: TarLimits = { maxEntryMetaBytes: 1024 * 1024, maxTotalMetaBytes: 64 * 1024 * 1024 };

function kindOf(type: string): EntryKind {
  switch (type) {
    case '0': case '\0': case '7': return 'file';
    case '5': return 'directory';
    case '2': return 'symlink';
    case '1': return 'hardlink';
    case '3': case '4': return 'device';
    case '6': return 'fifo';
    default: return 'other';
  }
}

function cString(buf: Buffer, start: number, len: number): string {
  const field = buf.subarray(start, start + len);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

/** Octal, or GNU base-256 when the high bit of the first byte is set. */
function numberField(buf: Buffer, start: number, len: number, name: string): number {
  const field = buf.subarray(start, start + len);
  if (field[0]! & 0x80) {
    if (field[0] === 0xff) throw new TarError(`negative ${name} in tar header`);
    let n = field[0]! & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + field[i]!;
    if (!Number.isSafeInteger(n)) throw new TarError(`${name} too large in tar header`);
    return n;
  }
  const text = cString(buf, start, len).trim();
  if (!text) return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError(`bad ${name} field "${text.slice(0, 20)}" in tar header`);
  return parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  const stored = numberField(header, 148, 8, 'checksum');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum === stored;
}

/** Pax records: `<len> <key>=<value>\n`, len counting the whole record. */
export function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const len = Number(data.subarray(pos, space).toString('ascii'));
    if (!Number.isInteger(len) || len <= space - pos + 1 || pos + len > data.length) throw new TarError('malformed pax header record');
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq < 0) throw new TarError('malformed pax header record');
    out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

type State =
  | { at: 'header' }
  | { at: 'meta'; type: string; mtime: number; remaining: number; padding: number; parts: Buffer[] }
  | { at: 'data'; entry: TarEntry; sink?: (chunk: Buffer) => void; remaining: number; padding: number }
  | { at: 'end' };

/** Feed bytes with `push`, then call `end`: both throw `TarError` on anything malformed. */
export class TarParser {
  private state: State = { at: 'header' };
  private pending: Buffer = Buffer.alloc(0);
  private pax: Record<string, string> = {};
  private longName?: string;
  private longLink?: string;
  private sawEnd = false;
  /** Metadata bytes since the last entry, and in the whole archive. */
  private entryMeta = 0;
  private totalMeta = 0;
  private readonly limits: TarLimits;

  constructor(private readonly handlers: TarHandlers, limits: Partial<TarLimits> = {}) {
    this.limits = { ...DEFAULT_TAR_LIMITS, ...limits };
  }

  push(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (buf.length) {
      const s = this.state;
      if (s.at === 'end') return; // zero blocks and trailing padding after the end marker
      if (s.at === 'data' || s.at === 'meta') {
        if (s.remaining > 0) {
          const take = Math.min(s.remaining, buf.length);
          const part = buf.subarray(0, take);
          if (s.at === 'data') s.sink?.(part);
          else s.parts.push(Buffer.from(part));
          s.remaining -= take;
          buf = buf.subarray(take);
          if (s.remaining > 0) return;
        }
        if (s.padding > 0) {
          const skip = Math.min(s.padding, buf.length);
          s.padding -= skip;
          buf = buf.subarray(skip);
          if (s.padding > 0) return;
        }
        this.finish(s);
        continue;
      }
      if (buf.length < BLOCK) {
        this.pending = Buffer.from(buf);
        return;
      }
      this.header(buf.subarray(0, BLOCK));
      buf = buf.subarray(BLOCK);
    }
  }

  /** The stream ended: it must end on an entry boundary, after the end-of-archive marker. */
  end(): void {
    if (this.state.at === 'data' || this.state.at === 'meta' || this.pending.length) throw new TarError('archive is truncated (ends inside an entry)');
    if (!this.sawEnd) throw new TarError('archive is truncated (no end-of-archive marker)');
  }

  private finish(s: Extract<State, { at: 'data' | 'meta' }>): void {
    this.state = { at: 'header' };
    if (s.at === 'data') {
      this.handlers.onEntryEnd?.(s.entry);
      return;
    }
    const data = Buffer.concat(s.parts);
    if (s.type === 'x') Object.assign(this.pax, parsePax(data));
    else if (s.type === 'g') this.handlers.onGlobal?.(parsePax(data), s.mtime);
    else if (s.type === 'L') this.longName = cString(data, 0, data.length);
    else if (s.type === 'K') this.longLink = cString(data, 0, data.length);
  }

  private header(block: Buffer): void {
    if (block.every((b) => b === 0)) {
      this.sawEnd = true;
      this.state = { at: 'end' };
      return;
    }
    if (!checksumOk(block)) throw new TarError('corrupt tar header (checksum mismatch)');
    const type = String.fromCharCode(block[156]!);
    const mtime = numberField(block, 136, 12, 'mtime');
    let size = numberField(block, 124, 12, 'size');
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      const { maxEntryMetaBytes, maxTotalMetaBytes } = this.limits;
      this.totalMeta += size;
      // A global header belongs to no entry, but each one still counts towards the archive's total.
      if (type !== 'g') this.entryMeta += size;
      if (size > maxEntryMetaBytes || this.entryMeta > maxEntryMetaBytes) {
        throw new TarError(`tar metadata of more than ${maxEntryMetaBytes} bytes for one entry (pax or long-name records)`);
      }
      if (this.totalMeta > maxTotalMetaBytes) throw new TarError(`tar metadata of more than ${maxTotalMetaBytes} bytes in all (pax or long-name records)`);
      this.state = { at: 'meta', type, mtime, remaining: size, padding: pad(size), parts: [] };
      if (size === 0) this.finish(this.state);
      return;
    }
    const magic = block.subarray(257, 263).toString('latin1');
    const prefix = magic.startsWith('ustar') ? cString(block, 345, 155) : '';
    let path = this.pax.path ?? this.longName ?? (prefix ? `${prefix}/${cString(block, 0, 100)}` : cString(block, 0, 100));
    const linkname = this.pax.linkpath ?? this.longLink ?? cString(block, 157, 100);
    if (this.pax.size !== undefined) {
      if (!/^\d+$/.test(this.pax.size) || !Number.isSafeInteger(Number(this.pax.size))) throw new TarError('bad pax size');
      size = Number(this.pax.size);
    }
    const paxMtime = Number(this.pax.mtime);
    this.pax = {};
    this.entryMeta = 0;
    this.longName = undefined;
    this.longLink = undefined;
    if (path.includes('\0')) path = path.slice(0, path.indexOf('\0'));
    const kind = kindOf(type);
    // Links, devices and folders carry no data, whatever the size field says.
    if (kind !== 'file' && kind !== 'other') size = 0;
    const entry: TarEntry = { path, kind, type, size, mtime: Number.isFinite(paxMtime) ? Math.floor(paxMtime) : mtime, linkname };
    const sink = this.handlers.onEntry(entry);
    this.state = { at: 'data', entry, sink, remaining: size, padding: pad(size) };
    if (size === 0) this.finish(this.state);
  }
}

function pad(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}
