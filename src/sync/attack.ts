/** ATT&CK bundles from mitre-attack/attack-stix-data, fetched as raw single files. */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { DEFAULT_LIMITS } from '../core/types.js';
import { join } from 'node:path';
import { rawUrl, type Bases } from './config.js';
import { downloadTo, type DownloadOptions } from './download.js';
import { ATTACK_DOMAINS, ATTACK_REPO } from './plan.js';
import { PurplebookError } from '../core/errors.js';

export class AttackBundleError extends PurplebookError {}

export interface AttackDownload {
  version?: string;
  files: { name: string; path: string; url: string; sha256: string; bytes: number }[];
  /** sha256 over the `sha256sum`-style list of the files: one digest for the lock and manifest. */
  sha256: string;
}

/** Release numbers as MITRE writes them: 18.1, 17.0. */
export function checkAttackVersion(v: string, where: string): string {
  if (!/^\d{1,3}\.\d{1,3}$/.test(v)) throw new AttackBundleError(`${where}: "${v}" is not an ATT&CK version like 18.1`);
  return v;
}

export function combinedDigest(files: readonly { name: string; sha256: string }[]): string {
  const list = [...files].sort((a, b) => a.name.localeCompare(b.name)).map((f) => `${f.sha256}  ${f.name}\n`).join('');
  return createHash('sha256').update(list).digest('hex');
}

/**
 * A STIX bundle with an objects array; its release from the x-mitre-collection object. The size
 * is checked before JSON.parse: a 300 MB "bundle" from a hostile mirror took V8 to 3.5 GB and a
 * fatal error, which no try/catch survives.
 */
export function bundleVersion(file: string, label: string, maxBundleBytes = DEFAULT_LIMITS.maxBundleBytes): string | undefined {
  const size = statSync(file).size;
  if (size > maxBundleBytes) throw new AttackBundleError(`refused: ${label} is ${size} bytes, over the ${maxBundleBytes}-byte limit for an ATT&CK bundle (maxBundleBytes)`);
  let bundle: { type?: unknown; objects?: unknown };
  try {
    bundle = JSON.parse(readFileSync(file, 'utf8')) as typeof bundle;
  } catch (e) {
    throw new AttackBundleError(`refused: ${label} is not JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (!bundle || bundle.type !== 'bundle' || !Array.isArray(bundle.objects)) throw new AttackBundleError(`refused: ${label} is not a STIX bundle`);
  for (const o of bundle.objects as { type?: unknown; x_mitre_version?: unknown }[]) {
    if (o && o.type === 'x-mitre-collection' && typeof o.x_mitre_version === 'string') return o.x_mitre_version;
  }
  return undefined;
}

export async function downloadAttack(outDir: string, opts: {
  bases: Bases; ref: string; version?: string; pinned?: Record<string, string>;
  download: Omit<DownloadOptions, 'onProgress'>; onProgress?(label: string, bytes: number, total?: number): void;
  /** Largest bundle accepted (the loader's limit): larger is refused while downloading, before it is parsed. */
  maxBundleBytes?: number;
}): Promise<AttackDownload> {
  const maxBundleBytes = opts.maxBundleBytes ?? DEFAULT_LIMITS.maxBundleBytes;
  const files: AttackDownload['files'] = [];
  const versions: string[] = [];
  for (const domain of ATTACK_DOMAINS) {
    const name = `${domain}.json`;
    const path = opts.version ? `${domain}/${domain}-${opts.version}.json` : `${domain}/${domain}.json`;
    const url = rawUrl(opts.bases, ATTACK_REPO, opts.ref, path);
    const file = join(outDir, name);
    const download = maxBundleBytes < opts.download.maxBytes ? { ...opts.download, maxBytes: maxBundleBytes, maxBytesSetting: 'maxBundleBytes' } : opts.download;
    const got = await downloadTo(url, file, { ...download, onProgress: (b, t) => opts.onProgress?.(domain, b, t) })
      .catch((e: Error) => { throw new AttackBundleError(`${domain}: ${e.message}`); });
    const pin = opts.pinned?.[name];
    if (pin && pin !== got.sha256) throw new AttackBundleError(`refused: ${path} checksum ${got.sha256} does not match the lock (${pin})`);
    const v = bundleVersion(file, path, maxBundleBytes);
    if (opts.version && v && v !== opts.version) throw new AttackBundleError(`refused: ${path} holds ATT&CK ${v}, not ${opts.version}`);
    if (v) versions.push(v);
    files.push({ name, path, url, sha256: got.sha256, bytes: got.bytes });
  }
  const version = opts.version ?? versions[0];
  // Name what was fetched as `latest` by its release, so a pinned replay records the same paths.
  if (version) for (const f of files) f.path = `${f.name.replace(/\.json$/, '')}/${f.name.replace(/\.json$/, '')}-${version}.json`;
  return { version, files, sha256: combinedDigest(files) };
}
