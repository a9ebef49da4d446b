/**
 * Worker thread entry: parses one uploaded results file (Atomic CSV or Attire log, Caldera report,
 * outcome sheet, export) off the event loop. The pool (worker-pool.ts) times the job and ends the
 * thread if it overruns or runs out of memory.
 */
import { parentPort } from 'node:worker_threads';
import { parseImport } from '../results/importers/read.js';
import { ImportError } from '../results/importers/types.js';
import type { ResultsParseAnswer, ResultsParseJob } from './results-upload.js';
import type { WorkerReply } from './worker-pool.js';

parentPort?.on('message', (job: ResultsParseJob) => {
  let reply: WorkerReply<ResultsParseAnswer>;
  try {
    reply = { ok: true, value: { file: parseImport(job.name, Buffer.from(job.content, 'utf8'), job.format) } };
  } catch (e) {
    reply = e instanceof ImportError ? { ok: true, value: { refused: e.message } } : { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply);
});
