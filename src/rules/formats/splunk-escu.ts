/**
 * Splunk security_content (ESCU) detection YAML: `name`, `id`, `status`, and the ATT&CK ids in
 * `tags.mitre_attack_id`, read with the Splunk connector's `splunkList` (an empty
 * `mitre_attack_id:` is no technique, not an error).
 */
import { isRecord } from '../../sources/lib/documents.js';
import { parseProblem, parseYaml } from '../../sources/lib/parse.js';
import { splunkList } from '../../sources/splunk.js';
import { str, titleText, uniqueIds, type FormatContext, type RuleDraft } from './common.js';

export function readSplunkEscu(text: string, ctx: FormatContext): RuleDraft[] {
  let doc: unknown;
  try {
    doc = parseYaml(text, ctx.limits);
  } catch (e) {
    ctx.warn(`YAML: ${parseProblem(e)}`);
    return [];
  }
  const title = isRecord(doc) ? titleText(doc.name) : undefined;
  if (!isRecord(doc) || !title) {
    ctx.warn(isRecord(doc) ? 'not an ESCU detection: `name` is not a string' : 'not an ESCU detection: not a YAML mapping');
    return [];
  }
  let tags: Record<string, unknown> = {};
  if (isRecord(doc.tags)) tags = doc.tags;
  else if (doc.tags !== undefined && doc.tags !== null) ctx.warn('`tags` is not a mapping: no ATT&CK ids read');
  const ids = splunkList(tags.mitre_attack_id, 'tags.mitre_attack_id', (p) => ctx.warn(p));
  const id = str(doc.id);
  return [{
    ...(id ? { id } : {}),
    title,
    deprecated: str(doc.status)?.toLowerCase() === 'deprecated',
    techniqueIds: uniqueIds(ids, ctx, 'the detection'),
  }];
}
