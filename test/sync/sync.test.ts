import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { basesFor, parseSyncConfig, SyncInputError, type SyncLimits } from '../../src/sync/config.js';
import { readLock } from '../../src/sync/lock.js';
import type { Manifest } from '../../src/sync/manifest.js';
import type { SyncSource } from '../../src/sync/plan.js';
import { dataStatus, formatStatus } from '../../src/sync/status.js';
import { syncSources, type SyncOptions } from '../../src/sync/sync.js';
import { DATA_DIR, tempDir } from '../helpers.js';
import { githubArchive, startServer, type Route, type TarItem, type TestServer } from './fixtures.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const C1 = '1'.repeat(40);
const C2 = '2'.repeat(40);
const SIGMA_RULES = [
  'rules/windows/process_creation/proc_creation_win_7zip_exfil_dmp_files.yml',
  'rules/windows/process_creation/proc_creation_win_7zip_password_compression.yml',
  'rules-threat-hunting/windows/process_creation/',
];

const SOURCES: SyncSource[] = [
  { name: 'sigma', folder: 'sigma', upstream: { repo: 'SigmaHQ/sigma', defaultRef: 'master', paths: ['rules/**/*.yml'] }, license: 'DRL 1.1' },
  { name: 'atomic-red-team', folder: 'atomic-red-team', upstream: { repo: 'redcanaryco/atomic-red-team', defaultRef: 'master', paths: ['atomics/T*/T*.yaml'] } },
  { name: 'car', folder: 'car', upstream: { repo: 'mitre-attack/car', defaultRef: 'master', paths: ['analytics/*.yaml'] } },
  { name: 'car-unit-tests', folder: 'car', upstream: { repo: 'mitre-attack/car', defaultRef: 'master', paths: ['analytics/CAR-2013-*.yaml'] } },
  { name: 'd3fend', folder: 'd3fend', upstream: { repo: 'd3fend/d3fend-ontology', defaultRef: 'develop', paths: ['src/ontology/d3fend-protege.ttl'] } },
  { name: 'attack-mitigations', folder: 'attack', upstream: null },
  { name: 'handmade', folder: 'handmade', upstream: null },
];

function real(path: string): Buffer {
  return readFileSync(join(DATA_DIR, path));
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

// Upstream repositories as they would be on GitHub, built from the shared snapshot.
function sigmaRepo(extra: Record<string, string> = {}): Record<string, string | Buffer> {
  return {
    LICENSE: real('sigma/LICENSE'),
    'README.md': '# Sigma',
    [SIGMA_RULES[0]!]: real(`sigma/${SIGMA_RULES[0]}`),
    [SIGMA_RULES[1]!]: real(`sigma/${SIGMA_RULES[1]}`),
    'deprecated/windows/old_rule.yml': 'title: deprecated\n',
    'tests/test_rules.py': 'print("not data")\n',
    ...extra,
  };
}

const ATOMIC_REPO = {
  'LICENSE.txt': real('atomic-red-team/LICENSE.txt'),
  'atomics/T1021.004/T1021.004.yaml': real('atomic-red-team/atomics/T1021.004/T1021.004.yaml'),
  'atomics/T1059.001/T1059.001.yaml': real('atomic-red-team/atomics/T1059.001/T1059.001.yaml'),
  'atomics/T1059.001/src/payload.ps1': 'Write-Host hi\n',
  'atomics/Indexes/Indexes-CSV/index.csv': 'a,b\n',
};

const CAR_REPO = {
  'LICENSE.txt': real('car/LICENSE.txt'),
  'analytics/CAR-2013-01-002.yaml': real('car/analytics/CAR-2013-01-002.yaml'),
  'analytics/CAR-2013-01-003.yaml': real('car/analytics/CAR-2013-01-003.yaml'),
  'docs/index.md': 'docs\n',
};

const D3FEND_REPO = { 'LICENSE.md': real('d3fend/LICENSE.md'), 'src/ontology/d3fend-protege.ttl': '@prefix d3f: <http://d3fend.mitre.org/ontologies/d3fend.owl#> .\n', 'src/ontology/other.ttl': '' };

function bundle(version: string | undefined, id: string): Buffer {
  const objects: unknown[] = [{ type: 'attack-pattern', id: `attack-pattern--${id}`, name: 'x', external_references: [{ source_name: 'mitre-attack', external_id: 'T1021.004' }] }];
  if (version) objects.unshift({ type: 'x-mitre-collection', id: `x-mitre-collection--${id}`, x_mitre_version: version });
  return Buffer.from(JSON.stringify({ type: 'bundle', id: `bundle--${id}`, objects }));
}

/**
 * The real ICS bundle without its x-mitre-collection object: a bundle that states no release
 * (as mitre/cti's did), so the enterprise and mobile bundles published beside it decide it.
 */
const ICS = (() => {
  const b = JSON.parse(real('attack/ics-attack.json').toString('utf8')) as { objects: { type: string }[] };
  b.objects = b.objects.filter((o) => o.type !== 'x-mitre-collection');
  return Buffer.from(JSON.stringify(b));
})();

let server: TestServer;

/** Serve a repository at a branch and at its commit, the way GitHub names both archives. */
function publish(repo: string, ref: string, commit: string, files: Record<string, string | Buffer>, extra: TarItem[] = []): void {
  const name = repo.split('/')[1]!;
  server.routes.set(`/${repo}/archive/${ref}.tar.gz`, githubArchive(name, ref, files, commit, extra));
  server.routes.set(`/${repo}/archive/${commit}.tar.gz`, githubArchive(name, commit, files, commit, extra));
}

function publishAttack(version: string, files = { 'enterprise-attack': bundle(version, 'e'), 'mobile-attack': bundle(version, 'm'), 'ics-attack': ICS }): void {
  for (const [domain, body] of Object.entries(files)) {
    server.routes.set(`/raw/mitre-attack/attack-stix-data/master/${domain}/${domain}.json`, body);
    server.routes.set(`/raw/mitre-attack/attack-stix-data/master/${domain}/${domain}-${version}.json`, body);
  }
}

function publishAll(): void {
  server.routes.clear();
  publish('SigmaHQ/sigma', 'master', C1, sigmaRepo());
  publish('redcanaryco/atomic-red-team', 'master', C1, ATOMIC_REPO);
  publish('mitre-attack/car', 'master', C1, CAR_REPO);
  publish('d3fend/d3fend-ontology', 'develop', C1, D3FEND_REPO);
  publishAttack('18.1');
}

function opts(dir: string, more: Partial<SyncOptions> = {}): SyncOptions {
  return { dir, sources: SOURCES, mirror: server.url, now: NOW, limits: { stallTimeoutMs: 2000 }, ...more };
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8')) as Manifest;
}

/** Every file and folder under root with its type and content hash, for byte-identical checks. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      const st = lstatSync(full);
      const rel = relative(root, full);
      if (st.isDirectory()) {
        out[rel] = 'dir';
        walk(full);
      } else out[rel] = st.isFile() ? sha256(readFileSync(full)) : 'special';
    }
  };
  walk(root);
  return out;
}

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  publishAll();
  server.requests.length = 0;
});

describe('sync', () => {
  it('syncs every source, writes the manifest and the lock, and replays the lock', async () => {
    const root = tempDir();
    const dir = join(root, 'data');
    const report = await syncSources(opts(dir));
    expect(report.failed).toBe(0);
    expect(report.results.map((r) => [r.folder, r.status])).toEqual([
      ['attack', 'synced'], ['atomic-red-team', 'synced'], ['car', 'synced'], ['d3fend', 'synced'], ['sigma', 'synced'],
    ]);
    expect(report.skipped).toEqual([{ name: 'handmade', reason: 'no upstream repository to sync' }]);

    // Only the wanted paths (plus the root license), in the upstream layout, byte for byte.
    expect(snapshot(join(dir, 'sigma'))).toEqual({
      LICENSE: sha256(real('sigma/LICENSE')),
      rules: 'dir', 'rules/windows': 'dir', 'rules/windows/process_creation': 'dir',
      [SIGMA_RULES[0]!]: sha256(real(`sigma/${SIGMA_RULES[0]}`)),
      [SIGMA_RULES[1]!]: sha256(real(`sigma/${SIGMA_RULES[1]}`)),
    });
    expect(readdirSync(join(dir, 'atomic-red-team', 'atomics')).sort()).toEqual(['T1021.004', 'T1059.001']);
    expect(readdirSync(join(dir, 'atomic-red-team', 'atomics', 'T1059.001'))).toEqual(['T1059.001.yaml']);
    expect(readdirSync(join(dir, 'd3fend')).sort()).toEqual(['LICENSE.md', 'd3fend-protege.ttl']); // src/ontology/ stripped
    expect(readFileSync(join(dir, 'attack', 'ics-attack.json')).equals(ICS)).toBe(true);
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);

    const manifest = readManifest(dir);
    expect(manifest.sources.map((e) => e.folder)).toEqual(['attack/', 'atomic-red-team/', 'car/', 'd3fend/', 'sigma/']);
    const sigma = manifest.sources.find((e) => e.folder === 'sigma/')!;
    const sigmaArchive = server.routes.get(`/SigmaHQ/sigma/archive/${C1}.tar.gz`) as Buffer;
    expect(sigma).toMatchObject({
      repository: 'SigmaHQ/sigma', branch: 'master', ref: C1, commit: C1, commit_date: '2025-08-05T13:20:00Z', accessed: '2026-12-01',
      license: 'DRL 1.1', used_by: ['sigma'], sha256: sha256(sigmaArchive), file_count: 3,
      bytes: real('sigma/LICENSE').length + real(`sigma/${SIGMA_RULES[0]}`).length + real(`sigma/${SIGMA_RULES[1]}`).length,
      files: ['sigma/LICENSE', `sigma/${SIGMA_RULES[0]}`, `sigma/${SIGMA_RULES[1]}`],
    });
    const car = manifest.sources.find((e) => e.folder === 'car/')!;
    expect(car.used_by).toEqual(['car', 'car-unit-tests']);
    expect(car.file_count).toBe(3);
    const attack = manifest.sources.find((e) => e.folder === 'attack/')!;
    expect(attack).toMatchObject({
      repository: 'mitre-attack/attack-stix-data', version: '18.1', file_count: 3, used_by: ['attack', 'attack-mitigations'],
      files: ['attack/enterprise-attack.json', 'attack/ics-attack.json', 'attack/mobile-attack.json'],
    });
    expect(manifest.total_files).toBe(manifest.sources.reduce((n, e) => n + e.file_count, 0));

    // The lock pins commits and checksums, beside the data folder.
    expect(report.lockFile).toBe(join(root, 'purplebook.lock.json'));
    const lock = readLock(join(root, 'purplebook.lock.json'));
    expect(lock.sources.sigma).toEqual({ repository: 'SigmaHQ/sigma', ref: 'master', commit: C1, sha256: sha256(sigmaArchive) });
    expect(lock.sources.attack).toMatchObject({ version: '18.1', files: { 'ics-attack.json': sha256(ICS) } });
    // The branch was only probed; the commit's archive was downloaded.
    expect(server.requests.filter((p) => p.startsWith('/SigmaHQ/'))).toEqual(['/SigmaHQ/sigma/archive/master.tar.gz', `/SigmaHQ/sigma/archive/${C1}.tar.gz`]);

    // Upstream moves on; a second sync with the lock fetches the pinned commits and reproduces the manifest.
    publish('SigmaHQ/sigma', 'master', C2, sigmaRepo({ 'rules/new_rule.yml': 'title: new\n' }));
    publishAttack('19.0', { 'enterprise-attack': bundle('19.0', 'e2'), 'mobile-attack': bundle('19.0', 'm2'), 'ics-attack': ICS });
    server.requests.length = 0;
    const again = await syncSources(opts(dir));
    expect(again.failed).toBe(0);
    expect(again.results.every((r) => r.pinned)).toBe(true);
    expect(readManifest(dir)).toEqual(manifest);
    expect(server.requests).not.toContain('/SigmaHQ/sigma/archive/master.tar.gz');
    expect(server.requests).toContain('/raw/mitre-attack/attack-stix-data/master/enterprise-attack/enterprise-attack-18.1.json');
    expect(existsSync(join(dir, 'sigma', 'rules', 'new_rule.yml'))).toBe(false);

    // --update moves the pins.
    const updated = await syncSources(opts(dir, { update: true, select: ['sigma', 'attack'] }));
    expect(updated.failed).toBe(0);
    expect(readLock(report.lockFile!).sources.sigma!.commit).toBe(C2);
    expect(readLock(report.lockFile!).sources.attack!.version).toBe('19.0');
    expect(readLock(report.lockFile!).sources.car!.commit).toBe(C1);
    expect(existsSync(join(dir, 'sigma', 'rules', 'new_rule.yml'))).toBe(true);
    const m2 = readManifest(dir);
    expect(m2.sources.find((e) => e.folder === 'sigma/')!.commit).toBe(C2);
    expect(m2.sources.find((e) => e.folder === 'attack/')!.version).toBe('19.0');
    expect(m2.sources.find((e) => e.folder === 'car/')).toEqual(car);
  });

  it('takes --ref and --attack-version, which move those pins', async () => {
    const dir = join(tempDir(), 'data');
    await syncSources(opts(dir, { select: ['sigma'] }));
    const tagCommit = 'f'.repeat(40);
    publish('SigmaHQ/sigma', 'r2026-10-01', tagCommit, sigmaRepo({ 'rules/tagged.yml': 'title: t\n' }));
    publishAttack('17.1');
    const r = await syncSources(opts(dir, { select: ['sigma', 'attack-mitigations'], refs: { sigma: 'r2026-10-01' }, attackVersion: '17.1' }));
    expect(r.failed).toBe(0);
    const lock = readLock(r.lockFile!);
    expect(lock.sources.sigma).toMatchObject({ ref: 'r2026-10-01', commit: tagCommit });
    expect(lock.sources.attack!.version).toBe('17.1');
    expect(server.requests).toContain('/raw/mitre-attack/attack-stix-data/master/ics-attack/ics-attack-17.1.json');
    expect(readManifest(dir).sources.find((e) => e.folder === 'sigma/')!.branch).toBe('r2026-10-01');
  });

  it('rejects bad input before downloading anything', async () => {
    const dir = join(tempDir(), 'data');
    await expect(syncSources(opts(dir, { select: ['nope'] }))).rejects.toThrow(/unknown source "nope"/);
    await expect(syncSources(opts(dir, { select: ['handmade'] }))).rejects.toThrow(/cannot be synced/);
    await expect(syncSources(opts(dir, { refs: { sigma: '../../x' } }))).rejects.toThrow(SyncInputError);
    await expect(syncSources(opts(dir, { attackVersion: 'latest!' }))).rejects.toThrow(/not an ATT&CK version/);
    await expect(syncSources(opts(dir, { sources: [...SOURCES, { name: 'x', folder: 'sigma', upstream: { repo: 'a/b', defaultRef: 'main', paths: ['*'] } }] })))
      .rejects.toThrow(/one repository per folder/);
    expect(server.requests).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  it('offline: reports which sources are present and how old, downloads nothing', async () => {
    const dir = join(tempDir(), 'data');
    await syncSources(opts(dir, { select: ['sigma'] }));
    server.requests.length = 0;
    const later = new Date('2027-01-10T08:00:00Z');
    const r = await syncSources(opts(dir, { offline: true, now: later }));
    expect(server.requests).toEqual([]);
    expect(r.failed).toBe(0);
    const sigma = r.results.find((x) => x.folder === 'sigma')!;
    expect(sigma).toMatchObject({ status: 'present', accessed: '2026-12-01', ageDays: 40 });
    expect(sigma.message).toBe('sigma: present, copy from 2026-12-01 (40 days old)');
    expect(r.results.find((x) => x.folder === 'car')!.status).toBe('missing');
  });
});

describe('status', () => {
  it('shows commit, accessed date and age, and warns past 30 days', async () => {
    const dir = join(tempDir(), 'data');
    await syncSources(opts(dir, { select: ['sigma', 'car'] }));
    const fresh = dataStatus(dir, new Date('2026-12-20T00:00:00Z'));
    expect(fresh.rows.map((r) => [r.folder, r.commit, r.accessed, r.ageDays, r.stale])).toEqual([
      ['car', C1, '2026-12-01', 19, false], ['sigma', C1, '2026-12-01', 19, false],
    ]);
    expect(formatStatus(fresh)).not.toMatch(/warning/);
    const old = dataStatus(dir, new Date('2027-01-05T00:00:00Z'));
    expect(old.rows.every((r) => r.stale && r.ageDays === 35)).toBe(true);
    expect(formatStatus(old)).toMatch(/warning: sigma is 35 days old \(older than 30 days\)/);
    expect(dataStatus(join(dir, 'missing')).exists).toBe(false);
  });
});

describe('configuration', () => {
  it('validates the config file and picks base URLs', () => {
    expect(() => parseSyncConfig({ mirorr: 'x' }, 'c.json')).toThrow(/unknown setting "mirorr"/);
    expect(() => parseSyncConfig({ mirror: 'ftp://x' }, 'c.json')).toThrow(/http/);
    expect(() => parseSyncConfig({ limits: { maxFiles: -1 } }, 'c.json')).toThrow(/positive/);
    expect(() => parseSyncConfig({ limits: { maxFile: 1 } }, 'c.json')).toThrow(/unknown limit/);
    // One file for both commands: the build's limits live under "build" and are the build's to check.
    expect(parseSyncConfig({ build: { limits: { maxDepth: 8 } } }, 'c.json').limits).toBeUndefined();
    const cfg = parseSyncConfig({ mirror: 'https://mirror.example/gh/', limits: { maxFiles: 10 }, sources: { sigma: { mirror: 'http://127.0.0.1:9', ref: 'main' } } });
    expect(cfg.limits).toEqual({ maxFiles: 10 });
    const saved = process.env.PURPLEBOOK_MIRROR;
    delete process.env.PURPLEBOOK_MIRROR;
    try {
      expect(basesFor(['car'], {})).toEqual({ archive: 'https://github.com', raw: 'https://raw.githubusercontent.com' });
      expect(basesFor(['car'], cfg)).toEqual({ archive: 'https://mirror.example/gh', raw: 'https://mirror.example/gh/raw' });
      expect(basesFor(['sigma'], cfg).archive).toBe('http://127.0.0.1:9');
      expect(basesFor(['sigma'], cfg, 'https://cli.example').archive).toBe('https://cli.example');
      process.env.PURPLEBOOK_MIRROR = 'https://env.example';
      expect(basesFor(['sigma'], cfg).archive).toBe('https://env.example');
    } finally {
      if (saved === undefined) delete process.env.PURPLEBOOK_MIRROR;
      else process.env.PURPLEBOOK_MIRROR = saved;
    }
  });

  it('uses the config file\'s ref and limits', async () => {
    const dir = join(tempDir(), 'data');
    publish('SigmaHQ/sigma', 'dev', C2, sigmaRepo({ 'rules/dev.yml': 'title: d\n' }));
    const config = parseSyncConfig({ sources: { sigma: { ref: 'dev' } }, limits: { maxFiles: 2 } });
    const r = await syncSources(opts(dir, { select: ['sigma'], config }));
    expect(r.results[0]!.message).toMatch(/more than 2 files/);
    const ok = await syncSources(opts(dir, { select: ['sigma'], config: { sources: config.sources } }));
    expect(ok.failed).toBe(0);
    expect(readLock(ok.lockFile!).sources.sigma).toMatchObject({ ref: 'dev', commit: C2 });
  });
});

describe('hostile or failing upstreams', () => {
  let root: string;
  let dir: string;
  let before: Record<string, string>;

  beforeEach(async () => {
    root = tempDir();
    dir = join(root, 'data');
    const r = await syncSources(opts(dir, { select: ['sigma', 'attack'] }));
    expect(r.failed).toBe(0);
    before = snapshot(root);
  });

  /** Serve `route` as the sigma archive of ref "evil" and sync it: it must fail and change nothing. */
  async function refuse(route: Route, message: RegExp, limits: Partial<SyncLimits> = {}): Promise<void> {
    server.routes.set('/SigmaHQ/sigma/archive/evil.tar.gz', route);
    const r = await syncSources(opts(dir, { select: ['sigma'], refs: { sigma: 'evil' }, limits: { stallTimeoutMs: 2000, ...limits } }));
    expect(r.failed).toBe(1);
    expect(r.results[0]!.status).toBe('failed');
    expect(r.results[0]!.message).toMatch(message);
    expect(r.results[0]!.message).toMatch(/kept the copy from 2026-12-01/);
    expect(snapshot(root)).toEqual(before);
  }

  const evil = (extra: TarItem[]) => githubArchive('sigma', 'evil', sigmaRepo(), undefined, extra);

  it('refuses path traversal', async () => {
    await refuse(evil([{ name: '{top}/rules/../../../escaped.yml', data: 'pwned' }]), /escapes the target folder/);
    expect(existsSync(join(root, 'escaped.yml'))).toBe(false);
  });

  it('refuses absolute paths', async () => {
    await refuse(evil([{ name: `${root}/abs.yml`, data: 'pwned' }]), /absolute path/);
    expect(existsSync(join(root, 'abs.yml'))).toBe(false);
  });

  it('refuses symbolic links', async () => {
    await refuse(evil([{ name: '{top}/rules/passwd.yml', type: '2', linkname: '/etc/passwd' }]), /symbolic link "rules\/passwd.yml" -> "\/etc\/passwd"/);
  });

  it('refuses hard links', async () => {
    await refuse(evil([{ name: '{top}/rules/passwd.yml', type: '1', linkname: '/etc/passwd' }]), /hard link/);
  });

  it('refuses device files and fifos anywhere in the archive', async () => {
    await refuse(evil([{ name: '{top}/misc/null', type: '3' }]), /device file "sigma-evil\/misc\/null"/);
    await refuse(evil([{ name: '{top}/rules/pipe.yml', type: '6' }]), /fifo/);
  });

  it('refuses archives over the file, byte, unpacked-size and download limits', async () => {
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`rules/r${i}.yml`, 'title: x\n']));
    await refuse(githubArchive('sigma', 'evil', { ...sigmaRepo(), ...many }), /more than 10 files/, { maxFiles: 10 });
    await refuse(githubArchive('sigma', 'evil', { ...sigmaRepo(), 'rules/big.yml': Buffer.alloc(3_000_000) }), /more than 1000000 bytes to extract/, { maxBytes: 1_000_000 });
    // A gzip bomb in a path nobody wants: 64 MiB of zeros packed into ~64 KiB.
    const bomb = githubArchive('sigma', 'evil', { ...sigmaRepo(), 'unwanted/zeros.bin': Buffer.alloc(64 * 1024 * 1024) });
    expect(bomb.length).toBeLessThan(200_000);
    await refuse(bomb, /unpacks to more than 8000000 bytes/, { maxArchiveBytes: 8_000_000 });
    await refuse(evil([]), /larger than the limit of 1000 \(maxDownloadBytes\)/, { maxDownloadBytes: 1000 });
  });

  it('refuses truncated gzip streams and interrupted downloads', async () => {
    const good = evil([]);
    await refuse(good.subarray(0, Math.floor(good.length / 2)), /not a complete gzip stream|truncated/);
    await refuse({ truncate: good, at: Math.floor(good.length / 2) }, /interrupted|truncated|terminated/);
  });

  it('refuses a corrupt tar header', async () => {
    const { gunzipSync, gzipSync } = await import('node:zlib');
    const raw = gunzipSync(evil([]));
    raw[600] = raw[600]! ^ 0xff; // inside the second header's name
    await refuse(gzipSync(raw), /corrupt tar header/);
  });

  it('reports HTTP errors', async () => {
    await refuse({ status: 404 }, /HTTP 404/);
    await refuse({ status: 500 }, /HTTP 500/);
  });

  it('gives up on a stalled server', async () => {
    await refuse({ stall: evil([]) }, /stalled/, { stallTimeoutMs: 300 });
  });

  it('keeps the copy when the network is down', async () => {
    const closed = await startServer();
    await closed.close();
    const r = await syncSources(opts(dir, { select: ['sigma'], mirror: closed.url }));
    expect(r.failed).toBe(1);
    expect(r.results[0]!.message).toMatch(/^sigma: failed: .*ECONNREFUSED.*; kept the copy from 2026-12-01 \(0 days old\)$/);
    expect(snapshot(root)).toEqual(before);
  });

  it('refuses a download whose checksum does not match the lock', async () => {
    server.routes.set(`/SigmaHQ/sigma/archive/${C1}.tar.gz`, githubArchive('sigma', C1, sigmaRepo({ 'rules/backdoor.yml': 'x' }), C1));
    const r = await syncSources(opts(dir, { select: ['sigma'] }));
    expect(r.results[0]!.message).toMatch(/checksum of SigmaHQ\/sigma@1{40} is [0-9a-f]{64}, the lock says/);
    expect(snapshot(root)).toEqual(before);
  });

  it('refuses an archive that is not the commit it was fetched as', async () => {
    const other = '9'.repeat(40);
    server.routes.set(`/SigmaHQ/sigma/archive/${other}.tar.gz`, githubArchive('sigma', other, sigmaRepo(), C2));
    const r = await syncSources(opts(dir, { select: ['sigma'], refs: { sigma: other } }));
    expect(r.results[0]!.message).toMatch(/says it is commit 2{40}/);
    expect(snapshot(root)).toEqual(before);
  });

  it('refuses an archive with none of the wanted files', async () => {
    await refuse(githubArchive('sigma', 'evil', { 'README.md': 'moved' }), /no file of SigmaHQ\/sigma@evil matches rules\/\*\*\/\*\.yml/);
  });

  it('refuses broken or mislabelled ATT&CK bundles and a checksum mismatch', async () => {
    const tryAttack = async (more: Partial<SyncOptions>) => {
      const r = await syncSources(opts(dir, { select: ['attack'], ...more }));
      expect(r.failed).toBe(1);
      expect(snapshot(root)).toEqual(before);
      return r.results[0]!.message;
    };
    server.routes.set('/raw/mitre-attack/attack-stix-data/master/mobile-attack/mobile-attack-18.1.json', Buffer.from('{"type":"bundle","objects":[')); // pinned replay
    expect(await tryAttack({})).toMatch(/checksum .* does not match the lock/);
    server.routes.set('/raw/mitre-attack/attack-stix-data/master/mobile-attack/mobile-attack.json', Buffer.from('{"type":"bundle","objects":['));
    expect(await tryAttack({ update: true })).toMatch(/^attack: failed: refused: mobile-attack\/mobile-attack.json is not JSON/);
    server.routes.set('/raw/mitre-attack/attack-stix-data/master/mobile-attack/mobile-attack-18.1.json', Buffer.from('{"type":"bundle"}'));
    expect(await tryAttack({ attackVersion: '18.1' })).toMatch(/not a STIX bundle/);
    publishAttack('16.0', { 'enterprise-attack': bundle('15.1', 'x'), 'mobile-attack': bundle('16.0', 'm'), 'ics-attack': ICS });
    expect(await tryAttack({ attackVersion: '16.0' })).toMatch(/holds ATT&CK 15.1, not 16.0/);
    server.routes.delete('/raw/mitre-attack/attack-stix-data/master/ics-attack/ics-attack-16.0.json');
    publishAttack('16.0', { 'enterprise-attack': bundle('16.0', 'x'), 'mobile-attack': bundle('16.0', 'm') } as never);
    expect(await tryAttack({ attackVersion: '16.0' })).toMatch(/ics-attack: HTTP 404/);
  });

  it('syncs the other sources when one fails, and says which failed', async () => {
    server.routes.set(`/SigmaHQ/sigma/archive/${C1}.tar.gz`, { status: 500 });
    const lines: string[] = [];
    const r = await syncSources(opts(dir, { select: ['sigma', 'car'], onResult: (x) => lines.push(x.message) }));
    expect(r.failed).toBe(1);
    expect(r.results.map((x) => [x.folder, x.status])).toEqual([['car', 'synced'], ['sigma', 'failed']]);
    expect(lines[1]).toMatch(/^sigma: failed: HTTP 500/);
    expect(existsSync(join(dir, 'car', 'analytics', 'CAR-2013-01-002.yaml'))).toBe(true);
    expect(snapshot(join(dir, 'sigma'))).toEqual(Object.fromEntries(Object.entries(before).filter(([k]) => k.startsWith('data/sigma/')).map(([k, v]) => [k.slice('data/sigma/'.length), v])));
  });

  it('reads an edited lock file strictly', async () => {
    writeFileSync(join(root, 'purplebook.lock.json'), '{"lockfileVersion": 1, "sources": {"sigma": {"repository": "SigmaHQ/sigma", "ref": "master", "sha256": "nope"}}}');
    await expect(syncSources(opts(dir, { select: ['sigma'] }))).rejects.toThrow(/needs repository, ref and a sha256/);
  });
});
