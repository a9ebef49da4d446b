import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildKnowledgeBase } from '../../src/kb/build.js';
import { KnowledgeBase } from '../../src/kb/open.js';
import { DATA_DIR, REPO, cli, fixtureDir, tempDir } from '../helpers.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const ics = readFileSync(join(DATA_DIR, 'attack', 'ics-attack.json'));

describe('atomic knowledge-base writes', () => {
  it('a build that fails before the rename leaves the previous knowledge base intact and no temp file', async () => {
    const dir = tempDir();
    const db = join(dir, 'kb.db');
    const data = fixtureDir({ 'attack/ics-attack.json': ics });
    await buildKnowledgeBase({ dataDir: data, dbPath: db, quiet: true, sources: [] });
    const before = sha(db);
    await expect(buildKnowledgeBase({
      dataDir: DATA_DIR, dbPath: db, quiet: true, sources: [],
      beforeRename: () => { throw new Error('simulated crash'); },
    })).rejects.toThrow('simulated crash');
    expect(sha(db)).toBe(before);
    // The parse cache beside it is written before the knowledge base; it stays whole.
    expect(readdirSync(dir).sort()).toEqual(['kb.db', 'kb.db.parse-cache']);
  });

  it('SIGKILL in the middle of a real build leaves the previous knowledge base readable, and the next build succeeds', async () => {
    const dir = tempDir();
    const db = join(dir, 'kb.db');
    const data = fixtureDir({ 'attack/ics-attack.json': ics });
    expect(cli(['build', '--data', data, '--db', db, '--quiet']).code).toBe(0);
    const before = sha(db);
    const child = spawn(process.execPath, [join(REPO, 'dist', 'cli', 'main.js'), 'build', '--data', DATA_DIR, '--db', db, '--quiet'], { stdio: 'ignore' });
    // Kill it as soon as it starts writing its temporary file.
    const killedWhileWriting = await new Promise<boolean>((resolve) => {
      const timer = setInterval(() => {
        if (readdirSync(dir).some((f) => f.includes('.tmp-'))) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve(true);
        }
      }, 2);
      child.on('exit', () => {
        clearInterval(timer);
        resolve(false);
      });
    });
    await new Promise((r) => (child.exitCode !== null || child.signalCode ? r(null) : child.on('exit', r)));
    expect(killedWhileWriting).toBe(true);
    expect(sha(db)).toBe(before);
    const kb = KnowledgeBase.open(db);
    expect(kb.technique('T0800')?.domain).toBe('ics-attack');
    kb.close();
    expect(cli(['build', '--data', data, '--db', db, '--quiet']).code).toBe(0);
    expect(existsSync(db)).toBe(true);
  });
});
