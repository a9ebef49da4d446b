/**
 * Builds the knowledge base from the real shared data once for the whole test run, for the `kb`
 * project only (vitest.config.ts). No parse cache: nothing reads it, and writing it costs time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildKnowledgeBase } from '../src/kb/build.js';
import { DATA_DIR } from './helpers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kbPath: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'purplebook-kb-'));
  const dbPath = join(dir, 'purplebook.db');
  await buildKnowledgeBase({ dataDir: DATA_DIR, dbPath, quiet: true, cache: false });
  project.provide('kbPath', dbPath);
  return () => rmSync(dir, { recursive: true, force: true });
}
