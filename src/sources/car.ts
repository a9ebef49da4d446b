/**
 * MITRE Cyber Analytics Repository (mitre-attack/car), `analytics/CAR-*.yaml`. Two sources:
 *
 * - `car`: one resource per analytic.
 * - `car-unit-tests`: one resource per entry of an analytic's `unit_tests` (key
 *   `analytics/<file>#n`, n from 1, the "Test Case n" of the CAR page), because each test case
 *   has its own configuration and commands a purple teamer runs separately. Commands are kept as
 *   capped text, never executed. A test inherits its analytic's ATT&CK mapping.
 *
 * ATT&CK mapping: every `coverage[]` entry maps the analytic to its `technique` AND to each of
 * its `subtechniques` (the CAR page lists the technique with its sub-techniques and one coverage
 * level for the entry). Each (analytic, technique) pair is kept once; when an id repeats with
 * different coverage levels (CAR-2014-04-003 lists T1059 twice), the pair's note keeps them all.
 *
 * File-level failures (unreadable, bad YAML, not an analytic) are reported by both sources,
 * since both lose the file; shape problems of `coverage` are reported by `car` only and those of
 * `unit_tests` by `car-unit-tests` only, so that no problem is reported twice by one build.
 */
import { capList as capListTo, capText, distinct, facetNames, isRecord as isMap, metaSetter, str, trimmedList as strings, typeName, type Mapping as YamlMap } from './lib/values.js';
import { defineFileSource, type FileInput, type KitInfo } from './lib/file-source.js';
import { namedLogSources, ruleLogic } from './lib/logic.js';
import type { LoadContext, LogSourceRef, ResourceRecord, RuleLogic, TechniqueRef } from './types.js';
import { oneLine } from './lib/links.js';

const SITE = 'https://car.mitre.org';
const ANALYTIC_FILE = /^analytics\/[^/]+\.yaml$/;
/** Only ids of this shape become a car.mitre.org path; anything else could escape the URL. */
const CAR_ID = /^CAR-\d{4}-\d{2}-\d{3}$/;
export const CAR_COMMAND_MAX = 2000;
const LIST_MAX = 20;
const TEXT_MAX = 200;

const capList = (list: string[]) => capListTo(list, LIST_MAX);

function dateText(v: unknown): string | undefined {
  return str(v)?.replace(/^(\d{4})\/(\d{2})\/(\d{2})$/, '$1-$2-$3');
}

export function carAnalyticUrl(id: string): string {
  return `${SITE}/analytics/${id}/`;
}

/** Upstream spells the same language several ways (`pseudocode`, `Pseudocode`, `psuedocode`, `splunk`). */
const LANGUAGES: Record<string, string> = {
  pseudocode: 'Pseudocode', psuedocode: 'Pseudocode', splunk: 'Splunk', eql: 'EQL', sigma: 'Sigma',
  logpoint: 'LogPoint', dnif: 'DNIF', elastic: 'Elastic', kql: 'KQL',
};

export function carLanguages(implementations: unknown): string[] {
  if (!Array.isArray(implementations)) return [];
  const types = implementations.filter(isMap).map((i) => str(i.type)).filter((t): t is string => t !== undefined);
  return distinct(types.map((t) => LANGUAGES[t.toLowerCase()] ?? t));
}

/**
 * An analytic is an executable rule when `implementations` holds code for a SIEM or EDR (Splunk,
 * EQL, LogPoint, DNIF, Sigma, KQL …); with pseudocode only, or nothing, it is guidance.
 */
export function carKind(implementations: unknown): 'rule' | 'guidance' {
  return carLanguages(implementations).some((l) => l !== 'Pseudocode') ? 'rule' : 'guidance';
}

export interface CarCoverage {
  techniques: TechniqueRef[];
  tactics: string[];
  levels: string[];
  problems: string[];
}

/** ATT&CK mapping of an analytic's `coverage` list (see the module comment). */
export function carCoverage(coverage: unknown): CarCoverage {
  const levelsById = new Map<string, { id: string; levels: string[] }>();
  const tactics: string[] = [];
  const allLevels: string[] = [];
  const problems = new Set<string>();
  const add = (id: string, level: string | undefined) => {
    const k = id.toUpperCase();
    const entry = levelsById.get(k) ?? { id, levels: [] };
    if (level && !entry.levels.includes(level)) entry.levels.push(level);
    levelsById.set(k, entry);
  };
  if (coverage !== undefined && coverage !== null && !Array.isArray(coverage)) problems.add(`\`coverage\` is a ${typeName(coverage)}, not a list: ignored`);
  for (const item of Array.isArray(coverage) ? coverage : []) {
    if (!isMap(item)) {
      problems.add('`coverage` holds entries that are not mappings: they are ignored');
      continue;
    }
    const technique = str(item.technique);
    const level = str(item.coverage);
    if (level) allLevels.push(level);
    tactics.push(...strings(item.tactics));
    if (technique) add(technique, level);
    else problems.add('a `coverage` entry has no `technique` string');
    if (item.subtechniques !== undefined && item.subtechniques !== null && !Array.isArray(item.subtechniques)) {
      problems.add(`\`coverage.subtechniques\` is a ${typeName(item.subtechniques)}, not a list: ignored`);
    } else if (Array.isArray(item.subtechniques) && item.subtechniques.some((s) => typeof s !== 'string')) {
      problems.add('`coverage.subtechniques` holds entries that are not strings: they are ignored');
    }
    for (const sub of strings(item.subtechniques)) {
      if (technique && !sub.toUpperCase().startsWith(`${technique.toUpperCase()}.`)) problems.add(`sub-technique ${sub} is listed under ${technique}: kept as written`);
      add(sub, level);
    }
  }
  const techniques = [...levelsById.values()].map(({ id, levels }) => (levels.length ? { id, note: `Coverage: ${levels.join(' / ')}` } : { id }));
  return { techniques, tactics: distinct(tactics), levels: distinct(allLevels), problems: [...problems] };
}

interface Analytic {
  file: string;
  pathInRepo: string;
  /** The file on GitHub, the link of an analytic without a CAR id. */
  fileUrl: string;
  doc: YamlMap;
  /** The CAR id, from `id` or else the file name, when it has the CAR shape. */
  carId?: string;
  title: string;
}

/** The analytic a parsed file holds, or undefined after a warning (both CAR sources lose the file). */
function analyticOf(doc: unknown, { file, path: pathInRepo, warn, link }: FileInput): Analytic | undefined {
  const title = isMap(doc) ? str(doc.title) : undefined;
  if (!isMap(doc) || !title) {
    warn(isMap(doc) ? 'not an analytic: no `title`' : `not an analytic: the document is a ${typeName(doc)}`);
    return undefined;
  }
  const stem = pathInRepo.slice('analytics/'.length, -'.yaml'.length);
  const carId = [str(doc.id), stem].find((x) => x !== undefined && CAR_ID.test(x));
  return { file, pathInRepo, fileUrl: link(), doc, carId, title };
}

const STRING_FIELDS = ['id', 'description', 'submission_date', 'information_domain'] as const;
const LIST_FIELDS = ['platforms', 'subtypes', 'analytic_types', 'contributors', 'data_model_references', 'implementations', 'd3fend_mappings'] as const;

function checkFieldTypes(doc: YamlMap, warn: (p: string) => void): void {
  for (const k of STRING_FIELDS) {
    if (doc[k] !== undefined && doc[k] !== null && typeof doc[k] !== 'string') warn(`\`${k}\` is a ${typeName(doc[k])}, not a string: ignored`);
  }
  for (const k of LIST_FIELDS) {
    if (doc[k] !== undefined && doc[k] !== null && !Array.isArray(doc[k])) warn(`\`${k}\` is a ${typeName(doc[k])}, not a list: ignored`);
  }
}

function analyticMeta(a: Analytic, cov: CarCoverage): YamlMap {
  const d = a.doc;
  const meta: YamlMap = {};
  const set = metaSetter(meta);
  set('id', a.carId ?? str(d.id));
  set('platforms', capList(strings(d.platforms)));
  set('informationDomain', str(d.information_domain));
  set('subtypes', capList(strings(d.subtypes)));
  set('analyticTypes', capList(strings(d.analytic_types)));
  set('languages', capList(carLanguages(d.implementations)));
  set('dataModel', capList(strings(d.data_model_references)));
  set('coverage', cov.levels.join(' / ') || undefined);
  set('tactics', cov.tactics);
  set('d3fend', capList(Array.isArray(d.d3fend_mappings) ? d.d3fend_mappings.filter(isMap).map((m) => str(m.id)).filter((x): x is string => x !== undefined) : []));
  const contributors = strings(d.contributors).join(', ');
  set('author', contributors ? oneLine(contributors, TEXT_MAX) : undefined);
  set('date', dateText(d.submission_date));
  set('modified', dateText(d.update_date));
  if (Array.isArray(d.unit_tests) && d.unit_tests.length) meta.unitTests = d.unit_tests.length;
  return meta;
}

/** CAR data-model references (`process/create/exe`) as the object/action pairs the analytic reads. */
function carLogSources(d: YamlMap): LogSourceRef[] {
  return namedLogSources('car', strings(d.data_model_references).map((ref) => ref.split('/').slice(0, 2).join('/')));
}

/** The analytic's pseudocode, else its first implementation with code. */
function carLogic(implementations: unknown): RuleLogic | undefined {
  const impls = Array.isArray(implementations) ? implementations.filter(isMap) : [];
  const chosen = impls.find((i) => str(i.type)?.toLowerCase() === 'pseudocode' && str(i.code)) ?? impls.find((i) => str(i.code));
  return chosen ? ruleLogic(str(chosen.type)?.toLowerCase() ?? 'pseudocode', chosen.code) : undefined;
}

function analyticRecord(ctx: LoadContext, a: Analytic): ResourceRecord {
  const warn = (p: string) => ctx.warn(a.file, p);
  checkFieldTypes(a.doc, warn);
  if (!a.carId) warn('no CAR id (`id` or file name CAR-YYYY-MM-NNN): linked to GitHub');
  const cov = carCoverage(a.doc.coverage);
  for (const p of cov.problems) warn(p);
  return {
    key: a.pathInRepo,
    upstreamId: a.carId ?? str(a.doc.id),
    title: oneLine(a.title),
    url: a.carId ? carAnalyticUrl(a.carId) : a.fileUrl,
    breadcrumb: [],
    description: oneLine(a.doc.description),
    deprecated: false,
    file: a.file,
    meta: analyticMeta(a, cov),
    kind: carKind(a.doc.implementations),
    facets: { ...platformFacet(a.doc), logSources: carLogSources(a.doc) },
    logic: carLogic(a.doc.implementations),
    techniques: cov.techniques,
  };
}

/** Text of a test's `description` (a string upstream; the schema allows a list of strings). */
function testDescription(v: unknown): string | undefined {
  return str(v) ?? (strings(v).join(' ') || undefined);
}

function checkTest(test: YamlMap, n: number, warn: (p: string) => void): void {
  for (const k of ['configurations', 'commands'] as const) {
    const v = test[k];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v)) warn(`unit test #${n}: \`${k}\` is a ${typeName(v)}, not a list: ignored`);
    else if (v.some((x) => typeof x !== 'string')) warn(`unit test #${n}: \`${k}\` holds entries that are not strings: they are ignored`);
  }
}

/** The platforms an analytic names: where its tests run and what it watches. */
function platformFacet(doc: YamlMap): { platforms?: string[] } {
  const platforms = facetNames(strings(doc.platforms));
  return platforms.length ? { platforms } : {};
}

function unitTestRecord(ctx: LoadContext, a: Analytic, test: YamlMap, n: number, total: number, techniques: TechniqueRef[]): ResourceRecord {
  checkTest(test, n, (p) => ctx.warn(a.file, p));
  const commands = strings(test.commands);
  const meta: YamlMap = { analytic: a.carId ?? a.pathInRepo, testCase: n, testCases: total };
  const configurations = capList(strings(test.configurations).map((c) => oneLine(c, TEXT_MAX)));
  if (configurations.length) meta.configurations = configurations;
  if (commands.length) {
    meta.commands = capText(commands.join('\n'), CAR_COMMAND_MAX);
    meta.commandCount = commands.length;
  }
  const platforms = capList(strings(a.doc.platforms));
  if (platforms.length) meta.platforms = platforms;
  return {
    key: `${a.pathInRepo}#${n}`,
    upstreamId: a.carId ? `${a.carId}#test-${n}` : undefined, // one analytic holds several tests: each needs its own id
    title: `${oneLine(a.title)}: test case ${n}`,
    url: a.carId ? `${carAnalyticUrl(a.carId)}#test-case-${n}` : a.fileUrl,
    breadcrumb: [a.carId ?? a.pathInRepo],
    description: oneLine(testDescription(test.description)),
    deprecated: false,
    file: a.file,
    meta,
    facets: platformFacet(a.doc),
    techniques,
  };
}

function* unitTestRecords(ctx: LoadContext, a: Analytic): Generator<ResourceRecord> {
  const tests = a.doc.unit_tests;
  if (tests === undefined || tests === null) return;
  if (!Array.isArray(tests)) {
    ctx.warn(a.file, `\`unit_tests\` is a ${typeName(tests)}, not a list: ignored`);
    return;
  }
  const techniques = carCoverage(a.doc.coverage).techniques;
  for (const [i, test] of tests.entries()) {
    if (!isMap(test)) ctx.warn(a.file, `unit test #${i + 1} is not a mapping: skipped`);
    else yield unitTestRecord(ctx, a, test, i + 1, tests.length, techniques);
  }
}

/** What both sources share: they read the same files. */
function common(): Pick<KitInfo, 'homepage' | 'folder' | 'upstream' | 'license'> & { match: (path: string) => boolean; format: 'yaml' } {
  return {
    homepage: `${SITE}/`,
    folder: 'car',
    upstream: { repo: 'mitre-attack/car', defaultRef: 'master', paths: ['analytics/*.yaml'] },
    license: 'Apache-2.0',
    match: (path) => ANALYTIC_FILE.test(path),
    format: 'yaml',
  };
}

export const carSource = defineFileSource({
  ...common(),
  name: 'car',
  title: 'MITRE Cyber Analytics Repository',
  pillar: 'detection',
  order: 40,
  resourceKind: 'CAR analytic (one YAML file; pseudocode and SIEM implementations)',
  mapsVia: '`coverage[].technique` and `coverage[].subtechniques[]`',
  summaryFields: ['id', 'languages', 'coverage'],
  detectionKind: {
    kind: 'guidance', perRecord: true,
    why: 'an analytic is a rule when `implementations` holds code for a SIEM (Splunk, EQL, LogPoint, DNIF, Sigma …), guidance when it has pseudocode only',
  },
  toRecords: (doc, input) => {
    const a = analyticOf(doc, input);
    return a ? [analyticRecord(input.ctx, a)] : [];
  },
});

export const carUnitTestsSource = defineFileSource({
  ...common(),
  name: 'car-unit-tests',
  title: 'MITRE CAR Unit Tests',
  pillar: 'test',
  order: 40,
  resourceKind: 'CAR analytic unit test (one `unit_tests` entry: configuration, description, commands)',
  mapsVia: 'the ATT&CK coverage of the analytic the test belongs to',
  summaryFields: ['analytic', 'configurations'],
  toRecords: (doc, input) => {
    const a = analyticOf(doc, input);
    return a ? unitTestRecords(input.ctx, a) : [];
  },
});
