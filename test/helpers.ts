/** Shared test plumbing: where the real data is, a cached ATT&CK, temp folders. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize } from 'node:v8';
import { inject } from 'vitest';
import { loadAttack } from '../src/attack/load.js';
import type { AttackIndex } from '../src/attack/types.js';
import { cliInProcess, type CliResult } from './cli-in-process.js';

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
export function cli(args: string[], env: Record<string, string> = {}, stdin = ''): CliResult {
  if (!stdin && process.env.PURPLEBOOK_TEST_SPAWN !== '1' && Object.keys(env).every((k) => IN_PROCESS_ENV.test(k))) {
    const r = cliInProcess(REPO, args, env);
    if (r) return r;
  }
  return cliSpawned(args, env, stdin);
}

/** Variables the in-process CLI reads from process.env (HOME, say, is read from the real environment). */
const IN_PROCESS_ENV = /^(?:PURPLEBOOK_|XDG_)/;

/** `purplebook` as a child process: what a user runs. */
export function cliSpawned(args: string[], env: Record<string, string> = {}, stdin = ''): CliResult {
  const r = spawnSync(process.execPath, [join(REPO, 'dist', 'cli', 'main.js'), ...args], {
    encoding: 'utf8', env: { ...process.env, CI: 'true', ...env }, maxBuffer: 256 * 1024 * 1024, input: stdin,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The static site of the run's knowledge base, written once by `purplebook site` (global-setup.ts):
 * waits until that command has ended, and fails with its output if it failed. `kb` project only.
 */
export async function realSite(): Promise<{ dir: string; seconds: number }> {
  const dir = inject('sitePath');
  const statusFile = `${dir}.status`;
  while (!existsSync(statusFile)) await new Promise((resolve) => setTimeout(resolve, 200));
  const status = JSON.parse(readFileSync(statusFile, 'utf8')) as { code: number | null; stderr: string; seconds: number };
  if (status.code !== 0) throw new Error(`purplebook site failed (exit ${status.code}): ${status.stderr}`);
  return { dir, seconds: status.seconds };
}

