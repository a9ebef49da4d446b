/**
 * Worker thread entry: reads own rules (an upload, or the server's rules folder) off the event
 * loop. One job at a time; the pool (worker-pool.ts) times it and ends the thread if it overruns.
 */
import { parentPort } from 'node:worker_threads';
import type { OwnRuleSet } from '../rules/types.js';
import { folderRules, uploadedRules, type RulesJob } from './rules.js';
import type { WorkerReply } from './worker-pool.js';

parentPort?.on('message', (job: RulesJob) => {
  let reply: WorkerReply<OwnRuleSet>;
  try {
    reply = { ok: true, value: job.kind === 'upload' ? uploadedRules(job.files, job.limits) : folderRules(job.paths, job.limits) };
  } catch (e) {
    reply = { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply);
});
