/**
 * Rendered responses of one knowledge-base generation, with their compressed variants made once:
 * pages and data files are the same until the next build, so compressing them per request would
 * only burn CPU. Least recently used entries go first when the byte budget is exceeded.
 */
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export type Encoding = 'br' | 'gzip' | 'identity';

interface Entry {
  type: string;
  identity: Buffer;
  br?: Buffer;
  gzip?: Buffer;
  size: number;
}

/** Below this, compressing costs more than it saves. */
const MIN_COMPRESS = 1024;

export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly budget = 96 * 1024 * 1024) {}

  get size(): number {
    return this.entries.size;
  }

  /** The body for `key` in the best encoding the client accepts; `produce` runs on a miss. */
  get(key: string, type: string, accepted: Encoding, produce: () => string | Buffer): { type: string; body: Buffer; encoding: Encoding } {
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      const raw = produce();
      const identity = typeof raw === 'string' ? Buffer.from(raw) : raw;
      entry = { type, identity, size: identity.length };
      this.add(key, entry);
    }
    if (accepted === 'identity' || entry.identity.length < MIN_COMPRESS) return { type: entry.type, body: entry.identity, encoding: 'identity' };
    let body = entry[accepted];
    if (!body) {
      body = accepted === 'br'
        ? brotliCompressSync(entry.identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 6, [constants.BROTLI_PARAM_SIZE_HINT]: entry.identity.length } })
        : gzipSync(entry.identity, { level: 6 });
      entry[accepted] = body;
      entry.size += body.length;
      this.bytes += body.length;
      this.evict();
    }
    return { type: entry.type, body, encoding: accepted };
  }

  private add(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    this.bytes += entry.size;
    this.evict();
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.budget || this.entries.size <= 1) break;
      this.entries.delete(key);
      this.bytes -= entry.size;
    }
  }
}

/** The client's preferred encoding among br and gzip (q=0 excludes one), else identity. */
export function acceptedEncoding(header: string | string[] | undefined): Encoding {
  const value = Array.isArray(header) ? header.join(',') : header ?? '';
  const q = new Map<string, number>();
  for (const part of value.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = qp ? Number(qp.slice(2)) : 1;
    q.set(name, Number.isFinite(weight) ? weight : 0);
  }
  const weight = (name: string) => q.get(name) ?? (q.has('*') ? q.get('*')! : 0);
  const br = weight('br');
  const gzip = weight('gzip');
  if (br > 0 && br >= gzip) return 'br';
  if (gzip > 0) return 'gzip';
  return 'identity';
}
