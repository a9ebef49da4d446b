/** Shared test plumbing: where the real data is, a cached ATT&CK, temp folders. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAttack } from '../src/attack/load.js';
import type { AttackIndex } from '../src/attack/types.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The real upstream snapshots: ../shared/data, or $PURPLEBOOK_DATA. */
export const DATA_DIR = process.env.PURPLEBOOK_DATA ? resolve(process.env.PURPLEBOOK_DATA) : resolve(REPO, '..', 'shared', 'data');

let attack: AttackIndex | undefined;
/** The real ATT&CK v18.1, loaded once per test file. */
export function realAttack(): AttackIndex {
  attack ??= loadAttack(DATA_DIR);
  return attack;
}

export function tempDir(prefix = 'purplebook-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Write `{relativePath: content}` under a new temp folder and return it. */
export function fixtureDir(files: Record<string, string | Buffer>): string {
  const dir = tempDir();
  for (const [rel, content] of Object.entries(files)) {
    const full = join(dir, rel);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return dir;
}
