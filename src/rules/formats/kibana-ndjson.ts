/**
 * Kibana exports of Elastic Security detection rules, one JSON object per line:
 * - the detection-engine rules export (`POST /api/detection_engine/rules/_export`, the rules
 *   page's "Export"): `{"rule_id", "name", "threat": [...], "enabled", ...}` per rule, exception
 *   lists and connectors on their own lines, and a last line with the `exported_count` /
 *   `exported_rules_count` summary;
 * - a saved-objects export (Stack Management → Saved Objects): alerting rule objects
 *   `{"type": "alert", "attributes": {"alertTypeId": "siem.queryRule", "name", "enabled",
 *   "params": {"ruleId", "threat": [...]}}}` and prebuilt rule assets (`attributes.rule_id`),
 *   among dashboards and other objects that are not rules.
 * `threat` has the shape of the Elastic TOML `[[rule.threat]]` array, so the Elastic connector's
 * `elasticThreat` reads it. A whole-file JSON rule, array of rules or `_find` answer
 * (`{"data": [rules]}`) is accepted too. Lines that are not rules are skipped; lines that are not JSON are
 * reported with their line number.
 */
import { isRecord } from '../../sources/lib/documents.js';
import { parseJson, reason } from '../../sources/lib/parse.js';
import { elasticThreat } from '../../sources/elastic.js';
import { str, titleText, uniqueIds, type FormatContext, type RuleDraft } from './common.js';

/** Lines of one file reported one by one; past this many, one summary warning. */
const BAD_LINES_REPORTED = 10;

interface Candidate {
  value: unknown;
  line?: number;
}

function candidates(text: string, ctx: FormatContext): Candidate[] {
  try {
    const whole = parseJson(text, ctx.limits);
    // `GET /api/detection_engine/rules/_find` answers `{"page", "total", "data": [rules]}`.
    const list = Array.isArray(whole) ? whole : isRecord(whole) && Array.isArray(whole.data) && !ruleFields(whole) ? whole.data : [whole];
    return list.map((value: unknown) => ({ value }));
  } catch {
    // Not one JSON document: newline-delimited, read line by line below.
  }
  const out: Candidate[] = [];
  const bad: { line: number; reason: string }[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    if (!raw.trim()) continue;
    try {
      out.push({ value: parseJson(raw, ctx.limits), line: i + 1 });
    } catch (e) {
      bad.push({ line: i + 1, reason: reason(e) });
    }
  }
  for (const b of bad.slice(0, BAD_LINES_REPORTED)) ctx.warn(`line ${b.line}: not JSON: ${b.reason}`);
  if (bad.length > BAD_LINES_REPORTED) ctx.warn(`${bad.length - BAD_LINES_REPORTED} more lines are not JSON`);
  return out;
}

interface RuleFields {
  id?: string;
  name?: unknown;
  enabled?: unknown;
  threat: unknown;
}

/** The rule a line holds, in whichever of the export shapes it comes; undefined for anything else. */
function ruleFields(v: unknown): RuleFields | undefined {
  if (!isRecord(v)) return undefined;
  // A rules export line (the summary line has no rule_id).
  if (str(v.rule_id)) return { id: str(v.rule_id), name: v.name, enabled: v.enabled, threat: v.threat };
  const attrs = v.attributes;
  if (typeof v.type !== 'string' || !isRecord(attrs)) return undefined;
  // A prebuilt rule asset saved object: the rule itself as attributes.
  if (str(attrs.rule_id)) return { id: str(attrs.rule_id), name: attrs.name, enabled: attrs.enabled, threat: attrs.threat };
  const params = attrs.params;
  if (!isRecord(params)) return undefined;
  const securityRule = str(attrs.alertTypeId)?.startsWith('siem.') || params.threat !== undefined || str(params.ruleId) !== undefined;
  if (!securityRule) return undefined;
  return { id: str(params.ruleId) ?? str(v.id), name: attrs.name, enabled: attrs.enabled, threat: params.threat };
}

export function readKibanaNdjson(text: string, ctx: FormatContext): RuleDraft[] {
  const out: RuleDraft[] = [];
  for (const c of candidates(text, ctx)) {
    const rule = ruleFields(c.value);
    if (!rule) continue;
    const where = c.line ? `line ${c.line}` : 'the rule';
    const threat = elasticThreat(rule.threat);
    for (const p of threat.problems) ctx.warn(`${where}: ${p.replace('rule.threat', 'threat')}`);
    out.push({
      ...(rule.id ? { id: rule.id } : {}),
      title: titleText(rule.name) ?? rule.id ?? (c.line ? `line ${c.line}` : 'untitled rule'),
      techniqueIds: uniqueIds(threat.techniques, ctx, where),
      ...(c.line ? { line: c.line } : {}),
      ...(rule.enabled === false ? { disabled: true } : {}),
    });
  }
  return out;
}
