/**
 * Every limit of `purplebook serve` in one place, with its default: what one request, one upload
 * or the rules folder may cost the server. docs/security.md lists them with the tests that prove
 * each one. A limit that is hit is answered with its name, so the person who hit it knows what to
 * change (`413 … over the 5242880-byte body limit (maxBodyBytes)`).
 */
import { availableParallelism } from 'node:os';
import { MAX_API_BODY_BYTES, MAX_API_RECORDS, MAX_UPLOAD_BYTES } from '../results/limits.js';

export interface ServerLimits {
  /** Largest accepted body of POST /api/coverage and /api/plan; larger gets a 413. */
  maxBodyBytes: number;
  /**
   * One uploaded rule file larger than this is skipped with a warning. YAML parsing costs ~2 µs and
   * ~150 bytes of memory per byte; the largest real rule (a SigmaHQ hash list) is 295 KB.
   */
  maxUploadFileBytes: number;
  /** Time the worker may spend reading one request's uploaded rules; over it the request gets a 422 and the worker is replaced. */
  parseBudgetMs: number;
  /** Worker threads that read uploaded rules (the event loop never parses them). */
  parseThreads: number;
  /** Uploads waiting for a worker at most; more get a 503 at once, before their body is read. */
  maxQueuedParses: number;
  /** Heap of one parse worker (MB): a document that needs more ends that worker's job with a 422. */
  parseWorkerHeapMb: number;
  /** ATT&CK ids read per rule; the rest are dropped with a warning (real rules have at most 27). */
  maxTechniquesPerRule: number;
  /** Rule→technique references in one request (every rule's ids together); more gets a 422. */
  maxRuleReferences: number;
  /** Largest response of a coverage or plan request; a report that would be larger gets a 422. */
  maxResponseBytes: number;
  /** Time a client has to send a whole request (headers and body); then 408 and the connection is closed. */
  requestTimeoutMs: number;
  /** Time a client has to send the request headers. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Largest body of POST /api/results (`serve --results --token-file`); larger gets a 413. */
  maxResultsBodyBytes: number;
  /** Most records in one POST /api/results; more gets a 400. */
  maxResultsRecords: number;
  /** Largest file text in one POST /api/results/import; larger gets a 413 (the JSON around it may add 64 KiB). */
  maxResultsUploadBytes: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  maxBodyBytes: 5 * 1024 * 1024,
  maxUploadFileBytes: 512 * 1024,
  parseBudgetMs: 10_000,
  parseThreads: Math.max(1, Math.min(2, availableParallelism() - 1)),
  maxQueuedParses: 1,
  parseWorkerHeapMb: 96,
  maxTechniquesPerRule: 100,
  maxRuleReferences: 50_000,
  maxResponseBytes: 32 * 1024 * 1024,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 72_000,
  maxResultsBodyBytes: MAX_API_BODY_BYTES,
  maxResultsRecords: MAX_API_RECORDS,
  maxResultsUploadBytes: MAX_UPLOAD_BYTES,
};

export function serverLimits(given: Partial<ServerLimits> | undefined): ServerLimits {
  const limits = { ...DEFAULT_SERVER_LIMITS };
  for (const [k, v] of Object.entries(given ?? {})) {
    if (v === undefined) continue;
    if (!Number.isFinite(v) || v < 1) throw new Error(`server limit ${k} must be a positive number, got ${String(v)}`);
    limits[k as keyof ServerLimits] = v;
  }
  // Node refuses a headers timeout longer than the request timeout.
  limits.headersTimeoutMs = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return limits;
}
