/**
 * The build's safety limits for untrusted upstream files (file size, YAML aliases, nesting,
 * technique references per resource), read from the `"build": {"limits": {…}}` part of the same
 * JSON settings file `sync` reads (purplebook.config.json). Anything not set keeps its default.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_LIMITS, type Limits } from '../core/types.js';
import { CONFIG_FILE_NAME } from '../sync/config.js';
import { InputError } from '../core/errors.js';

export class LimitsConfigError extends InputError {}

function fail(file: string, what: string): never {
  throw new LimitsConfigError(`${file}: ${what}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The limits a settings object sets, validated: `build` and `build.limits` must be objects, every
 * limit a positive whole number, and an unknown key is an error (a typo must not pass silently).
 * Other top-level settings belong to `sync` and are not looked at here.
 */
export function parseBuildLimits(raw: unknown, file = 'config'): Partial<Limits> {
  if (!isObject(raw)) fail(file, 'must be a JSON object');
  if (raw.build === undefined) return {};
  if (!isObject(raw.build)) fail(file, '"build" must be an object');
  for (const k of Object.keys(raw.build)) if (k !== 'limits') fail(file, `unknown setting "build.${k}" (known: build.limits)`);
  const limits = raw.build.limits;
  if (limits === undefined) return {};
  if (!isObject(limits)) fail(file, '"build.limits" must be an object');
  const out: Partial<Limits> = {};
  for (const [k, v] of Object.entries(limits)) {
    if (!Object.hasOwn(DEFAULT_LIMITS, k)) fail(file, `unknown limit "build.limits.${k}" (known: ${Object.keys(DEFAULT_LIMITS).join(', ')})`);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) fail(file, `limit "build.limits.${k}" must be a positive whole number, got ${JSON.stringify(v)}`);
    out[k as keyof Limits] = v;
  }
  return out;
}

/**
 * Found the way `sync` finds its settings: --config FILE, else $PURPLEBOOK_CONFIG, else
 * ./purplebook.config.json when it exists, else the defaults.
 */
export function loadBuildLimits(explicit?: string, cwd = process.cwd()): { limits: Limits; file?: string; set: Partial<Limits> } {
  const chosen = explicit ?? process.env.PURPLEBOOK_CONFIG;
  const file = chosen ? resolve(cwd, chosen) : resolve(cwd, CONFIG_FILE_NAME);
  if (!existsSync(file)) {
    if (chosen) throw new LimitsConfigError(`config file ${file} does not exist`);
    return { limits: { ...DEFAULT_LIMITS }, set: {} };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new LimitsConfigError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const set = parseBuildLimits(raw, file);
  return { limits: { ...DEFAULT_LIMITS, ...set }, file, set };
}
