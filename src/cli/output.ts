/** A line sink for stdout or a file, written atomically (temp file + rename) when it is a file. */
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';

export interface Sink {
  write(chunk: string): Promise<void>;
  close(): Promise<void>;
  abort(): void;
}

export function openSink(file?: string): Sink {
  if (!file || file === '-') {
    return {
      async write(chunk) {
        if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
      },
      async close() {},
      abort() {},
    };
  }
  const temp = `${file}.tmp-${process.pid}`;
  const stream: Writable = createWriteStream(temp);
  return {
    async write(chunk) {
      if (!stream.write(chunk)) await once(stream, 'drain');
    },
    async close() {
      stream.end();
      await once(stream, 'finish');
      renameSync(temp, file);
    },
    abort() {
      stream.destroy();
      rmSync(temp, { force: true });
    },
  };
}
