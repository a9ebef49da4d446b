/**
 * SigmaHQ rules (SigmaHQ/sigma): one resource per rule of every `rules*` collection folder
 * (`rules/`, `rules-emerging-threats/`, `rules-threat-hunting/`, …). A rule is its file; a file
 * holding a Sigma rule collection (several YAML documents with `action: global|reset|repeat`)
 * yields one resource per resulting rule, keyed `path#n`. ATT&CK ids come from
 * `tags: attack.tNNNN[.NNN]`; the other `attack.*` tags (tactics, groups, software) are not
 * techniques.
 *
 * Breadcrumb: the folders below the collection folder, with the collection named first unless
 * it is the main `rules/` one: `rules/windows/process_creation/x.yml` → `windows /
 * process_creation`, `rules-emerging-threats/2023/Malware/x.yml` → `emerging-threats / 2023 /
 * Malware`, so a main-collection rule reads as before and the others say where they come from.
 */
import type { LogSourceRef, ResourceRecord, RuleLogic, TechniqueRef } from './types.js';
import { defineFileSource, type FileInput } from './lib/file-source.js';
import { yamlText } from './lib/parse.js';
import { dateText, isRecord, metaSetter, str, typeName, type Mapping as Doc } from './lib/values.js';
import { ruleLogic, topLevelYamlBlock } from './lib/logic.js';
import { oneLine } from './lib/links.js';

const RULE_FILE = /^rules[^/]*\/(?:[^/]+\/)*[^/]+\.yml$/;
/**
 * `attack.tNNNN` and whatever follows it but a fifth digit stays in the id, so resolution reports
 * a damaged one (`attack.t1059 .001`, a stray control character) rather than it being dropped unseen.
 */
const TECHNIQUE_TAG = /^attack\.(t\d{4}(?!\d).*)$/i;
/** `attack.<tactic-name>`: letters and hyphens only, unlike `attack.g0001` / `attack.s0001`. */
const TACTIC_TAG = /^attack\.([a-z]+(?:[-_][a-z]+)*)$/i;
const AUTHOR_MAX = 200;

/** Folder breadcrumb of a path inside the Sigma repository (see the module comment). */
export function sigmaBreadcrumb(pathInRepo: string): string[] {
  const folders = pathInRepo.split('/').slice(0, -1);
  const collection = folders.shift() ?? '';
  const name = collection.replace(/^rules-?/, '');
  return name ? [name, ...folders] : folders;
}

/** `b` merged into a copy of `a`: mappings merge key by key, anything else in `b` replaces. */
function deepMerge(a: Doc, b: Doc): Doc {
  const out: Doc = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isRecord(prev) && isRecord(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

export interface CollectionRule {
  /** 1-based position of the YAML document the rule was completed by. */
  docNumber: number;
  doc: Doc;
}

/**
 * The rule documents of a Sigma file after the collection actions of the Sigma specification
 * (as pySigma applies them): `global` sets a template merged into every following document,
 * `reset` drops it, `repeat` re-emits the previous rule with this document's fields laid over
 * it. Where a rule and the global template both set a field, the rule's own value wins (pySigma
 * lets the template win; a template is a default, and no SigmaHQ rule relies on either).
 * A document that is not a mapping, or has an unknown action, goes to `onProblem`. Documents are
 * numbered from 1 among the non-empty ones (empty documents are dropped by the parser).
 */
export function sigmaCollection(docs: unknown[], onProblem: (docNumber: number, problem: string) => void): CollectionRule[] {
  const out: CollectionRule[] = [];
  let global: Doc = {};
  let previous: Doc | undefined;
  for (const [i, doc] of docs.entries()) {
    const n = i + 1;
    if (!isRecord(doc)) {
      onProblem(n, `is a ${typeName(doc)}, not a mapping`);
      continue;
    }
    const { action, ...body } = doc;
    if (action === undefined) {
      previous = deepMerge(global, body);
      out.push({ docNumber: n, doc: previous });
    } else if (action === 'global') {
      global = body;
    } else if (action === 'reset') {
      global = {};
    } else if (action === 'repeat') {
      if (!previous) {
        onProblem(n, '`action: repeat` with no rule before it');
        continue;
      }
      previous = deepMerge(previous, body);
      out.push({ docNumber: n, doc: previous });
    } else {
      onProblem(n, `unknown collection action ${JSON.stringify(action).slice(0, 40)}`);
    }
  }
  return out;
}

export interface SigmaTags {
  /** Technique ids as written, minus the `attack.` prefix, first spelling of each kept. */
  techniques: string[];
  tactics: string[];
  /** Tags that are not strings. */
  nonStrings: number;
}

export function sigmaTags(tags: unknown[]): SigmaTags {
  const techniques = new Map<string, string>();
  const tactics = new Set<string>();
  let nonStrings = 0;
  for (const tag of tags) {
    if (typeof tag !== 'string') {
      nonStrings++;
      continue;
    }
    const t = tag.trim();
    const technique = TECHNIQUE_TAG.exec(t)?.[1];
    if (technique) {
      if (!techniques.has(technique.toUpperCase())) techniques.set(technique.toUpperCase(), technique);
      continue;
    }
    const tactic = TACTIC_TAG.exec(t)?.[1];
    if (tactic) tactics.add(tactic.toLowerCase().replace(/_/g, '-'));
  }
  return { techniques: [...techniques.values()], tactics: [...tactics], nonStrings };
}

function logsourceOf(v: unknown): Record<string, string> | undefined {
  if (!isRecord(v)) return undefined;
  const out: Record<string, string> = {};
  for (const k of ['product', 'category', 'service']) {
    const s = v[k];
    if (typeof s === 'string' && s.trim()) out[k] = s.trim();
  }
  return Object.keys(out).length ? out : undefined;
}

const STRING_FIELDS = ['id', 'status', 'level', 'description', 'author'] as const;
const DATE_FIELDS = ['date', 'modified'] as const;

/** Reports fields whose type the Sigma specification does not allow; such fields are ignored. */
function checkFieldTypes(doc: Doc, warn: (problem: string) => void): void {
  for (const k of STRING_FIELDS) {
    if (doc[k] !== undefined && typeof doc[k] !== 'string') warn(`\`${k}\` is a ${typeName(doc[k])}, not a string: ignored`);
  }
  for (const k of DATE_FIELDS) {
    if (doc[k] !== undefined && dateText(doc[k]) === undefined) warn(`\`${k}\` is a ${typeName(doc[k])}, not a date: ignored`);
  }
  if (doc.logsource !== undefined && !isRecord(doc.logsource)) warn(`\`logsource\` is a ${typeName(doc.logsource)}, not a mapping: ignored`);
  if (doc.tags !== undefined && !Array.isArray(doc.tags)) warn(`\`tags\` is a ${typeName(doc.tags)}, not a list: no techniques read`);
}

function metaOf(doc: Doc, tactics: string[]): Record<string, unknown> {
  const meta: Record<string, unknown> = { language: 'Sigma' };
  const set = metaSetter(meta);
  set('id', str(doc.id));
  set('status', str(doc.status));
  set('level', str(doc.level));
  set('logsource', logsourceOf(doc.logsource));
  if (tactics.length) meta.tactics = tactics;
  const author = str(doc.author);
  set('author', author && oneLine(author, AUTHOR_MAX));
  set('date', dateText(doc.date));
  set('modified', dateText(doc.modified));
  if (isRecord(doc.correlation)) meta.correlation = true;
  return meta;
}

interface RuleInput {
  /** The path of a one-rule file; `path#n` for rule n of a collection. */
  key: string;
  doc: Doc;
  /** The file's text when the rule is the file's only document: its blocks are shown as written. */
  text?: string;
  warn: (problem: string) => void;
}

/** The rule's telemetry: its `logsource` triple, or none (an empty list: "unknown"). */
function sigmaLogSources(doc: Doc): LogSourceRef[] {
  const ls = logsourceOf(doc.logsource);
  if (!ls) return [];
  return [{ scheme: 'sigma', ...ls }];
}

/** The `detection` (or `correlation`) block: as written for a one-rule file, re-serialized for a collection. */
function sigmaLogic(doc: Doc, text: string | undefined): RuleLogic | undefined {
  const key = isRecord(doc.detection) ? 'detection' : 'correlation';
  const block = text !== undefined ? topLevelYamlBlock(text, key) : undefined;
  return ruleLogic('sigma', block ?? yamlText({ [key]: doc[key] }));
}

function ruleRecord(input: FileInput, r: RuleInput): ResourceRecord {
  const { doc } = r;
  checkFieldTypes(doc, r.warn);
  const tags = Array.isArray(doc.tags) ? sigmaTags(doc.tags) : { techniques: [], tactics: [], nonStrings: 0 };
  if (tags.nonStrings) r.warn(`${tags.nonStrings} tag(s) are not strings: ignored`);
  const techniques: TechniqueRef[] = tags.techniques.map((id) => ({ id }));
  const breadcrumb = sigmaBreadcrumb(input.path);
  const status = str(doc.status);
  return {
    ...input.origin,
    key: r.key,
    upstreamId: str(doc.id),
    title: oneLine(doc.title),
    breadcrumb,
    description: oneLine(doc.description),
    deprecated: status?.toLowerCase() === 'deprecated' || breadcrumb.includes('deprecated'),
    meta: metaOf(doc, tags.tactics),
    facets: { logSources: sigmaLogSources(doc) },
    logic: sigmaLogic(doc, r.text),
    techniques,
  };
}

/** A rule document has a title and a detection (or, for correlation rules, a correlation). */
function notARule(doc: Doc): string | undefined {
  if (typeof doc.title !== 'string' || !doc.title.trim()) return 'has no `title`';
  if (!isRecord(doc.detection) && !isRecord(doc.correlation)) return 'has no `detection` mapping';
  return undefined;
}

function* ruleRecords(docs: unknown[], input: FileInput): Generator<ResourceRecord> {
  const { path, text, warn } = input;
  if (!docs.length) {
    warn('no YAML document');
    return;
  }
  const several = docs.length > 1;
  const where = (n: number) => (several ? `document ${n} ` : '');
  const candidates = sigmaCollection(docs, (n, problem) => warn(`${several ? `document ${n}` : 'the document'} ${problem}`));
  const rules = candidates.filter((c) => {
    const problem = notARule(c.doc);
    if (problem) warn(`${several ? `document ${c.docNumber}` : 'the document'} is not a rule: it ${problem}`);
    return !problem;
  });
  for (const [i, rule] of rules.entries()) {
    const key = rules.length > 1 ? `${path}#${i + 1}` : path;
    yield ruleRecord(input, { key, doc: rule.doc, text: docs.length === 1 ? text : undefined, warn: (problem) => warn(`${where(rule.docNumber)}${problem}`) });
  }
}

export const sigmaSource = defineFileSource({
  name: 'sigma',
  title: 'SigmaHQ',
  pillar: 'detection',
  order: 10,
  upstream: { repo: 'SigmaHQ/sigma', defaultRef: 'master', paths: ['rules*/**/*.yml'] },
  license: 'Detection Rule License 1.1',
  resourceKind: 'Sigma rule (one YAML file; a rule collection file gives one rule per document)',
  mapsVia: '`tags: attack.tNNNN[.NNN]`',
  summaryFields: ['level', 'status', 'logsource'],
  detectionKind: { kind: 'rule', why: 'a Sigma rule is detection logic (`detection` and `condition`) that sigma-cli converts into a SIEM query' },
  match: (path) => RULE_FILE.test(path),
  format: 'yaml-documents',
  shape: 'list',
  toRecords: ruleRecords,
});
