/**
 * `sync` against a hostile mirror (issue 20): tar metadata that piles up, duplicate entries, a
 * "bundle" too large to parse, servers that drip bytes, and temp folders left by a killed run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArchiveError, extractArchive } from '../../src/sync/archive.js';
import { AttackBundleError, bundleVersion, downloadAttack } from '../../src/sync/attack.js';
import { DEFAULT_SYNC_LIMITS } from '../../src/sync/config.js';
import { DownloadError, STALL_MIN_BYTES, downloadTo, fetchPrefix } from '../../src/sync/download.js';
import { syncSources } from '../../src/sync/sync.js';
import { TarError, TarParser } from '../../src/sync/tar.js';
import { tempDir } from '../helpers.js';
import { githubArchive, paxRecords, tar, type TarItem } from '../sync/fixtures.js';

/** Parses a whole tar stream; returns the entry paths. */
function parseTar(bytes: Buffer, limits?: ConstructorParameters<typeof TarParser>[1]): string[] {
  const paths: string[] = [];
  const parser = new TarParser({ onEntry: (e) => void paths.push(e.path) }, limits);
  parser.push(bytes);
  parser.end();
  return paths;
}

/** A pax `x` record of about `bytes` bytes whose keys differ from every other call's. */
const paxBlob = (salt: string, bytes: number): TarItem => ({
  name: 'pax_header', type: 'x',
  data: paxRecords(Object.fromEntries(Array.from({ length: Math.ceil(bytes / 1000) }, (_, i) => [`${salt}.${i}`, 'v'.repeat(990)]))),
});

describe('tar metadata is bounded', () => {
  it('pax records piling up before one entry are refused once together over 1 MiB, though each is under it', () => {
    const items = [paxBlob('a', 400_000), paxBlob('b', 400_000), paxBlob('c', 400_000), { name: 'top/file.txt', data: 'x' }];
    expect(() => parseTar(tar(items))).toThrow(new TarError('tar metadata of more than 1048576 bytes for one entry (pax or long-name records)'));
    // The same records spread over entries are fine: the count starts again at each entry.
    const spread = [paxBlob('a', 400_000), { name: 'top/1', data: 'x' }, paxBlob('b', 400_000), { name: 'top/2', data: 'x' }, paxBlob('c', 400_000), { name: 'top/3', data: 'x' }];
    expect(parseTar(tar(spread))).toEqual(['top/1', 'top/2', 'top/3']);
  });

  it('metadata of the whole archive is capped too (global headers included)', () => {
    const items: TarItem[] = [{ name: 'pax_global_header', type: 'g', data: paxRecords({ comment: 'c'.repeat(3000) }) }];
    for (let i = 0; i < 20; i++) items.push({ name: `top/${'d'.repeat(150)}/${i}`, data: 'x' });
    expect(parseTar(tar(items), { maxTotalMetaBytes: 1_000_000 })).toHaveLength(20);
    expect(() => parseTar(tar(items), { maxTotalMetaBytes: 5000 })).toThrow(/tar metadata of more than 5000 bytes in all/);
  });
});

describe('archives', () => {
  it('a file stored twice is refused, not overwritten and counted twice', async () => {
    const dir = tempDir();
    const archive = join(dir, 'a.tar.gz');
    writeFileSync(archive, githubArchive('sigma', 'master', { 'rules/a.yml': 'first\n' }, undefined, [{ name: '{top}/rules/a.yml', data: 'second\n' }]));
    mkdirSync(join(dir, 'out'));
    const limits = { maxFiles: 10, maxBytes: 1e6, maxArchiveBytes: 1e7, maxEntries: 100 };
    await expect(extractArchive(archive, join(dir, 'out'), { target: (p) => p, limits }))
      .rejects.toThrow(new ArchiveError('refused: "rules/a.yml" appears twice in the archive (a second copy would overwrite the first)'));
  });
});

describe('ATT&CK bundles over maxBundleBytes are never parsed', () => {
  const body = JSON.stringify({ type: 'bundle', objects: [{ type: 'x-mitre-collection', x_mitre_version: '19.1', pad: 'p'.repeat(5000) }] });

  it('bundleVersion checks the size first', () => {
    const file = join(tempDir(), 'enterprise-attack.json');
    writeFileSync(file, body);
    expect(bundleVersion(file, 'enterprise-attack.json', 1_000_000)).toBe('19.1');
    expect(() => bundleVersion(file, 'enterprise-attack.json', 4096))
      .toThrow(new AttackBundleError(`refused: enterprise-attack.json is ${body.length} bytes, over the 4096-byte limit for an ATT&CK bundle (maxBundleBytes)`));
  });

  it('downloadAttack stops the download at maxBundleBytes and names that limit', async () => {
    const fetchImpl = (() => Promise.resolve(new Response(body, { headers: { 'content-length': String(body.length) } }))) as typeof fetch;
    const download = { maxBytes: DEFAULT_SYNC_LIMITS.maxDownloadBytes, stallMs: 5000, totalMs: 10_000, fetchImpl };
    await expect(downloadAttack(tempDir(), { bases: { raw: 'https://mirror.example', archive: 'https://mirror.example' }, ref: 'master', download, maxBundleBytes: 4096 }))
      .rejects.toThrow(/refused: download of \d+ bytes is larger than the limit of 4096 \(maxBundleBytes\)/);
  });
});

/** A fetch whose body is `chunks` of `size` bytes, one every `everyMs`; aborting the signal errors the body. */
function drippingFetch(chunks: number, size: number, everyMs: number): typeof fetch {
  return (_url: unknown, init?: RequestInit) => {
    let timer: NodeJS.Timeout | undefined;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        let sent = 0;
        init?.signal?.addEventListener('abort', () => {
          clearInterval(timer);
          controller.error(init.signal!.reason);
        });
        timer = setInterval(() => {
          controller.enqueue(new Uint8Array(size).fill(0x61));
          if (++sent === chunks) {
            clearInterval(timer);
            controller.close();
          }
        }, everyMs);
      },
      cancel() {
        clearInterval(timer);
      },
    });
    return Promise.resolve(new Response(stream));
  };
}

describe('stall detection counts bytes arriving', () => {
  it('a server dripping one byte at a time is stalled, although a byte arrives more often than stallMs', async () => {
    const file = join(tempDir(), 'drip.bin');
    const fetchImpl = drippingFetch(40, 1, 50);
    await expect(downloadTo('https://mirror.example/x', file, { maxBytes: 1e6, stallMs: 500, totalMs: 60_000, fetchImpl }))
      .rejects.toThrow(DownloadError);
    await expect(downloadTo('https://mirror.example/x', file, { maxBytes: 1e6, stallMs: 500, totalMs: 60_000, fetchImpl: drippingFetch(40, 1, 50) }))
      .rejects.toThrow(/^only \d+ bytes from the server in 500 ms \(stalled\)$/);
  });

  it('a slow but steady server is not stalled while fetching an archive prefix', async () => {
    // 600 bytes every 100 ms: 16 KiB take ~2.8 s, much longer than stallMs, but every period brings over STALL_MIN_BYTES.
    expect(600 * (1000 / 100)).toBeGreaterThan(STALL_MIN_BYTES);
    const prefix = await fetchPrefix('https://mirror.example/a.tar.gz', 16 * 1024, { stallMs: 1000, fetchImpl: drippingFetch(40, 600, 100) });
    expect(prefix.length).toBe(16 * 1024);
  });
});

describe('temp folders', () => {
  it('one left by a sync that was killed is removed by the next run at once, and the run leaves none of its own', async () => {
    const dir = tempDir();
    // A process that has ended: its pid names no running process.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const left = join(dir, `.purplebook-sync-${dead}-AbCdEf`);
    mkdirSync(join(left, 'out'), { recursive: true });
    writeFileSync(join(left, 'archive.tar.gz'), 'partial');
    const fetchImpl = (() => Promise.resolve(new Response('nope', { status: 500 }))) as typeof fetch;
    const report = await syncSources({
      dir, noLock: true, fetchImpl, select: ['sigma'], mirror: 'https://mirror.example',
      sources: [{ name: 'sigma', folder: 'sigma', upstream: { repo: 'SigmaHQ/sigma', defaultRef: 'master', paths: ['rules/**/*.yml'] } }],
    });
    expect(report.failed).toBe(1);
    expect(existsSync(left)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.startsWith('.purplebook-sync-'))).toEqual([]);
  });
});
