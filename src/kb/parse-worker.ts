/** A parse worker thread: runs the tasks the pool posts (parse-task.ts) for the registry's sources. */
import { parentPort, workerData } from 'node:worker_threads';
import { findSource } from '../sources/registry.js';
import { runTask, type Task, type TaskSetup } from './parse-task.js';

const setup = workerData as TaskSetup;

parentPort?.on('message', (msg: { id: number; task: Task }) => {
  const source = findSource(msg.task.source);
  const work = source ? runTask(msg.task, setup, source) : Promise.reject(new Error(`unknown source ${msg.task.source}`));
  work.then(
    (result) => parentPort!.postMessage({ id: msg.id, result }),
    (e: unknown) => parentPort!.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) }),
  );
});
