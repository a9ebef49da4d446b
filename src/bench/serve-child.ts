/**
 * The server under load, in its own process so the load generator does not share its CPU:
 * `node --expose-gc dist/bench/serve-child.js <dbPath>`, driven over IPC by serve.ts.
 * Tells `{ port }` once listening; answers 'memory' with its RSS after a full GC, 'peak' with its
 * largest RSS so far; stops on 'close'.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createServer } from '../server/app.js';

export type ChildMessage = { port: number } | { rssMb: number; heapMb: number } | { peakRssMb: number; loopP99Ms: number; loopMaxMs: number };

const send = (m: ChildMessage) => process.send?.(m);

async function main(dbPath: string) {
  const app = createServer({ dbPath, warm: true });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  // How late the event loop runs since the last 'peak' or 'loop-reset': the server's own share of a slow answer.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  process.on('message', (m) => {
    if (m === 'memory') {
      // Measured after a collection: what is still held, not what is waiting to be freed.
      (globalThis as { gc?: () => void }).gc?.();
      const u = process.memoryUsage();
      send({ rssMb: u.rss / 2 ** 20, heapMb: u.heapUsed / 2 ** 20 });
    } else if (m === 'peak') {
      // resourceUsage().maxRSS is in kilobytes and counts the worker threads too.
      send({ peakRssMb: process.resourceUsage().maxRSS / 1024, loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6 });
      loop.reset();
    } else if (m === 'loop-reset') {
      loop.reset();
    } else if (m === 'close') {
      void app.close().then(() => process.exit(0));
    }
  });
  send({ port: address.port });
}

const dbPath = process.argv[2];
if (dbPath && process.send) void main(dbPath);
