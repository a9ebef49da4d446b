/**
 * Elastic detection-rules TOML (`[metadata]` + `[rule]` with `[[rule.threat]]`), read with the
 * Elastic connector's `elasticThreat`: technique and sub-technique ids of the MITRE ATT&CK
 * entries. `metadata.maturity = "deprecated"` marks a retired rule.
 */
import { isRecord } from '../../sources/lib/documents.js';
import { parseToml, reason } from '../../sources/lib/parse.js';
import { elasticThreat } from '../../sources/elastic.js';
import { str, titleText, uniqueIds, type FormatContext, type RuleDraft } from './common.js';

export function readElasticToml(text: string, ctx: FormatContext): RuleDraft[] {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text, ctx.limits);
  } catch (e) {
    ctx.warn(`TOML: ${reason(e)}`);
    return [];
  }
  const rule = doc.rule;
  if (!isRecord(rule)) {
    ctx.warn('not an Elastic rule: no `[rule]` table');
    return [];
  }
  const id = str(rule.rule_id);
  const title = titleText(rule.name) ?? id;
  if (!title) {
    ctx.warn('not an Elastic rule: `[rule]` has neither `name` nor `rule_id`');
    return [];
  }
  const threat = elasticThreat(rule.threat);
  for (const p of threat.problems) ctx.warn(p);
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  return [{
    ...(id ? { id } : {}),
    title,
    deprecated: str(metadata.maturity)?.toLowerCase() === 'deprecated',
    techniqueIds: uniqueIds(threat.techniques, ctx, 'the rule'),
  }];
}
