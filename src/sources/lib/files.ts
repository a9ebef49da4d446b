/** File access shared by connectors: deterministic walks and size-capped, UTF-8-checked reads. */
import { readdirSync, statSync, readFileSync, existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { LoadContext } from '../types.js';

/**
 * Every file under `root` whose name passes `accept`, as paths relative to `root` with `/`
 * separators, sorted so that builds are reproducible. Symlinks are not followed: a data folder
 * is untrusted and a link could point anywhere.
 */
export function walkFiles(root: string, accept: (name: string, relPath: string) => boolean, enterDir: (name: string) => boolean = () => true): string[] {
  const out: string[] = [];
  if (!existsSync(root)) return out;
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (enterDir(e.name)) stack.push(full);
      }
      else if (e.isFile()) {
        const rel = relative(root, full).split(sep).join('/');
        if (accept(e.name, rel)) out.push(rel);
      }
    }
  }
  return out.sort();
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Read a file as UTF-8 text for a connector. Returns undefined (after a warning naming the
 * file) when it is too large, unreadable or not valid UTF-8. A leading BOM is dropped.
 * `file` is the path relative to the data dir, as warnings and links name it.
 */
export function readText(ctx: Pick<LoadContext, 'dataDir' | 'limits' | 'warn'>, file: string): string | undefined {
  const full = join(ctx.dataDir, file);
  let size: number;
  try {
    size = statSync(full).size;
  } catch (e) {
    ctx.warn(file, `cannot read: ${(e as Error).message}`);
    return undefined;
  }
  if (size > ctx.limits.maxFileBytes) {
    ctx.warn(file, `file is ${size} bytes, over the ${ctx.limits.maxFileBytes}-byte limit: skipped`);
    return undefined;
  }
  if (size === 0) {
    ctx.warn(file, 'empty file');
    return undefined;
  }
  let text: string;
  try {
    text = utf8.decode(readFileSync(full));
  } catch (e) {
    const msg = (e as Error).message;
    ctx.warn(file, msg.includes('encoded data') || msg.includes('decode') ? 'not valid UTF-8' : `cannot read: ${msg}`);
    return undefined;
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
