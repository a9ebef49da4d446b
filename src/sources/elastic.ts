/**
 * Elastic detection rules (elastic/detection-rules): one resource per TOML file under `rules/`
 * and `rules_building_block/`. ATT&CK ids come from the `[[rule.threat]]` entries whose
 * framework is MITRE ATT&CK: `technique[].id` and `technique[].subtechnique[].id`.
 * Deprecated: files under `rules/_deprecated/` or `[metadata] maturity = "deprecated"`.
 * Breadcrumb: the folders under `rules/` (`windows`, `integrations / aws`, `_deprecated`);
 * building blocks start with `building_block`.
 */
import type { LogSourceRef, ResourceRecord, RuleLogic, TechniqueRef } from './types.js';
import { esqlIndices, namedLogSources, ruleLogic } from './lib/logic.js';
import { defineFileSource, type FileInput } from './lib/file-source.js';
import { isTable, metaSetter, str, tomlTypeName as typeName, trimmedList as strings, type Mapping as Table } from './lib/values.js';
import { oneLine } from './lib/links.js';

const RULE_FILE = /^(?:rules|rules_building_block)\/(?:[^/]+\/)*[^/]+\.toml$/;
const BUILDING_BLOCK_DIR = 'rules_building_block';
const DEPRECATED_DIR = '_deprecated';
const ATTACK_FRAMEWORK = 'mitre att&ck';
/** Index patterns kept in meta; a few rules list dozens. */
const INDEX_MAX = 20;
const AUTHOR_MAX = 200;


/** Breadcrumb of a path inside the repository (see the module comment). */
export function elasticBreadcrumb(pathInRepo: string): string[] {
  const [top, ...folders] = pathInRepo.split('/').slice(0, -1);
  return top === BUILDING_BLOCK_DIR ? ['building_block', ...folders] : folders;
}

const QUERY_LANGUAGES: Record<string, string> = { eql: 'EQL', esql: 'ES|QL', kuery: 'KQL', lucene: 'Lucene' };

/**
 * What an engineer reads the rule in: the query language for query, EQL and ES|QL rules, `ML`
 * for machine-learning jobs, and the rule type with its query language for the special types
 * (`threshold (KQL)`, `new_terms (KQL)`, `indicator match (KQL)`).
 */
export function elasticLanguage(type: string | undefined, language: string | undefined): string | undefined {
  const lang = language ? (QUERY_LANGUAGES[language.toLowerCase()] ?? language) : undefined;
  switch (type) {
    case 'machine_learning':
      return 'ML';
    case 'eql':
      return 'EQL';
    case 'esql':
      return 'ES|QL';
    case 'query':
    case undefined:
      return lang;
    default: {
      const name = type === 'threat_match' ? 'indicator match' : type;
      return lang ? `${name} (${lang})` : name;
    }
  }
}

export interface ElasticThreat {
  techniques: string[];
  tactics: string[];
  /** Shape problems met on the way (entries that are not tables, ids that are not strings). */
  problems: string[];
}

export interface ElasticThreatLayout {
  /** Where the entries are, as problems name it: `rule.threat` (detection rules) or `threat` (endpoint behaviour rules). */
  path?: string;
  /** Endpoint rules write one technique as a `[threat.technique]` table: read a table as a list of one. */
  singleTables?: boolean;
}

/** Technique and sub-technique ids of the MITRE ATT&CK `[[rule.threat]]` entries, in file order. */
export function elasticThreat(threat: unknown, layout: ElasticThreatLayout = {}): ElasticThreat {
  const path = layout.path ?? 'rule.threat';
  const ids = new Map<string, string>();
  const tactics = new Set<string>();
  const problems = new Set<string>();
  const add = (id: unknown, what: string) => {
    if (typeof id !== 'string' || !id.trim()) problems.add(`a ${what} has no string \`id\``);
    else if (!ids.has(id.trim().toUpperCase())) ids.set(id.trim().toUpperCase(), id.trim());
  };
  const tables = (v: unknown, what: string): Table[] => {
    if (v === undefined) return [];
    if (layout.singleTables && isTable(v)) return [v];
    if (!Array.isArray(v)) {
      problems.add(`\`${what}\` is a ${typeName(v)}, not an array of tables`);
      return [];
    }
    if (v.some((x) => !isTable(x))) problems.add(`\`${what}\` holds entries that are not tables`);
    return v.filter(isTable);
  };
  for (const entry of tables(threat, path)) {
    if (typeof entry.framework !== 'string') {
      // Without a framework the entry cannot be told to be ATT&CK: its techniques are lost, say so.
      problems.add(`a \`${path}\` entry has no \`framework\` string: skipped`);
      continue;
    }
    if (entry.framework.trim().toLowerCase() !== ATTACK_FRAMEWORK) continue;
    const tactic = isTable(entry.tactic) ? str(entry.tactic.name) : undefined;
    if (tactic) tactics.add(tactic);
    for (const technique of tables(entry.technique, `${path}.technique`)) {
      add(technique.id, 'technique');
      for (const sub of tables(technique.subtechnique, `${path}.technique.subtechnique`)) add(sub.id, 'subtechnique');
    }
  }
  return { techniques: [...ids.values()], tactics: [...tactics], problems: [...problems] };
}

/** YYYY-MM-DD, like the other sources: upstream writes `2023/01/11`; a TOML date is accepted too. */
function dateText(v: unknown): string | undefined {
  if (v instanceof Date && !Number.isNaN(v.getTime())) return v.toISOString().slice(0, 10);
  return str(v)?.replace(/^(\d{4})\/(\d{2})\/(\d{2})$/, '$1-$2-$3');
}

function metaOf(rule: Table, metadata: Table, tactics: string[], buildingBlock: boolean): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  const set = metaSetter(meta);
  const type = str(rule.type);
  set('id', str(rule.rule_id));
  set('maturity', str(metadata.maturity));
  set('severity', str(rule.severity));
  if (typeof rule.risk_score === 'number') meta.riskScore = rule.risk_score;
  set('language', elasticLanguage(type, str(rule.language)));
  set('type', type);
  set('integration', strings(metadata.integration));
  const index = strings(rule.index);
  set('index', index.length > INDEX_MAX ? [...index.slice(0, INDEX_MAX), `… ${index.length - INDEX_MAX} more`] : index);
  set('dataView', str(rule.data_view_id));
  const jobs = typeof rule.machine_learning_job_id === 'string' ? [rule.machine_learning_job_id] : strings(rule.machine_learning_job_id);
  set('mlJob', jobs);
  set('tactics', tactics);
  const author = strings(rule.author).join(', ');
  set('author', author ? oneLine(author, AUTHOR_MAX) : undefined);
  set('date', dateText(metadata.creation_date));
  set('modified', dateText(metadata.updated_date));
  if (buildingBlock) meta.buildingBlock = true;
  return meta;
}

const STRING_FIELDS = ['rule_id', 'description', 'severity', 'type', 'language'] as const;

function checkFieldTypes(rule: Table, metadata: unknown, warn: (problem: string) => void): void {
  for (const k of STRING_FIELDS) {
    if (rule[k] !== undefined && typeof rule[k] !== 'string') warn(`\`rule.${k}\` is a ${typeName(rule[k])}, not a string: ignored`);
  }
  if (metadata !== undefined && !isTable(metadata)) warn(`\`metadata\` is a ${typeName(metadata)}, not a table: ignored`);
  if (rule.index !== undefined && !Array.isArray(rule.index)) warn(`\`rule.index\` is a ${typeName(rule.index)}, not an array: ignored`);
}

/**
 * The rule's telemetry: its `index` patterns (or an ES|QL query's `FROM`), and the integration
 * packages `[metadata] integration` names. A data view or an ML job names no index: integrations only.
 */
function elasticLogSources(rule: Table, metadata: Table): LogSourceRef[] {
  const query = str(rule.query);
  const indices = strings(rule.index);
  if (!indices.length && str(rule.type) === 'esql' && query) indices.push(...esqlIndices(query));
  return [...namedLogSources('elastic-index', indices), ...namedLogSources('elastic-integration', strings(metadata.integration))];
}

const LOGIC_LANGUAGES: Record<string, string> = { eql: 'eql', esql: 'esql', kuery: 'kuery', lucene: 'lucene' };

function elasticLogic(rule: Table): RuleLogic | undefined {
  const type = str(rule.type);
  const language = type === 'esql' ? 'esql' : type === 'eql' ? 'eql' : LOGIC_LANGUAGES[str(rule.language)?.toLowerCase() ?? ''] ?? str(rule.language) ?? 'query';
  return ruleLogic(language, rule.query);
}

function ruleRecord(doc: Table, { path: pathInRepo, warn, origin }: FileInput): ResourceRecord | undefined {
  const rule = doc.rule;
  if (!isTable(rule) || !str(rule.name)) {
    warn(isTable(rule) ? 'not a rule: `[rule]` has no `name`' : 'not a rule: no `[rule]` table');
    return undefined;
  }
  checkFieldTypes(rule, doc.metadata, warn);
  const metadata = isTable(doc.metadata) ? doc.metadata : {};
  const threat = elasticThreat(rule.threat);
  for (const p of threat.problems) warn(p);
  const techniques: TechniqueRef[] = threat.techniques.map((id) => ({ id }));
  const folders = pathInRepo.split('/').slice(0, -1);
  const buildingBlock = folders[0] === BUILDING_BLOCK_DIR || rule.building_block_type !== undefined;
  return {
    ...origin,
    upstreamId: str(rule.rule_id),
    title: oneLine(rule.name),
    breadcrumb: elasticBreadcrumb(pathInRepo),
    description: oneLine(rule.description),
    deprecated: folders.includes(DEPRECATED_DIR) || str(metadata.maturity)?.toLowerCase() === 'deprecated',
    meta: metaOf(rule, metadata, threat.tactics, buildingBlock),
    facets: { logSources: elasticLogSources(rule, metadata) },
    logic: elasticLogic(rule),
    techniques,
  };
}

export const elasticSource = defineFileSource({
  name: 'elastic',
  title: 'Elastic Detection Rules',
  pillar: 'detection',
  order: 20,
  upstream: { repo: 'elastic/detection-rules', defaultRef: 'main', paths: ['rules/**/*.toml', 'rules_building_block/**/*.toml'] },
  license: 'Elastic License 2.0',
  resourceKind: 'Elastic Security detection rule (one TOML file; building-block rules included)',
  mapsVia: '`[[rule.threat]]` (framework MITRE ATT&CK): `technique.id` and `technique.subtechnique.id`',
  summaryFields: ['severity', 'language', 'integration'],
  detectionKind: { kind: 'rule', why: 'an Elastic Security rule runs in Kibana as a query, EQL, ES|QL, threshold, new-terms, indicator-match or machine-learning rule (`rule.type`)' },
  match: (path) => RULE_FILE.test(path),
  format: 'toml',
  shape: 'mapping',
  toRecords: ruleRecord,
});
