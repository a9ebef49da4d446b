import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerSyncCommands } from '../../src/cli/sync.js';
import { PurplebookError } from '../../src/core/errors.js';
import { DATA_DIR, tempDir } from '../helpers.js';
import { startServer, type TestServer } from './fixtures.js';

let server: TestServer;

function bundle(version: string): Buffer {
  return Buffer.from(JSON.stringify({ type: 'bundle', id: 'bundle--x', objects: [{ type: 'x-mitre-collection', id: 'x-mitre-collection--x', x_mitre_version: version }] }));
}

beforeAll(async () => {
  server = await startServer();
  for (const d of ['enterprise-attack', 'mobile-attack']) server.routes.set(`/raw/mitre-attack/attack-stix-data/master/${d}/${d}.json`, bundle('18.1'));
  server.routes.set('/raw/mitre-attack/attack-stix-data/master/ics-attack/ics-attack.json', readFileSync(join(DATA_DIR, 'attack/ics-attack.json')));
});
afterAll(async () => {
  await server.close();
});

async function run(args: string[]): Promise<{ error?: unknown; stdout: string; stderr: string }> {
  const program = new Command().exitOverride();
  registerSyncCommands(program);
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { stdout += String(s); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { stderr += String(s); return true; });
  try {
    await program.parseAsync(['node', 'purplebook', ...args]);
    return { stdout, stderr };
  } catch (error) {
    return { error, stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('sync and status commands', () => {
  it('syncs ATT&CK through the CLI options, then reports status', async () => {
    const root = tempDir();
    const dir = join(root, 'data');
    const r = await run(['sync', '--source', 'attack', '--mirror', server.url, '--dir', dir, '--quiet']);
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe('');
    const lock = JSON.parse(readFileSync(join(root, 'purplebook.lock.json'), 'utf8')) as { sources: Record<string, { version: string }> };
    expect(lock.sources.attack!.version).toBe('18.1');
    const s = await run(['status', '--dir', dir, '--json']);
    expect(s.error).toBeUndefined();
    const status = JSON.parse(s.stdout) as { rows: { folder: string; version: string; ageDays: number }[] };
    expect(status.rows.map((x) => [x.folder, x.version, x.ageDays])).toEqual([['attack', '18.1', 0]]);
    const text = await run(['status', '--dir', dir]);
    expect(text.stdout).toMatch(/attack\s+ATT&CK 18.1/);
  });

  it('exits 1 with one line per failed source', async () => {
    const dir = join(tempDir(), 'data');
    const r = await run(['sync', '--source', 'attack', '--attack-version', '9.9', '--mirror', server.url, '--dir', dir, '--quiet']);
    expect(r.error).toBeInstanceOf(PurplebookError);
    expect((r.error as PurplebookError).exitCode).toBe(1);
    expect(r.stderr).toMatch(/^purplebook: attack: failed: enterprise-attack: HTTP 404 .*; no copy present\n$/);
  });

  it('exits 2 on bad input', async () => {
    const dir = join(tempDir(), 'data');
    for (const args of [['--source', 'no-such-source'], ['--ref', 'attack'], ['--ref', 'attack=../x'], ['--mirror', 'file:///etc'], ['--config', join(dir, 'missing.json')]]) {
      const r = await run(['sync', '--dir', dir, '--offline', ...args]);
      expect(r.error, args.join(' ')).toBeInstanceOf(PurplebookError);
      expect((r.error as PurplebookError).exitCode, args.join(' ')).toBe(2);
    }
  });

  it('offline prints what is present', async () => {
    const dir = join(tempDir(), 'data');
    const r = await run(['sync', '--offline', '--source', 'attack', '--dir', dir, '--json']);
    expect(r.error).toBeUndefined();
    expect((JSON.parse(r.stdout) as { results: { status: string }[] }).results.map((x) => x.status)).toEqual(['missing']);
  });
});
