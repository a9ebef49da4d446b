/**
 * Preloaded (`node --import`) into the `purplebook build` a bench step runs: at exit, writes the
 * whole process's peak RSS and CPU time (every thread, workers included) as JSON to the file
 * PURPLEBOOK_BENCH_USAGE names. The bench measures the command a user runs, not a build called
 * from a process that has every other measurement's modules loaded as well.
 */
import { writeFileSync } from 'node:fs';

const out = process.env.PURPLEBOOK_BENCH_USAGE;
if (out) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    // maxRSS is in kilobytes, CPU times in microseconds.
    writeFileSync(out, JSON.stringify({ rssMb: Math.round(u.maxRSS / 1024), cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 }));
  });
}
