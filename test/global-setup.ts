/**
 * Builds the knowledge base from the real shared data once for the whole test run, for the `kb`
 * project only (vitest.config.ts). No parse cache: nothing reads it, and writing it costs time.
 *
 * The static site of that knowledge base is then written once by `purplebook site`, in a child
 * process the run does not wait for: the site, browser and search-file tests read it through
 * `realSite()` (helpers.ts), which waits for the status file written when the child ends. Five
 * files wrote their own copy before, the longest step of each.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildKnowledgeBase } from '../src/kb/build.js';
import { DATA_DIR, REPO } from './helpers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kbPath: string;
    /** Worker threads the build of `kbPath` used: 0, it reads in the setup's own thread (parallel.test.ts compares). */
    kbWorkers: number;
    /** The site folder; `${sitePath}.status` appears, whole, when `purplebook site` has ended. */
    sitePath: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'purplebook-kb-'));
  const dbPath = join(dir, 'purplebook.db');
  // One thread: from the TypeScript sources no worker can start anyway (parse-pool.ts), and this
  // build is the sequential reference the parallel build is compared with.
  const built = await buildKnowledgeBase({ dataDir: DATA_DIR, dbPath, quiet: true, cache: false, jobs: 1 });
  project.provide('kbPath', dbPath);
  project.provide('kbWorkers', built.workers);

  const sitePath = join(dir, 'site');
  const child = spawn(process.execPath, [join(REPO, 'dist', 'cli', 'main.js'), 'site', '--out', sitePath, '--db', dbPath, '--quiet'], {
    env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  const started = Date.now();
  let tornDown = false;
  const status = (code: number | null, error?: string) => {
    // A run of a few files can end before the site does: its folder is gone by then.
    if (tornDown) return;
    writeFileSync(`${sitePath}.status.tmp`, JSON.stringify({ code, stderr: error ?? stderr, seconds: (Date.now() - started) / 1000 }));
    renameSync(`${sitePath}.status.tmp`, `${sitePath}.status`);
  };
  child.on('error', (e) => status(null, e.message));
  child.on('close', (code) => status(code));
  project.provide('sitePath', sitePath);

  return () => {
    tornDown = true;
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  };
}
