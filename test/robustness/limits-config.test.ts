import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LimitsConfigError, loadBuildLimits, parseBuildLimits } from '../../src/kb/limits-config.js';
import { DEFAULT_LIMITS } from '../../src/sources/types.js';
import { DATA_DIR, REPO, cli, fixtureDir, tempDir } from '../helpers.js';

const RULES = 'sigma/rules/windows/process_creation';
const SMALL = `${RULES}/proc_creation_win_7zip_exfil_dmp_files.yml`;
const LARGE = `${RULES}/proc_creation_win_addinutil_suspicious_cmdline.yml`;

function runIn(cwd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(REPO, 'dist', 'cli', 'main.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true', ...env } });
  return { code: r.status ?? -1, stderr: r.stderr };
}

describe('build limits from purplebook.config.json', () => {
  it('reads "build.limits", keeps the defaults for what it does not set, and ignores the sync settings', () => {
    expect(parseBuildLimits({ mirror: 'https://example.org', build: { limits: { maxFileBytes: 1000, maxDepth: 8 } } }))
      .toEqual({ maxFileBytes: 1000, maxDepth: 8 });
    expect(parseBuildLimits({ mirror: 'https://example.org' })).toEqual({});
    expect(parseBuildLimits({ build: {} })).toEqual({});
    const dir = fixtureDir({ 'purplebook.config.json': JSON.stringify({ build: { limits: { maxYamlAliases: 5 } } }) });
    expect(loadBuildLimits(undefined, dir)).toEqual({
      limits: { ...DEFAULT_LIMITS, maxYamlAliases: 5 }, file: join(dir, 'purplebook.config.json'), set: { maxYamlAliases: 5 },
    });
    expect(loadBuildLimits(undefined, tempDir())).toEqual({ limits: DEFAULT_LIMITS, set: {} });
  });

  it('refuses unknown keys by name, and limits that are not positive whole numbers', () => {
    const bad = (raw: unknown) => () => parseBuildLimits(raw, 'x.json');
    expect(bad({ build: { limits: { maxFileByte: 5 } } })).toThrow('x.json: unknown limit "build.limits.maxFileByte" (known: maxFileBytes, maxBundleBytes, maxYamlAliases, maxDepth, maxTechniquesPerResource)');
    expect(bad({ build: { limit: {} } })).toThrow('x.json: unknown setting "build.limit" (known: build.limits)');
    expect(bad({ build: [] })).toThrow('x.json: "build" must be an object');
    expect(bad({ build: { limits: 5 } })).toThrow('x.json: "build.limits" must be an object');
    for (const v of [0, -1, 1.5, '10', null, 2 ** 60]) {
      expect(bad({ build: { limits: { maxDepth: v } } })).toThrow(`x.json: limit "build.limits.maxDepth" must be a positive whole number, got ${JSON.stringify(v)}`);
    }
    expect(bad([])).toThrow(LimitsConfigError);
    expect(() => loadBuildLimits('missing.json', tempDir())).toThrow('does not exist');
  });

  it('purplebook build --config: a file over a tiny maxFileBytes is skipped with a warning naming it', () => {
    const small = statSync(join(DATA_DIR, SMALL)).size;
    const large = statSync(join(DATA_DIR, LARGE)).size;
    expect(small).toBeLessThan(large);
    const data = fixtureDir({
      'attack/ics-attack.json': readFileSync(join(DATA_DIR, 'attack', 'ics-attack.json')),
      [SMALL]: readFileSync(join(DATA_DIR, SMALL)),
      [LARGE]: readFileSync(join(DATA_DIR, LARGE)),
    });
    const dir = tempDir();
    const config = join(dir, 'limits.json');
    writeFileSync(config, JSON.stringify({ build: { limits: { maxFileBytes: small } } }));
    const db = join(dir, 'kb.db');
    const r = cli(['build', '--data', data, '--db', db, '--config', config]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Limits from ${config}: maxFileBytes=${small}\n`);
    const kb = new Database(db, { readonly: true });
    // (The small rule's technique is unknown to an ICS-only ATT&CK: that warning is not about limits.)
    expect(kb.prepare("SELECT file, reason FROM warnings WHERE source = 'sigma' AND reason NOT LIKE 'technique % is unknown%'").all())
      .toEqual([{ file: LARGE, reason: `file is ${large} bytes, over the ${small}-byte limit: skipped` }]);
    expect(kb.prepare("SELECT file FROM resources WHERE source = 'sigma'").all()).toEqual([{ file: SMALL }]);
    kb.close();
  });

  it('a bad key exits 2 and names it, whether the file is --config, $PURPLEBOOK_CONFIG or ./purplebook.config.json', () => {
    const dir = fixtureDir({ 'purplebook.config.json': JSON.stringify({ build: { limits: { maxDepht: 10 } } }) });
    const expected = `unknown limit "build.limits.maxDepht"`;
    const db = join(tempDir(), 'kb.db');
    for (const r of [
      runIn(tempDir(), ['build', '--data', DATA_DIR, '--db', db, '--config', join(dir, 'purplebook.config.json')]),
      runIn(tempDir(), ['build', '--data', DATA_DIR, '--db', db], { PURPLEBOOK_CONFIG: join(dir, 'purplebook.config.json') }),
      runIn(dir, ['build', '--data', DATA_DIR, '--db', db]),
    ]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(expected);
    }
    const notJson = fixtureDir({ 'c.json': '{"build": ' });
    const r = runIn(notJson, ['build', '--data', DATA_DIR, '--db', db, '--config', 'c.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not valid JSON');
  });
});
