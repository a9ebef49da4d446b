/** Shared test plumbing: where the real data is, a cached ATT&CK, temp folders. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize } from 'node:v8';
import { inject } from 'vitest';
import { loadAttack } from '../src/attack/load.js';
import type { AttackIndex } from '../src/attack/types.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The real upstream snapshots: ../shared/data, or $PURPLEBOOK_DATA. */
export const DATA_DIR = process.env.PURPLEBOOK_DATA ? resolve(process.env.PURPLEBOOK_DATA) : resolve(REPO, '..', 'shared', 'data');

/** The previous ATT&CK release's bundles, kept for crosswalk tests: ../shared/attack-18.1, or $PURPLEBOOK_ATTACK_PREVIOUS. */
export const PREVIOUS_ATTACK_DIR = process.env.PURPLEBOOK_ATTACK_PREVIOUS
  ? resolve(process.env.PURPLEBOOK_ATTACK_PREVIOUS) : resolve(REPO, '..', 'shared', 'attack-18.1');

let attack: AttackIndex | undefined;
/**
 * The real ATT&CK of the data folder, once per test file: the snapshot global-attack.ts parsed for
 * the run, or parsed here when the file runs without it (another config).
 */
export function realAttack(): AttackIndex {
  if (attack) return attack;
  const snapshot = inject('attackPath') as string | undefined;
  attack = snapshot ? deserialize(readFileSync(snapshot)) as AttackIndex : loadAttack(DATA_DIR);
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

/** Runs the compiled CLI (npm test compiles first) and returns its exit code and output. */
export function cli(args: string[], env: Record<string, string> = {}, stdin = ''): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO, 'dist', 'cli', 'main.js'), ...args], {
    encoding: 'utf8', env: { ...process.env, CI: 'true', ...env }, maxBuffer: 256 * 1024 * 1024, input: stdin,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
