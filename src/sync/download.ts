/** Stream one URL to a file while hashing it, with a size cap and a stall timeout. */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

export class DownloadError extends Error {}

export interface DownloadOptions {
  /** Refuse bodies larger than this (announced or received). */
  maxBytes: number;
  /** Abort when nothing arrives for this long (connect, headers, or between chunks). */
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

export async function downloadTo(url: string, file: string, opts: DownloadOptions): Promise<Downloaded> {
  const controller = new AbortController();
  let reason = '';
  const abort = (why: string) => {
    reason ||= why;
    controller.abort(new DownloadError(why));
  };
  let stall: NodeJS.Timeout | undefined;
  const armStall = () => {
    clearTimeout(stall);
    stall = setTimeout(() => abort(`no data from the server for ${opts.stallMs} ms (stalled)`), opts.stallMs);
  };
  const total = setTimeout(() => abort(`download took longer than ${opts.totalMs} ms`), opts.totalMs);
  armStall();
  const handle = await open(file, 'w', 0o644);
  try {
    let res: Response;
    try {
      res = await (opts.fetchImpl ?? fetch)(url, { signal: controller.signal, redirect: 'follow', headers: { 'user-agent': 'purplebook-sync', 'accept-encoding': 'identity' } });
    } catch (e) {
      throw new DownloadError(reason || networkReason(e));
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new DownloadError(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} for ${url}`);
    }
    // A body the server encoded is decoded by fetch: its length no longer matches the header.
    const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
    const announced = encoded ? NaN : Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(announced) && announced > opts.maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw new DownloadError(`refused: download of ${announced} bytes is larger than the limit of ${opts.maxBytes} (maxDownloadBytes)`);
    }
    if (!res.body) throw new DownloadError(`empty response from ${url}`);
    const hash = createHash('sha256');
    let bytes = 0;
    const reader = res.body.getReader();
    try {
      while (true) {
        armStall();
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        if (bytes > opts.maxBytes) throw new DownloadError(`refused: download is larger than the limit of ${opts.maxBytes} bytes (maxDownloadBytes)`);
        hash.update(value);
        await handle.write(value);
        opts.onProgress?.(bytes, Number.isFinite(announced) ? announced : undefined);
      }
    } catch (e) {
      await reader.cancel().catch(() => {});
      if (e instanceof DownloadError) throw e;
      throw new DownloadError(reason || `download interrupted: ${networkReason(e)}`);
    }
    if (Number.isFinite(announced) && bytes !== announced) throw new DownloadError(`download truncated: ${bytes} of ${announced} bytes`);
    return { sha256: hash.digest('hex'), bytes };
  } finally {
    clearTimeout(stall);
    clearTimeout(total);
    await handle.close();
  }
}

/** The first `bytes` bytes of a URL (or fewer, if the body is shorter); the rest is not downloaded. */
export async function fetchPrefix(url: string, bytes: number, opts: Pick<DownloadOptions, 'stallMs' | 'fetchImpl'>): Promise<Buffer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DownloadError(`no data from the server for ${opts.stallMs} ms (stalled)`)), opts.stallMs);
  try {
    let res: Response;
    try {
      res = await (opts.fetchImpl ?? fetch)(url, { signal: controller.signal, redirect: 'follow', headers: { 'user-agent': 'purplebook-sync', 'accept-encoding': 'identity' } });
    } catch (e) {
      throw new DownloadError(controller.signal.aborted ? `no data from the server for ${opts.stallMs} ms (stalled)` : networkReason(e));
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => {});
      throw new DownloadError(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} for ${url}`);
    }
    const parts: Uint8Array[] = [];
    let got = 0;
    const reader = res.body.getReader();
    try {
      while (got < bytes) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        got += value.byteLength;
      }
    } catch (e) {
      throw new DownloadError(controller.signal.aborted ? `no data from the server for ${opts.stallMs} ms (stalled)` : `download interrupted: ${networkReason(e)}`);
    } finally {
      await reader.cancel().catch(() => {});
    }
    return Buffer.concat(parts).subarray(0, bytes);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
