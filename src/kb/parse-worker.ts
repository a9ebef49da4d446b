/** A parse worker thread: runs the tasks the pool posts (parse-task.ts), for the registry's sources or ATT&CK. */
import { parentPort, workerData } from 'node:worker_threads';
import { findSource } from '../sources/registry.js';
import { runTask, type Task, type TaskSetup } from './parse-task.js';

const setup = workerData as TaskSetup;

parentPort?.on('message', (msg: { id: number; task: Task }) => {
  const work = runTask(msg.task, setup, msg.task.kind === 'attack' ? undefined : findSource(msg.task.source));
  work.then(
    (result) => parentPort!.postMessage({ id: msg.id, result }),
    (e: unknown) => parentPort!.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) }),
  );
});
