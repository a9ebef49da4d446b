/**
 * The one settings file every command reads (purplebook.config.json): where it is, reading it as
 * JSON, and the limit blocks `sync` (`limits`) and `build` (`build.limits`) keep in it. Each part
 * is validated by its owner (sync/config.ts, kb/limits-config.ts, kb/stack.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { InputError } from './errors.js';

export const CONFIG_FILE_NAME = 'purplebook.config.json';

/**
 * The settings as parsed JSON: --config FILE (`explicit`), else $PURPLEBOOK_CONFIG, else
 * ./purplebook.config.json when it exists; undefined when none is asked for and none is there.
 * A file asked for that is missing, or that is not JSON, is an error made by `fail`.
 */
export function readConfigFile(explicit: string | undefined, cwd: string, fail: (message: string) => InputError): { raw: unknown; file: string } | undefined {
  const chosen = explicit ?? process.env.PURPLEBOOK_CONFIG;
  const file = chosen ? resolve(cwd, chosen) : resolve(cwd, CONFIG_FILE_NAME);
  if (!existsSync(file)) {
    if (chosen) throw fail(`config file ${file} does not exist`);
    return undefined;
  }
  try {
    return { raw: JSON.parse(readFileSync(file, 'utf8')), file };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EISDIR') throw fail(`config file ${file} is a folder, expected a JSON file`);
    if (err.code === 'EACCES') throw fail(`config file ${file} cannot be read (permission denied)`);
    throw fail(`${file}: not valid JSON (${err.message})`);
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A block of limits (`"limits"`, `"build.limits"`): an object whose keys are those of `defaults`,
 * each a positive whole number. `path` names the block in messages; an unknown key is an error
 * (a typo must not pass silently).
 */
export function parseLimitBlock<T extends object>(value: unknown, defaults: T, path: string, fail: (what: string) => never): Partial<T> {
  if (!isObject(value)) fail(`"${path}" must be an object`);
  const out: Partial<Record<keyof T, number>> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!Object.hasOwn(defaults, k)) fail(`unknown limit "${path}.${k}" (known: ${Object.keys(defaults).join(', ')})`);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) fail(`limit "${path}.${k}" must be a positive whole number, got ${JSON.stringify(v)}`);
    out[k as keyof T] = v;
  }
  return out as Partial<T>;
}
