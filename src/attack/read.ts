/**
 * Reading one ATT&CK STIX bundle as untrusted input: the connectors' size-capped, UTF-8-checked
 * read (with the bundles' own size limit), then JSON with the build's depth limit. Every refusal
 * is one warning naming the file; the domain is then skipped.
 */
import { readText } from '../sources/lib/files.js';
import { depthOf } from '../sources/lib/parse.js';
import type { Limits } from '../core/types.js';
import type { AttackWarning } from './types.js';
import { kindOf } from './validate.js';

export interface RawBundle {
  objects: unknown[];
  specVersion?: string;
}

export function readBundle(dataDir: string, file: string, limits: Limits, warn: (w: AttackWarning) => void): RawBundle | undefined {
  // One bundle per domain: the per-file limit for connectors' files would refuse enterprise-attack.json.
  const text = readText({ dataDir, limits: { ...limits, maxFileBytes: limits.maxBundleBytes }, warn: (f, reason) => warn({ file: f, reason }) }, file);
  if (text === undefined) return undefined;
  let bundle: unknown;
  try {
    bundle = JSON.parse(text);
  } catch (e) {
    warn({ file, reason: `not a JSON document (${(e as Error).message.split('\n')[0]}): domain skipped` });
    return undefined;
  }
  if (depthOf(bundle, limits.maxDepth) > limits.maxDepth) {
    warn({ file, reason: `nested deeper than ${limits.maxDepth} levels: domain skipped` });
    return undefined;
  }
  if (!bundle || typeof bundle !== 'object' || !Array.isArray((bundle as { objects?: unknown }).objects)) {
    warn({ file, reason: 'not a STIX bundle (no "objects" array): domain skipped' });
    return undefined;
  }
  const { objects, spec_version: spec } = bundle as { objects: unknown[]; spec_version?: unknown };
  if (spec !== undefined && typeof spec !== 'string') warn({ file, reason: `bundle field "spec_version" is ${kindOf(spec)}, expected a string: ignored` });
  return { objects, specVersion: typeof spec === 'string' ? spec : undefined };
}
