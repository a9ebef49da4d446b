/**
 * Elastic rules in TOML, in either of Elastic's two layouts, read with the Elastic connector's
 * `elasticThreat`: technique and sub-technique ids of the MITRE ATT&CK entries.
 * - detection rules (elastic/detection-rules): `[metadata]` + `[rule]` with `rule_id` and the
 *   mapping in `[[rule.threat]]`; `metadata.maturity = "deprecated"` marks a retired rule;
 * - endpoint behaviour rules (elastic/protections-artifacts): `[rule]` with `id`, and the mapping
 *   in a top-level `[[threat]]` with `[threat.technique]` (or `[[threat.technique]]`) and
 *   `[[threat.technique.subtechnique]]`.
 * Each rule says which layout its ids came from (`mappedVia`), so a report can tell.
 */
import { isRecord } from '../../sources/lib/documents.js';
import { parseProblem, parseToml } from '../../sources/lib/parse.js';
import { elasticThreat } from '../../sources/elastic.js';
import { str, titleText, uniqueIds, type FormatContext, type RuleDraft } from './common.js';

export const RULE_THREAT = '[[rule.threat]]';
export const TOP_LEVEL_THREAT = 'top-level [[threat]]';

export function readElasticToml(text: string, ctx: FormatContext): RuleDraft[] {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text, ctx.limits);
  } catch (e) {
    ctx.warn(`TOML: ${parseProblem(e)}`);
    return [];
  }
  const rule = doc.rule;
  if (!isRecord(rule)) {
    ctx.warn('not an Elastic rule: no `[rule]` table');
    return [];
  }
  const id = str(rule.rule_id) ?? str(rule.id);
  const title = titleText(rule.name) ?? id;
  if (!title) {
    ctx.warn('not an Elastic rule: `[rule]` has neither `name` nor `rule_id`');
    return [];
  }
  const nested = elasticThreat(rule.threat);
  const topLevel = elasticThreat(doc.threat, { path: 'threat', singleTables: true });
  for (const p of [...nested.problems, ...topLevel.problems]) ctx.warn(p);
  const via = [...(nested.techniques.length ? [RULE_THREAT] : []), ...(topLevel.techniques.length ? [TOP_LEVEL_THREAT] : [])];
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  return [{
    ...(id ? { id } : {}),
    title,
    deprecated: str(metadata.maturity)?.toLowerCase() === 'deprecated',
    techniqueIds: uniqueIds([...nested.techniques, ...topLevel.techniques], ctx, 'the rule'),
    ...(via.length ? { mappedVia: via.join(' and ') } : {}),
  }];
}
