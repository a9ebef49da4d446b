/**
 * Worker thread entry: reads own rules (an upload, or the server's rules folder) off the event
 * loop. One job at a time; the pool (worker-pool.ts) times it and ends the thread if it overruns.
 */
import type { OwnRuleSet } from '../rules/types.js';
import { folderRules, uploadedRules, type RulesJob } from './rules.js';
import { answerJobs, type WorkerReply } from './worker-pool.js';

answerJobs((job: RulesJob): WorkerReply<OwnRuleSet> => {
  try {
    return { ok: true, value: job.kind === 'upload' ? uploadedRules(job.files, job.limits) : folderRules(job.paths, job.limits) };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
});
