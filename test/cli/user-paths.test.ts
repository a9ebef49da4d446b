/**
 * A path the user gives that is a folder where a file is expected, a file that is missing, or one
 * that cannot be read: one `purplebook: …` line naming the path and what was expected, exit 2,
 * never a stack trace. Unreadable files need a user the permission applies to: as root (who reads
 * everything, as in CI's container) those cases are not defined at all — CI fails on any skipped
 * test — and fileProblem's wording for EACCES/EPERM is checked on the errors themselves below.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { fileProblem } from '../../src/core/errors.js';
import { cli, tempDir } from '../helpers.js';

const asRoot = process.getuid?.() === 0;

function refused(args: string[], line: RegExp, env: Record<string, string> = {}) {
  const r = cli(args, env);
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines, `${args.join(' ')}: ${r.stderr}`).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(lines[0]).toMatch(line);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('paths the user names', () => {
  const db = inject('kbPath');
  const dir = tempDir();
  const folder = join(dir, 'a-folder');
  mkdirSync(folder);
  const missing = join(dir, 'missing.json');
  const unreadable = join(dir, 'unreadable.json');
  writeFileSync(unreadable, '{}');
  chmodSync(unreadable, 0o000);

  /** Each option or argument that names a file, with the command around it and what it expects. */
  const cases: { name: string; args: (path: string) => string[]; expected: string }[] = [
    { name: '--techniques', args: (p) => ['coverage', '--db', db, '--techniques', p], expected: 'a Navigator layer or a technique list' },
    { name: '--baseline', args: (p) => ['coverage', '--db', db, '--baseline', p], expected: 'an own-rule Navigator layer or a technique list' },
    { name: 'translate FILE', args: (p) => ['translate', '--db', db, p], expected: 'a Navigator layer, a list of layers or a technique list' },
    { name: 'results import FILE', args: (p) => ['results', 'import', '--db', db, '--results', join(dir, 'r.db'), p], expected: 'a results file' },
    { name: '--token-file', args: (p) => ['serve', '--db', db, '--results', join(dir, 'r.db'), '--token-file', p], expected: 'a token file' },
    { name: '--config', args: (p) => ['build', '--db', join(dir, 'never.db'), '--config', p], expected: 'a JSON file' },
  ];

  for (const c of cases) {
    it(`${c.name}: a folder, a missing file`, () => {
      refused(c.args(folder), new RegExp(`^purplebook: .*${esc(folder)} is a folder, expected ${esc(c.expected)}`));
      refused(c.args(missing), new RegExp(`^purplebook: .*${esc(missing)} does not exist`));
    });
    if (!asRoot) {
      it(`${c.name}: an unreadable file`, () => {
        refused(c.args(unreadable), new RegExp(`^purplebook: .*${esc(unreadable)} cannot be read: permission denied`));
      });
    }
  }

  it('--db: a folder is named with the file it should hold; a missing one says to build', () => {
    refused(['stats', '--db', folder], new RegExp(`^purplebook: --db ${esc(folder)} is a folder; expected a knowledge-base file`));
    const r = cli(['stats', '--db', missing]);
    expect([r.code, r.stderr]).toEqual([1, `purplebook: no knowledge base at ${missing}: run \`purplebook build\` first\n`]);
  });

  if (!asRoot) {
    it('--db: an unreadable file', () => {
      refused(['stats', '--db', unreadable], new RegExp(`^purplebook: --db ${esc(unreadable)} cannot be read: permission denied \\(expected a knowledge-base file\\)`));
    });
  }

  it('--rules: a missing path is named; a folder is a rules folder, so an empty one says it holds no file', () => {
    refused(['coverage', '--db', db, '--rules', missing], new RegExp(`^purplebook: --rules ${esc(missing)}: no such file or folder$`));
    refused(['coverage', '--db', db, '--rules', folder], new RegExp(`^purplebook: --rules ${esc(folder)}: no own rule read \\(no file in it\\)$`));
  });

  if (!asRoot) {
    it('--rules: an unreadable file', () => {
      refused(['coverage', '--db', db, '--rules', unreadable], new RegExp(`^purplebook: --rules ${esc(unreadable)}: no own rule read \\(.*cannot read.*permission denied`));
    });
  }
});

describe('fileProblem: what each operating-system error says', () => {
  const err = (code: string) => Object.assign(new Error(`${code}: something, open 'x'`), { code });
  it('names what was expected, and leaves other errors to the caller', () => {
    expect(fileProblem(err('ENOENT'), 'a layer')).toBe('does not exist (expected a layer)');
    expect(fileProblem(err('EISDIR'), 'a layer')).toBe('is a folder, expected a layer');
    expect(fileProblem(err('EACCES'), 'a layer')).toBe('cannot be read: permission denied (expected a layer)');
    expect(fileProblem(err('EPERM'), 'a layer')).toBe('cannot be read: permission denied (expected a layer)');
    expect(fileProblem(err('ENOTDIR'), 'a layer')).toMatch(/^is not a path to a file/);
    expect(fileProblem(err('EMFILE'), 'a layer')).toBeUndefined();
    expect(fileProblem(new Error('plain'), 'a layer')).toBeUndefined();
    expect(fileProblem(undefined, 'a layer')).toBeUndefined();
  });
});
