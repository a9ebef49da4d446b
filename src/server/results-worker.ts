/**
 * Worker thread entry: parses one uploaded results file (Atomic CSV or Attire log, Caldera report,
 * outcome sheet, export) off the event loop. The pool (worker-pool.ts) times the job and ends the
 * thread if it overruns or runs out of memory.
 */
import { parseImport } from '../results/importers/read.js';
import { ImportError } from '../results/importers/types.js';
import type { ResultsParseAnswer, ResultsParseJob } from './results-upload.js';
import { answerJobs, type WorkerReply } from './worker-pool.js';

answerJobs((job: ResultsParseJob): WorkerReply<ResultsParseAnswer> => {
  try {
    return { ok: true, value: { file: parseImport(job.name, Buffer.from(job.content, 'utf8'), job.format) } };
  } catch (e) {
    return e instanceof ImportError ? { ok: true, value: { refused: e.message } } : { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
});
