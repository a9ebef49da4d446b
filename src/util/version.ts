/** Purplebook's own version, read once from its package.json (the CLI, the server and the MCP server say the same). */
import { readFileSync } from 'node:fs';

function readVersion(): string {
  // src/util and dist/util both sit two levels below the package root.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string' || !pkg.version) throw new Error('package.json has no "version"');
  return pkg.version;
}

export const PURPLEBOOK_VERSION = readVersion();
