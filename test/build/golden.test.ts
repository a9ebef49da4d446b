/**
 * The golden check of a refactor (scripts/golden-export.sh): the knowledge base built by the ref
 * named in PURPLEBOOK_GOLDEN_REF and by this checkout, on the shared data, give the same export,
 * CSV, stats, plans, resource rows with their mappings and warnings per file. Run only when the
 * variable names a ref: it builds twice (minutes), so it is for a refactor's last check, e.g.
 * `PURPLEBOOK_GOLDEN_REF=ec1fd55 npx vitest run test/build/golden.test.ts`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers.js';

const REF = process.env.PURPLEBOOK_GOLDEN_REF;

describe('golden check against PURPLEBOOK_GOLDEN_REF', () => {
  // Without a ref (as in CI, which fails on skipped tests) the check is not run, but the script it
  // runs must stay valid shell.
  if (!REF) {
    it('scripts/golden-export.sh parses as bash', () => {
      const r = spawnSync('bash', ['-n', join(REPO, 'scripts', 'golden-export.sh')], { encoding: 'utf8' });
      expect([r.status, r.stderr]).toEqual([0, '']);
    });
    return;
  }
  it(`export, stats, plans, resources and warnings are those ${REF ?? 'the ref'} gives`, () => {
    const r = spawnSync('bash', [join(REPO, 'scripts', 'golden-export.sh'), REF], { cwd: REPO, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(r.stdout.split('\n').filter((l) => l.startsWith('golden:') && !l.includes(' identical ')), r.stdout + r.stderr).toEqual([]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 1_800_000);
});
