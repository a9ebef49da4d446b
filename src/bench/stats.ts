/** Small timing helpers for the benchmark (never used by tests: no timed assertions there). */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Runs fn for every input, returning per-call latencies (ms, sorted) and the total wall time. */
export function timeEach<T>(inputs: T[], fn: (x: T) => unknown): { sorted: number[]; totalMs: number } {
  const lat: number[] = [];
  const t0 = performance.now();
  for (const x of inputs) {
    const s = performance.now();
    fn(x);
    lat.push(performance.now() - s);
  }
  const totalMs = performance.now() - t0;
  return { sorted: lat.sort((a, b) => a - b), totalMs };
}

export function maxRssMb(): number {
  // resourceUsage().maxRSS is in kilobytes.
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
