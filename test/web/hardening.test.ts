/**
 * `purplebook serve` against a hostile client (issue 20): uploads built to stall a YAML parser,
 * requests that ask for giant reports, bodies that never finish, a foreign Host header, and a
 * rules folder re-read on a rebuild. Each test fails on a server without the matching limit.
 */
import type { FastifyInstance } from 'fastify';
import { mkdirSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type ServerOptions } from '../../src/server/app.js';
import { defaultAllowedHosts, hostAllowed, hostMatcher, hostOf } from '../../src/server/hosts.js';
import { DEFAULT_SERVER_LIMITS } from '../../src/server/limits.js';
import { ServerRules, withoutServerPaths } from '../../src/server/rules.js';
import { cli, fixtureDir } from '../helpers.js';
import { hostileKb } from './fixture.js';

type Json = Record<string, unknown>;

const sigma = (title: string, tags: string[], selection = '    program: sshd\n') => `title: ${title}
logsource:
  product: linux
detection:
  selection:
${selection}  condition: selection
tags:
${tags.map((t) => `  - ${t}`).join('\n')}
`;

/** A Sigma rule whose one mapping holds distinct keys up to ~`bytes`: the shape the YAML library's unique-key check is quadratic in. */
function keysHeavyRule(bytes: number, salt: string): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `    k${salt}${i}: v\n`;
    lines.push(line);
    size += line.length;
  }
  return sigma(`keys ${salt}`, ['attack.t1021.004'], lines.join(''));
}

const SSH_RULE = { name: 'ssh.yml', content: sigma('SSH brute force', ['attack.t1021.004']) };

let servers: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function serve(opts: ServerOptions): Promise<{ app: FastifyInstance; base: string; port: number }> {
  const app = createServer(opts);
  servers.push(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  return { app, base: `http://127.0.0.1:${port}`, port };
}

const postJson = (base: string, path: string, body: unknown) => fetch(`${base}${path}`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
});

/**
 * A POST whose answer is read even when the server closes the connection before the whole body was
 * sent (as it does for a large upload it refuses unread): the write then fails, the answer stands.
 */
function postRaw(port: number, path: string, body: string): Promise<{ status: number; retryAfter?: string; body: Json }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'], body: JSON.parse(text) as Json }));
    });
    let answered = false;
    req.on('response', () => {
      answered = true;
    });
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    req.end(body);
  });
}

describe('uploads are parsed off the event loop, within a time budget', () => {
  it('a keys-heavy upload is refused with a 422 naming parseBudgetMs, and /healthz is answered while it is read', async () => {
    const fx = await hostileKb();
    const { base } = await serve({ dbPath: fx.dbPath, limits: { parseBudgetMs: 500, maxBodyBytes: 12 * 1024 * 1024 } });
    // Sixteen files of ~500 KB, each under the per-file limit: over a second of parsing for the worker even with
    // js-yaml's linear key check (eight took ~0.6 s on an idle core), minutes with a quadratic one.
    const files = 'abcdefghijklmnop'.split('').map((salt) => ({ name: `${salt}.yml`, content: keysHeavyRule(500_000, salt) }));
    const upload = postJson(base, '/api/coverage', { rules: files }).then(async (r) => ({ what: 'upload', status: r.status, body: await r.json() as Json }));
    const health = fetch(`${base}/healthz`).then((r) => ({ what: 'healthz', status: r.status, body: {} }));
    const first = await Promise.race([upload, health]);
    expect(first.what).toBe('healthz');
    expect(first.status).toBe(200);
    const up = await upload;
    expect(up.status).toBe(422);
    expect(String(up.body.message)).toMatch(/took longer than 500 ms \(parseBudgetMs\)/);
    // The worker that overran was replaced: the next upload is read normally.
    const next = await postJson(base, '/api/coverage', { rules: [SSH_RULE] });
    expect(next.status).toBe(200);
    expect(((await next.json()) as { rules: { total: number } }).rules.total).toBe(1);
  });

  it('a file over maxUploadFileBytes is skipped with a warning, the others are read', async () => {
    const fx = await hostileKb();
    const { base } = await serve({ dbPath: fx.dbPath, limits: { maxUploadFileBytes: 64 * 1024 } });
    const r = await postJson(base, '/api/coverage', { rules: [SSH_RULE, { name: 'big.yml', content: keysHeavyRule(100_000, 'x') }] });
    expect(r.status).toBe(200);
    const report = await r.json() as { rules: { total: number; warnings: { file: string; reason: string }[] } };
    expect(report.rules.total).toBe(1);
    expect(report.rules.warnings).toEqual([{ file: 'big.yml', reason: expect.stringMatching(/over the 65536-byte limit/) }]);
  });

  it('a full queue is a 503 with Retry-After', async () => {
    const fx = await hostileKb();
    const { port } = await serve({ dbPath: fx.dbPath, limits: { parseThreads: 1, maxQueuedParses: 1, parseBudgetMs: 60_000 } });
    const big = { rules: [{ name: 'a.yml', content: keysHeavyRule(500_000, 'q') }, { name: 'b.yml', content: keysHeavyRule(500_000, 'r') }] };
    // Four at once, each a second or more of parsing: one thread and one place in the queue take two of them.
    const answers = await Promise.all([1, 2, 3, 4].map(() => postRaw(port, '/api/coverage', JSON.stringify(big))));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(2);
    const refused = answers.filter((a) => a.status === 503);
    expect(refused).toHaveLength(2);
    for (const a of refused) {
      expect(a.retryAfter).toBe('5');
      expect(a.body.message).toMatch(/^too many rule uploads at once: .*; try again shortly$/);
    }
    // Every admission was given back: the next large upload is read.
    expect((await postRaw(port, '/api/coverage', JSON.stringify(big))).status).toBe(200);
  });
});

describe('no request may ask for an unbounded response', () => {
  /** `n` rules, each mapped to every technique of the fixture, with long names and titles. */
  const manyRules = (n: number) => Array.from({ length: n }, (_, i) => ({
    name: `${'d'.repeat(400)}/rule-${i}.yml`,
    content: sigma(`${'T'.repeat(250)} ${i}`, ['attack.t1021', 'attack.t1021.004', 'attack.t1059', 'attack.t1059.001']),
  }));

  it('more rule→technique references than maxRuleReferences: 422 naming the limit', async () => {
    const fx = await hostileKb();
    const { base } = await serve({ dbPath: fx.dbPath, limits: { maxRuleReferences: 500 } });
    const r = await postJson(base, '/api/coverage', { rules: manyRules(200) });
    expect(r.status).toBe(422);
    expect(((await r.json()) as Json).message).toBe('the rules map to 800 techniques in all (counting each rule\'s ids), over the limit of 500 (maxRuleReferences)');
  });

  it('a report that would be larger than maxResponseBytes: 422 naming the limit, for the plan too', async () => {
    const fx = await hostileKb();
    const { base } = await serve({ dbPath: fx.dbPath, limits: { maxResponseBytes: 200_000 } });
    for (const [path, extra] of [['/api/coverage', {}], ['/api/plan', { techniques: ['T1021.004'] }]] as const) {
      const r = await postJson(base, path, { rules: manyRules(100), ...extra });
      expect(r.status, path).toBe(422);
      expect(((await r.json()) as Json).message, path).toMatch(/over the 200000-byte response limit \(maxResponseBytes\)/);
    }
    // The same rules, fewer of them, are answered.
    expect((await postJson(base, '/api/coverage', { rules: manyRules(10) })).status).toBe(200);
  });

  it('a rule with more ATT&CK ids than maxTechniquesPerRule keeps the first ones, with a warning', async () => {
    const fx = await hostileKb();
    const { base } = await serve({ dbPath: fx.dbPath });
    const tags = Array.from({ length: 150 }, (_, i) => `attack.t${2000 + i}`);
    const r = await postJson(base, '/api/coverage', { rules: [{ name: 'wide.yml', content: sigma('Wide', tags) }] });
    expect(r.status).toBe(200);
    const report = await r.json() as { rules: { unknownIds: unknown[]; warnings: { reason: string }[] } };
    expect(report.rules.unknownIds).toHaveLength(DEFAULT_SERVER_LIMITS.maxTechniquesPerRule);
    expect(report.rules.warnings.map((w) => w.reason)).toEqual([`the document: 150 ATT&CK ids, over the limit of ${DEFAULT_SERVER_LIMITS.maxTechniquesPerRule}: the first ${DEFAULT_SERVER_LIMITS.maxTechniquesPerRule} kept`]);
  });
});

/** A raw connection that sends `head` and then nothing more; resolves with what the server said when it closed. */
function stalledRequest(port: number, head: string, onContinue?: () => void): { socket: Socket; closed: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  let said = '';
  const closed = new Promise<string>((resolve) => {
    socket.on('data', (d) => {
      said += d.toString('latin1');
      if (onContinue && said.includes('100 Continue')) onContinue();
    });
    socket.on('close', () => resolve(said));
    socket.on('error', () => {});
  });
  socket.write(head);
  return { socket, closed };
}

const SLOW_HEAD = 'POST /api/coverage HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n';

describe('slow requests', () => {
  it('a body that never completes is answered 408 and its connection closed after requestTimeoutMs', async () => {
    const fx = await hostileKb();
    const { port } = await serve({ dbPath: fx.dbPath, limits: { requestTimeoutMs: 1000 } });
    const { closed } = stalledRequest(port, `${SLOW_HEAD}\r\n{"rules": [`);
    const outcome = await Promise.race([closed, new Promise<string>((r) => setTimeout(() => r('still open after 20 s'), 20_000))]);
    expect(outcome).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('a request still sending its body holds no knowledge base: a rebuild closes the old file at once', async () => {
    const fx = await hostileKb();
    const { base, port } = await serve({ dbPath: fx.dbPath, checkIntervalMs: 0 });
    const deletedDbFiles = () => readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        const target = readlinkSync(`/proc/self/fd/${fd}`);
        return target.startsWith(fx.dbPath) && target.endsWith('(deleted)') ? [target] : [];
      } catch {
        return [];
      }
    });
    // `Expect: 100-continue`: the server says "100 Continue" once it has taken the request in.
    let headersTaken!: () => void;
    const taken = new Promise<void>((r) => {
      headersTaken = r;
    });
    const { socket } = stalledRequest(port, `${SLOW_HEAD}Expect: 100-continue\r\n\r\n`, () => headersTaken());
    await taken;
    socket.write('{"rules": [');
    await fx.rebuild('SSH renamed');
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    // The page now shows the new build...
    expect(await (await fetch(`${base}/api/techniques/T1021.004`)).json()).toMatchObject({ name: 'SSH renamed' });
    // ...and the replaced file is closed although the slow request is still open.
    expect(socket.destroyed).toBe(false);
    expect(deletedDbFiles()).toEqual([]);
    socket.destroy();
  });
});

describe('Host header (DNS rebinding)', () => {
  it('answers the localhost names and the allowed hosts, refuses any other with 421', async () => {
    const fx = await hostileKb();
    const app = createServer({ dbPath: fx.dbPath, allowedHosts: ['purplebook.example.org', '10.0.0.5'] });
    servers.push(app);
    const status = async (host: string) => (await app.inject({ url: '/healthz', headers: { host } })).statusCode;
    for (const host of ['localhost', 'localhost:8080', '127.0.0.1:80', '[::1]:8080', 'LOCALHOST.', 'purplebook.example.org:443', '10.0.0.5']) expect(await status(host), host).toBe(200);
    for (const host of ['evil.example', 'evil.example:8080', 'localhost.evil.example', '127.0.0.1.nip.io', '10.0.0.6', '[::2]']) expect(await status(host), host).toBe(421);
    const r = await app.inject({ url: '/', headers: { host: 'evil.example', accept: 'text/html' } });
    expect(r.json()).toMatchObject({ statusCode: 421, message: expect.stringContaining('--allowed-host "evil.example"') });
  });

  it('`serve --limit` takes known limits only, as positive whole numbers (else exit 2)', async () => {
    const fx = await hostileKb();
    for (const bad of ['nope=1', 'maxBodyBytes=abc', 'maxBodyBytes=0', 'maxBodyBytes']) {
      const r = cli(['serve', '--port', '0', '--db', fx.dbPath, '--limit', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).toMatch(/--limit/);
    }
  });

  it('allows every host with *, and knows host names as browsers send them', () => {
    expect(hostAllowed('anything.example', hostMatcher(['*']))).toBe(true);
    expect(hostOf('[::1]:8080')).toBe('::1');
    expect(hostOf('Example.COM.:80')).toBe('example.com');
    expect(hostOf('::1')).toBeUndefined();
    expect(defaultAllowedHosts('127.0.0.1')).toEqual(['localhost', '127.0.0.1', '::1']);
    expect(defaultAllowedHosts('192.168.1.10')).toContain('192.168.1.10');
    expect(defaultAllowedHosts('0.0.0.0')).toContain('127.0.0.1');
  });
});

describe('server paths stay on the server', () => {
  it('rules from --rules folders and files are named relative to them, in every report', async () => {
    const fx = await hostileKb();
    const root = fixtureDir({ 'srvrules/a/secret.yml': SSH_RULE.content, 'other/a/secret.yml': SSH_RULE.content, 'single/one.yml': SSH_RULE.content });
    const paths = [join(root, 'srvrules'), join(root, 'other'), join(root, 'single', 'one.yml')];
    const { base } = await serve({ dbPath: fx.dbPath, rules: paths });
    const r = await postJson(base, '/api/coverage', {});
    const text = await r.text();
    expect(r.status).toBe(200);
    expect(text).not.toContain(root);
    const report = JSON.parse(text) as { techniques: { id: string; ownRules: { file: string; key: string }[] }[] };
    expect(report.techniques.find((t) => t.id === 'T1021.004')!.ownRules.map((x) => x.file).sort()).toEqual(['a/secret.yml', 'one.yml', 'other/a/secret.yml']);
  });

  it('paths in read errors are shortened the same way', () => {
    const set = withoutServerPaths({
      files: 2, rules: [],
      warnings: [
        { file: '/srv/srvrules/a/secret.yml', reason: "cannot read: EACCES: permission denied, open '/srv/srvrules/a/secret.yml'" },
        { file: 'b.yml', reason: "cannot read: ELOOP: too many symbolic links, open '/etc/elsewhere/b.yml'" },
      ],
    }, ['/srv/srvrules']);
    expect(set.warnings).toEqual([
      { file: 'srvrules/a/secret.yml', reason: "cannot read: EACCES: permission denied, open 'srvrules/a/secret.yml'" },
      { file: 'b.yml', reason: "cannot read: ELOOP: too many symbolic links, open 'b.yml'" },
    ]);
  });
});

describe('the rules folder is re-read off the event loop', () => {
  it('reload returns at once and keeps serving the rules read before until the new set is complete', async () => {
    const dir = fixtureDir({ 'ssh.yml': SSH_RULE.content });
    const rules = new ServerRules([dir], DEFAULT_SERVER_LIMITS);
    try {
      expect(rules.summary).toMatchObject({ rules: 1, files: 1 });
      mkdirSync(join(dir, 'more'));
      for (let i = 0; i < 50; i++) writeFileSync(join(dir, 'more', `r${i}.yml`), sigma(`Rule ${i}`, ['attack.t1059']));
      rules.reload();
      rules.reload();
      // Nothing was read on this thread yet: the previous set is still the one served.
      expect(rules.summary).toMatchObject({ rules: 1, files: 1 });
      await rules.settled();
      expect(rules.summary).toMatchObject({ rules: 51, files: 51 });
      expect(rules.current!.rules.map((r) => r.file)).toContain('more/r7.yml');
    } finally {
      await rules.close();
    }
  });

  it('a folder that disappeared keeps the previous set and reports the error', async () => {
    const dir = fixtureDir({ 'ssh.yml': SSH_RULE.content });
    const errors: string[] = [];
    const rules = new ServerRules([join(dir, '.')], DEFAULT_SERVER_LIMITS, (e) => errors.push(e.message));
    try {
      rmSync(dir, { recursive: true });
      rules.reload();
      await rules.settled();
      expect(rules.summary).toMatchObject({ rules: 1 });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/no such file or folder/);
    } finally {
      await rules.close();
    }
  });
});
