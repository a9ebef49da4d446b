/**
 * Which own-rule format a file is, from its text alone (file names in a team's repository say
 * little: `.yml` may be Sigma or ESCU, `.conf` may be anything, exports get renamed). The test is
 * deliberately cheap and strict: the file's first meaningful line must have the shape of the
 * format family (JSON, `[table]`/`key = value`, or a top-level `key:`), so a README that shows a
 * rule in a code block is not taken for a rule, and then the format's own markers must be there.
 * A file that passes is handed to its reader, which warns if it then fails to parse; a file that
 * does not is not a rule and is skipped without a word.
 */
import type { OwnRuleFormat } from '../types.js';

/** First line that is not blank, not a `#` comment and not a YAML document marker or directive. */
function firstMeaningfulLine(text: string): string | undefined {
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    const line = (end < 0 ? text.slice(start) : text.slice(start, end)).trim();
    if (line && !line.startsWith('#') && line !== '---' && !line.startsWith('%')) return line;
    if (end < 0) break;
    start = end + 1;
  }
  return undefined;
}

const JSON_START = /^(?:\{|\[\s*(?:\{|\]|$))/;
/** A Kibana rule (export line, alerting saved object, or rule asset) names one of these keys. */
const KIBANA_KEY = /"(?:rule_id|ruleId|alertTypeId)"\s*:/;

const TABLE_OR_KEY_VALUE = /^(?:\[.*\]|[\w.\-"' ]+=.*)$/;
const ELASTIC_RULE_TABLE = /^\[rule\][ \t]*$/m;
/** A saved search has a `search`; ES correlation searches and ESCU stanzas carry their ATT&CK keys. */
const SAVED_SEARCH_KEY = /^[ \t]*(?:search|action\.correlationsearch\.annotations|action\.escu\.mappings)[ \t]*=/m;

const YAML_KEY = /^[A-Za-z_][\w.-]*[ \t]*:/;
const key = (name: string) => new RegExp(`^${name}[ \\t]*:`, 'm');
const SIGMA_ATTACK_TAG = /^[ \t]*-[ \t]*['"]?attack\.t\d{4}/im;
const ESCU_ATTACK_IDS = /^[ \t]+mitre_attack_id[ \t]*:/m;

function isSigma(text: string): boolean {
  const ruleBody = key('detection').test(text) || key('correlation').test(text);
  if (ruleBody && key('logsource').test(text)) return true;
  if (key('correlation').test(text) && key('title').test(text)) return true;
  return key('title').test(text) && key('tags').test(text) && SIGMA_ATTACK_TAG.test(text);
}

function isEscu(text: string): boolean {
  if (!key('name').test(text)) return false;
  return ESCU_ATTACK_IDS.test(text) || (key('search').test(text) && key('how_to_implement').test(text));
}

/**
 * The format `text` is written in, or undefined when it is none of them. `text` has no BOM and
 * `\n` line ends.
 */
export function detectFormat(text: string): OwnRuleFormat | undefined {
  const first = firstMeaningfulLine(text);
  if (first === undefined) return undefined;
  if (JSON_START.test(first)) return KIBANA_KEY.test(text) ? 'kibana-ndjson' : undefined;
  if (TABLE_OR_KEY_VALUE.test(first)) {
    if (ELASTIC_RULE_TABLE.test(text)) return 'elastic-toml';
    if (SAVED_SEARCH_KEY.test(text)) return 'splunk-savedsearches';
    return undefined;
  }
  if (YAML_KEY.test(first)) {
    if (isSigma(text)) return 'sigma';
    if (isEscu(text)) return 'splunk-escu';
  }
  return undefined;
}
