/**
 * Reading an uploaded results file (POST /api/results/import) off the event loop: a worker thread
 * (results-worker.ts) decodes and parses the text and returns plain rows and warnings; the caller
 * resolves them against the knowledge base and writes them in one transaction. An 8 MiB Atomic CSV
 * is seconds of parsing, and a hostile one (millions of blank rows, one field of doubled quotes)
 * more: on the main thread that stopped every other request meanwhile.
 */
import type { FastifyReply } from 'fastify';
import type { ReadFile } from '../results/importers/read.js';
import type { ImportFormat } from '../results/importers/types.js';
import { HttpError } from './http.js';
import type { ServerLimits } from './limits.js';
import { JobFailedError, JobTimeoutError, PoolBusyError, WorkerPool, workerScript } from './worker-pool.js';

export interface ResultsParseJob {
  name: string;
  content: string;
  format?: ImportFormat;
}

/** A file the importers refused (not a known format, not UTF-8 …) is an answer, not a failure: its message goes to the client. */
export type ResultsParseAnswer = { file: ReadFile } | { refused: string };

export const RESULTS_WORKER = () => workerScript('results-worker', import.meta.url);

/**
 * Heap of the results parser thread. A maximal upload that is a real log (an 8 MiB Atomic CSV,
 * 55,000 rows) needs ~70 MB of heap for its rows and ~100 MB at the peak of the copy sent back;
 * anything that needs more is hostile and ends with a 422.
 */
export const RESULTS_WORKER_HEAP_MB = 256;

export type UploadLimits = Pick<ServerLimits, 'parseBudgetMs' | 'maxQueuedParses'>;

/**
 * One thread, ended after every job: imports are rare (a token is needed), large, and their
 * memory should not linger. It is not the rules parsers' pool, so anonymous coverage uploads
 * cannot keep a results writer waiting.
 */
export class ResultsUploadParser {
  private readonly pool: WorkerPool<ResultsParseJob, ResultsParseAnswer>;
  private admitted = 0;
  private readonly admissions: number;

  constructor(private readonly limits: UploadLimits) {
    this.pool = new WorkerPool(RESULTS_WORKER, {
      size: 1, maxQueue: limits.maxQueuedParses, recycle: true,
      resourceLimits: { maxOldGenerationSizeMb: RESULTS_WORKER_HEAP_MB, maxYoungGenerationSizeMb: 16 },
    });
    this.admissions = 1 + limits.maxQueuedParses;
  }

  /**
   * Before the body is read: uploads beyond what the thread and its queue can take are refused
   * unread (their bodies would only wait in memory), and their connection closed.
   */
  admit(reply: FastifyReply): void {
    if (this.admitted >= this.admissions) {
      reply.header('connection', 'close');
      throw new HttpError(503, 'too many results imports at once: the import thread is busy and the queue is full; try again shortly');
    }
    this.admitted++;
    reply.raw.once('close', () => this.admitted--);
  }

  /** The parsed file; a refused file, an overrun or a full queue as the HttpError the client gets. */
  async parse(job: ResultsParseJob): Promise<ReadFile> {
    let answer: ResultsParseAnswer;
    try {
      answer = await this.pool.run(job, this.limits.parseBudgetMs);
    } catch (e) {
      if (e instanceof PoolBusyError) throw new HttpError(503, `too many results imports at once: ${e.message}; try again shortly`);
      if (e instanceof JobTimeoutError) throw new HttpError(422, `reading the uploaded file took longer than ${this.limits.parseBudgetMs} ms (parseBudgetMs): split it`);
      // The thread's own message may name server files: unless it ran out of memory, it stays in the log (500).
      if (e instanceof JobFailedError && e.outOfMemory) throw new HttpError(422, `cannot read the uploaded file: ${e.message} (${RESULTS_WORKER_HEAP_MB} MB): split it`);
      throw e;
    }
    if ('refused' in answer) throw new HttpError(400, answer.refused);
    return answer.file;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
