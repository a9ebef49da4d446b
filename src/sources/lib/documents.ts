/** Reading one structured document per file, the step most connectors start with. */
import type { LoadContext } from '../types.js';
import { readText } from './files.js';
import { parseYaml, reason } from './parse.js';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The file as one YAML mapping, or undefined after a warning naming the file (unreadable, too
 * large, not UTF-8, not YAML, or YAML that is not a mapping).
 */
export function readYamlMapping(ctx: Pick<LoadContext, 'dataDir' | 'limits' | 'warn'>, file: string): Record<string, unknown> | undefined {
  const text = readText(ctx, file);
  if (text === undefined) return undefined;
  let doc: unknown;
  try {
    doc = parseYaml(text, ctx.limits);
  } catch (e) {
    ctx.warn(file, reason(e));
    return undefined;
  }
  if (!isRecord(doc)) {
    ctx.warn(file, 'not a YAML mapping');
    return undefined;
  }
  return doc;
}
