/**
 * Parses the data folder's ATT&CK once for the whole test run and hands the workers a v8 snapshot
 * of it: reading the snapshot costs a worker ~40 ms of CPU where parsing the bundles costs ~1 s.
 * Listed by both projects (vitest.config.ts); the parse is kept on globalThis because each project
 * loads its global setup files afresh, and both run in the one main process.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import type { TestProject } from 'vitest/node';
import { loadAttack } from '../src/attack/load.js';
import { DATA_DIR } from './helpers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A v8-serialized AttackIndex of DATA_DIR (see realAttack in helpers.ts). */
    attackPath: string;
  }
}

const SHARED = Symbol.for('purplebook.test.attackSnapshot');
type Holder = { [SHARED]?: { dir: string; path: string } };

export default function setup(project: TestProject) {
  const holder = globalThis as Holder;
  if (!holder[SHARED]) {
    const dir = mkdtempSync(join(tmpdir(), 'purplebook-attack-'));
    const path = join(dir, 'attack.v8');
    writeFileSync(path, serialize(loadAttack(DATA_DIR)));
    holder[SHARED] = { dir, path };
  }
  const { dir, path } = holder[SHARED];
  project.provide('attackPath', path);
  return () => rmSync(dir, { recursive: true, force: true });
}
