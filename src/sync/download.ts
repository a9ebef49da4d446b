/** Stream one URL to a file while hashing it, with a size cap and a stall timeout. */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { PurplebookError } from '../core/errors.js';

export class DownloadError extends PurplebookError {}

export interface DownloadOptions {
  /** Refuse bodies larger than this (announced or received). */
  maxBytes: number;
  /** The setting `maxBytes` comes from, named in the refusal (default maxDownloadBytes). */
  maxBytesSetting?: string;
  /** Abort when fewer than STALL_MIN_BYTES arrive in this long (connect and headers included). */
  stallMs: number;
  /** Abort when the whole download takes longer than this. */
  totalMs: number;
  onProgress?(bytes: number, total?: number): void;
  fetchImpl?: typeof fetch;
}

export interface Downloaded {
  sha256: string;
  bytes: number;
}

/** The short reason behind undici's "fetch failed" (ECONNREFUSED, ENOTFOUND, …). */
export function networkReason(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const cause = err.cause;
  if (cause && (cause.code || cause.message)) return `${err.message} (${cause.code ?? ''}${cause.code && cause.message ? ': ' : ''}${cause.message ?? ''})`;
  return err.message;
}

/** Bytes that must arrive in every stall period: a server dripping a byte at a time is stalled too. */
export const STALL_MIN_BYTES = 1024;

/**
 * Stall detection by bytes arriving: each period of `stallMs` must bring at least STALL_MIN_BYTES
 * (or the end of the body). A timer re-armed on every chunk would let one byte per period keep a
 * download alive for ever, and one timer for a whole prefix fetch would call a slow but steady
 * server stalled.
 */
class StallWatch {
  private timer?: NodeJS.Timeout;
  private arrived = 0;

  constructor(private readonly stallMs: number, private readonly onStall: (why: string) => void) {
    this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.arrived = 0;
    this.timer = setTimeout(() => this.onStall(stallMessage(this.stallMs, this.arrived)), this.stallMs);
  }

  bytes(n: number): void {
    this.arrived += n;
    if (this.arrived >= STALL_MIN_BYTES) this.arm();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

function stallMessage(stallMs: number, arrived: number): string {
  return arrived ? `only ${arrived} bytes from the server in ${stallMs} ms (stalled)` : `no data from the server for ${stallMs} ms (stalled)`;
}

/** Cancels a download; the first reason given is the one its error reports (not the network's). */
class Abort {
  readonly controller = new AbortController();
  reason = '';

  readonly abort = (why: string): void => {
    this.reason ||= why;
    this.controller.abort(new DownloadError(why));
  };
}

function httpError(res: Response, url: string): DownloadError {
  return new DownloadError(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} for ${url}`);
}

/** The answer to a GET of `url` (redirects followed, no content encoding) when its status is 2xx; else a DownloadError. */
async function get(url: string, cancel: Abort, fetchImpl: typeof fetch = fetch): Promise<Response> {
  let res: Response;
  try {
    res = await fetchImpl(url, { signal: cancel.controller.signal, redirect: 'follow', headers: { 'user-agent': 'purplebook-sync', 'accept-encoding': 'identity' } });
  } catch (e) {
    throw new DownloadError(cancel.reason || networkReason(e));
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    throw httpError(res, url);
  }
  return res;
}

export async function downloadTo(url: string, file: string, opts: DownloadOptions): Promise<Downloaded> {
  const cancel = new Abort();
  const total = setTimeout(() => cancel.abort(`download took longer than ${opts.totalMs} ms`), opts.totalMs);
  const stall = new StallWatch(opts.stallMs, cancel.abort);
  const handle = await open(file, 'w', 0o644);
  try {
    const res = await get(url, cancel, opts.fetchImpl);
    // A body the server encoded is decoded by fetch: its length no longer matches the header.
    const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
    const announced = encoded ? NaN : Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(announced) && announced > opts.maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw new DownloadError(`refused: download of ${announced} bytes is larger than the limit of ${opts.maxBytes} (${opts.maxBytesSetting ?? 'maxDownloadBytes'})`);
    }
    if (!res.body) throw new DownloadError(`empty response from ${url}`);
    const hash = createHash('sha256');
    let bytes = 0;
    const reader = res.body.getReader();
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        stall.bytes(value.byteLength);
        bytes += value.byteLength;
        if (bytes > opts.maxBytes) throw new DownloadError(`refused: download is larger than the limit of ${opts.maxBytes} bytes (${opts.maxBytesSetting ?? 'maxDownloadBytes'})`);
        hash.update(value);
        await handle.write(value);
        opts.onProgress?.(bytes, Number.isFinite(announced) ? announced : undefined);
      }
    } catch (e) {
      await reader.cancel().catch(() => {});
      if (e instanceof DownloadError) throw e;
      throw new DownloadError(cancel.reason || `download interrupted: ${networkReason(e)}`);
    }
    if (Number.isFinite(announced) && bytes !== announced) throw new DownloadError(`download truncated: ${bytes} of ${announced} bytes`);
    return { sha256: hash.digest('hex'), bytes };
  } finally {
    stall.stop();
    clearTimeout(total);
    await handle.close();
  }
}

/** The first `bytes` bytes of a URL (or fewer, if the body is shorter); the rest is not downloaded. */
export async function fetchPrefix(url: string, bytes: number, opts: Pick<DownloadOptions, 'stallMs' | 'fetchImpl'>): Promise<Buffer> {
  const cancel = new Abort();
  const stall = new StallWatch(opts.stallMs, cancel.abort);
  try {
    const res = await get(url, cancel, opts.fetchImpl);
    if (!res.body) throw httpError(res, url);
    const parts: Uint8Array[] = [];
    let got = 0;
    const reader = res.body.getReader();
    try {
      while (got < bytes) {
        const { done, value } = await reader.read();
        if (done) break;
        stall.bytes(value.byteLength);
        parts.push(value);
        got += value.byteLength;
      }
    } catch (e) {
      throw new DownloadError(cancel.reason || `download interrupted: ${networkReason(e)}`);
    } finally {
      await reader.cancel().catch(() => {});
    }
    return Buffer.concat(parts).subarray(0, bytes);
  } finally {
    stall.stop();
    cancel.controller.abort();
  }
}
