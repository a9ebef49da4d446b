/**
 * Progress for long work: a single rewritten line on a TTY, nothing in CI, with --quiet, or when
 * stderr is not a terminal (logs stay clean).
 */
export interface Progress {
  /** Set the current step, with optional done/total counts. */
  update(label: string, done?: number, total?: number): void;
  /** A line that always stays on screen (unless quiet). */
  log(line: string): void;
  done(): void;
}

export function createProgress(opts: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const live = !opts.quiet && !!stream.isTTY && !process.env.CI;
  let last = 0;
  let shown = false;
  const clear = () => {
    if (shown) stream.write('\r\x1b[2K');
    shown = false;
  };
  return {
    update(label, done, total) {
      if (!live) return;
      const now = Date.now();
      if (now - last < 80 && done !== total) return; // repaint at most ~12 times a second
      last = now;
      const width = 24;
      let bar = '';
      if (total && done !== undefined) {
        const filled = Math.round((Math.min(done, total) / total) * width);
        bar = ` [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
      } else if (done !== undefined) bar = ` ${done}`;
      clear();
      stream.write(`${label}${bar}`.slice(0, (stream.columns || 100) - 1));
      shown = true;
    },
    log(line) {
      if (opts.quiet) return;
      clear();
      stream.write(`${line}\n`);
    },
    done() {
      clear();
    },
  };
}
