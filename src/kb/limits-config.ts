/**
 * The build's safety limits for untrusted upstream files (file size, YAML aliases, nesting,
 * technique references per resource), read from the `"build": {"limits": {…}}` part of the same
 * JSON settings file `sync` reads (purplebook.config.json). Anything not set keeps its default.
 */
import { isObject, parseLimitBlock, readConfigFile } from '../core/config-file.js';
import { DEFAULT_LIMITS, type Limits } from '../core/types.js';
import { InputError } from '../core/errors.js';

export class LimitsConfigError extends InputError {}

function fail(file: string, what: string): never {
  throw new LimitsConfigError(`${file}: ${what}`);
}

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
  if (raw.build.limits === undefined) return {};
  return parseLimitBlock(raw.build.limits, DEFAULT_LIMITS, 'build.limits', (what) => fail(file, what));
}

/**
 * Found the way `sync` finds its settings: --config FILE, else $PURPLEBOOK_CONFIG, else
 * ./purplebook.config.json when it exists, else the defaults.
 */
export function loadBuildLimits(explicit?: string, cwd = process.cwd()): { limits: Limits; file?: string; set: Partial<Limits> } {
  const read = readConfigFile(explicit, cwd, (message) => new LimitsConfigError(message));
  if (!read) return { limits: { ...DEFAULT_LIMITS }, set: {} };
  const set = parseBuildLimits(read.raw, read.file);
  return { limits: { ...DEFAULT_LIMITS, ...set }, file: read.file, set };
}
