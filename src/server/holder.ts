/**
 * The server's knowledge base, reopened when `purplebook build` renames a new file over it.
 * Each request leases the generation it started with; a replaced generation is closed only
 * after its last lease ends, so a rebuild never fails a request in flight.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { KnowledgeBase } from '../kb/open.js';
import { SiteModel } from '../site/model.js';
import { ResponseCache } from './cache.js';

export interface Generation {
  readonly kb: KnowledgeBase;
  readonly model: SiteModel;
  /** Changes whenever the file is replaced: part of every ETag. */
  readonly buildId: string;
  readonly cache: ResponseCache;
  leases: number;
  retired: boolean;
}

export interface HolderOptions {
  /** How often (at most) a request checks whether the file was replaced; 0 checks on every request. */
  checkIntervalMs?: number;
  /** Compute summaries before a generation serves its first request (no slow first matrix). */
  warm?: boolean;
  cacheBytes?: number;
  onReload?: (gen: Generation) => void;
  onError?: (error: Error) => void;
}

/** Identity of the file on disk: a rename over it changes the inode, a rewrite the mtime or size. */
function fileSignature(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}:${st.mtimeMs}:${st.size}`;
  } catch {
    return undefined;
  }
}

export class KbHolder {
  private gen: Generation;
  private signature: string | undefined;
  private failedSignature?: string;
  private lastCheck = 0;
  private closed = false;

  constructor(readonly path: string, private readonly opts: HolderOptions = {}) {
    this.signature = fileSignature(path);
    this.gen = this.open(this.signature);
  }

  get current(): Generation {
    return this.gen;
  }

  private open(signature: string | undefined): Generation {
    const kb = KnowledgeBase.open(this.path);
    try {
      const buildId = createHash('sha256').update(`${signature ?? ''}|${kb.meta('built_at') ?? ''}`).digest('hex').slice(0, 16);
      const model = new SiteModel(kb);
      if (this.opts.warm) void model.summaries;
      return { kb, model, buildId, cache: new ResponseCache(this.opts.cacheBytes), leases: 0, retired: false };
    } catch (e) {
      kb.close();
      throw e;
    }
  }

  /** Swap in a new generation when the file changed since the last check. */
  refresh(now = Date.now()): void {
    if (this.closed || now - this.lastCheck < (this.opts.checkIntervalMs ?? 250)) return;
    this.lastCheck = now;
    const signature = fileSignature(this.path);
    if (!signature || signature === this.signature || signature === this.failedSignature) return;
    let next: Generation;
    try {
      next = this.open(signature);
    } catch (e) {
      // A file that cannot be opened (another schema, a copy in progress): keep serving the old one.
      this.failedSignature = signature;
      this.opts.onError?.(e as Error);
      return;
    }
    const old = this.gen;
    this.gen = next;
    this.signature = signature;
    old.retired = true;
    if (old.leases === 0) old.kb.close();
    this.opts.onReload?.(next);
  }

  /** The generation a request uses from start to end; pair with `release`. */
  acquire(): Generation {
    this.refresh();
    this.gen.leases++;
    return this.gen;
  }

  release(gen: Generation): void {
    gen.leases--;
    if (gen.retired && gen.leases === 0) gen.kb.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.gen.retired = true;
    if (this.gen.leases === 0) this.gen.kb.close();
  }
}
