import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_DIR, REPO, tempDir } from '../helpers.js';
import { githubArchive, startServer, type TestServer } from './fixtures.js';

const COMMIT = 'a'.repeat(40);

/** Runs the compiled CLI without blocking this process (the loopback server lives here). */
function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO, 'dist', 'cli', 'main.js'), ...args], { env: { ...process.env, CI: 'true', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A real bundle with the x-mitre-collection object that MITRE's release files carry. */
function release(domain: string, version: string): Buffer {
  const b = JSON.parse(readFileSync(join(DATA_DIR, 'attack', `${domain}.json`), 'utf8')) as { objects: unknown[] };
  b.objects.unshift({ type: 'x-mitre-collection', id: `x-mitre-collection--${domain}`, name: domain, x_mitre_version: version });
  return Buffer.from(JSON.stringify(b));
}

describe('sync → build → show, through the CLI, from an empty cache', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
    const atomic = {
      'LICENSE.txt': readFileSync(join(DATA_DIR, 'atomic-red-team', 'LICENSE.txt')),
      'atomics/T1021.004/T1021.004.yaml': readFileSync(join(DATA_DIR, 'atomic-red-team/atomics/T1021.004/T1021.004.yaml')),
    };
    for (const ref of ['master', COMMIT]) {
      server.routes.set(`/redcanaryco/atomic-red-team/archive/${ref}.tar.gz`, githubArchive('atomic-red-team', ref, atomic, COMMIT));
    }
    for (const domain of ['enterprise-attack', 'mobile-attack', 'ics-attack']) {
      const body = release(domain, '18.1');
      server.routes.set(`/raw/mitre-attack/attack-stix-data/master/${domain}/${domain}.json`, body);
      server.routes.set(`/raw/mitre-attack/attack-stix-data/master/${domain}/${domain}-18.1.json`, body);
    }
  });
  afterAll(async () => {
    await server.close();
  });

  it('fetches from the mirror, builds, and prints the T1021.004 page with its Atomic tests', async () => {
    const home = tempDir();
    const dir = join(home, 'data');
    const db = join(home, 'kb.db');
    const sync = await run(['sync', '--dir', dir, '--mirror', server.url, '--source', 'atomic-red-team', '--source', 'attack', '--quiet']);
    expect(sync.stderr).toBe('');
    expect(sync.code).toBe(0);
    expect(existsSync(join(dir, 'MANIFEST.json'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8')) as { sources: { folder: string; commit?: string; version?: string }[] };
    expect(manifest.sources.find((s) => s.folder.startsWith('atomic-red-team'))?.commit).toBe(COMMIT);
    expect(manifest.sources.find((s) => s.folder.startsWith('attack'))?.version).toBe('18.1');
    const build = await run(['build', '--data', dir, '--db', db, '--quiet']);
    expect(build.code).toBe(0);
    const show = await run(['show', 'T1021.004', '--db', db]);
    expect(show.code).toBe(0);
    expect(show.stdout.split('\n')[0]).toBe('# T1021.004: SSH');
    expect(show.stdout).toContain('### [Atomic Red Team](https://atomicredteam.io/)');
    expect(show.stdout).toContain('**ATT&CK-mapped resources for this (sub)technique:** 2');
    expect(show.stdout).toContain(`https://github.com/redcanaryco/atomic-red-team/blob/${COMMIT}/atomics/T1021.004/T1021.004.md#atomic-test-1`);
  });

  it('shows progress on a terminal (util-linux `script` gives it a pty)', async () => {
    const dir = join(tempDir(), 'data');
    const cmd = [process.execPath, join(REPO, 'dist', 'cli', 'main.js'), 'sync', '--dir', dir, '--mirror', server.url, '--source', 'atomic-red-team']
      .map((a) => `'${a}'`).join(' ');
    const env = { ...process.env };
    delete env.CI;
    const out = await new Promise<string>((resolve) => {
      const child = spawn('script', ['-qec', cmd, '/dev/null'], { env });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.on('close', () => resolve(text));
    });
    expect(out).toContain('\x1b[2K'); // the progress line is repainted in place
    expect(out).toMatch(/atomic-red-team/);
  });
});
