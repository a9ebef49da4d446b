/**
 * `cli()` runs most command lines in a thread of the test worker (test/cli-in-process.ts) instead of
 * a child process. That is only a faster way to run the same program: here the two ways give the
 * same exit code, stdout and stderr for output, bad input and commander's own errors; a variable
 * set for one call is gone for the next, and the caller's environment at the call is the command's.
 */
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { cliInProcess } from '../cli-in-process.js';
import { REPO, cliSpawned, tempDir } from '../helpers.js';

describe('the CLI in process', () => {
  const kbPath = inject('kbPath');

  it('gives what the spawned CLI gives: pages, JSON, bad input, commander errors, help and version', () => {
    const lines = [
      ['show', 'T1021.004', '--db', kbPath],
      ['show', 'T1059.001', '--format', 'json', '--db', kbPath],
      ['stats', '--json', '--db', kbPath],
      ['coverage', '--group', 'G0016', '--format', 'csv', '--db', kbPath],
      ['show', 'T9999', '--db', kbPath],
      ['show', 'T1021.004', '--db', join(tempDir(), 'missing.db')],
      ['show', '--jsn', 'T1021.004', '--db', kbPath],
      ['frobnicate'],
      ['--version'],
      ['show', '--help'],
    ];
    for (const args of lines) {
      const inProcess = cliInProcess(REPO, args, {});
      expect(inProcess, args.join(' ')).toBeDefined();
      expect([args, inProcess]).toEqual([args, cliSpawned(args)]);
    }
  });

  it('a variable set for one call is gone for the next', () => {
    const first = cliInProcess(REPO, ['stats', '--json'], { PURPLEBOOK_DB: kbPath });
    expect(first?.code, first?.stderr).toBe(0);
    const missing = join(tempDir(), 'none.db');
    const second = cliInProcess(REPO, ['stats', '--json'], { PURPLEBOOK_DB: missing });
    expect([second?.code, second?.stderr]).toEqual([1, `purplebook: no knowledge base at ${missing}: run \`purplebook build\` first\n`]);
    // The caller's environment as it is at the call, as a child process gets it.
    const saved = process.env.PURPLEBOOK_DB;
    process.env.PURPLEBOOK_DB = missing;
    try {
      expect(cliInProcess(REPO, ['stats', '--json'], {})?.stderr).toContain(missing);
    } finally {
      if (saved === undefined) delete process.env.PURPLEBOOK_DB;
      else process.env.PURPLEBOOK_DB = saved;
    }
    // Without the variable, the default path (not the one before) is what is missing or found.
    const third = cliInProcess(REPO, ['stats', '--json'], {});
    expect(third?.stderr ?? '').not.toContain(missing);
    expect(third).toEqual(cliSpawned(['stats', '--json']));
  });
});
