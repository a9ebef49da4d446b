/**
 * Atomic Red Team (redcanaryco/atomic-red-team): one resource per entry of `atomic_tests` in
 * `atomics/Txxxx/Txxxx.yaml`, in upstream order. Commands are kept as text only (capped), never run.
 */
import type { ResourceRecord, ResourceFacets, TechniqueRef } from './types.js';
import { defineFileSource, type FileInput } from './lib/file-source.js';
import { capString, isRecord, oneOrMany, type Mapping } from './lib/values.js';
import { oneLine } from './lib/links.js';

const REPO = 'redcanaryco/atomic-red-team';
const DEFAULT_REF = 'master';
/** Long commands are cut here so pages stay small; the link leads to the full text. */
export const ATOMIC_COMMAND_MAX = 2000;

/**
 * GitHub's heading anchor: lower-case, drop everything but letters, marks, digits, `_`, `-` and
 * spaces, then each space becomes `-` (so "#1 - Foo" gives "1---foo"). Upstream's own ToC
 * slugify strips a fixed punctuation list instead; GitHub's rule is the one the page honours.
 */
export function githubAnchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Link to the test's section of the generated technique page (`## Atomic Test #n - name`). */
function atomicTestUrl({ path, link }: FileInput, n: number, name: string): string {
  const techniqueFolder = path.split('/')[1]!;
  const page = link(`atomics/${techniqueFolder}/${techniqueFolder}.md`);
  return `${page}#${githubAnchor(`Atomic Test #${n} - ${name}`)}`;
}

/** `attack_technique` is a string upstream; a list is accepted too. */
function techniqueRefs(value: unknown): TechniqueRef[] {
  return oneOrMany(value).map((id) => ({ id }));
}

/** What analyses read: the test's platforms, its executor and whether it needs admin rights. */
export function atomicFacets(test: Mapping): ResourceFacets {
  const executor = isRecord(test.executor) ? test.executor : {};
  const name = typeof executor.name === 'string' ? executor.name.trim().toLowerCase() : '';
  return {
    platforms: oneOrMany(test.supported_platforms).map((p) => p.trim().toLowerCase()).filter(Boolean),
    executors: name ? [name] : [],
    elevation: executor.elevation_required === true,
  };
}

function testRecord(test: Mapping, n: number, techniques: TechniqueRef[], input: FileInput): ResourceRecord {
  const executor = isRecord(test.executor) ? test.executor : {};
  const name = typeof test.name === 'string' && test.name.trim() ? test.name.trim() : `Atomic Test #${n}`;
  const executorName = typeof executor.name === 'string' ? executor.name : undefined;
  const command = executorName === 'manual' ? executor.steps : executor.command;
  const meta: Record<string, unknown> = {
    number: n,
    platforms: oneOrMany(test.supported_platforms),
    executor: executorName,
    elevation: executor.elevation_required === true,
    inputs: isRecord(test.input_arguments) ? Object.keys(test.input_arguments).length : 0,
    dependencies: Array.isArray(test.dependencies) ? test.dependencies.length : 0,
  };
  if (typeof test.dependency_executor_name === 'string') meta.dependencyExecutor = test.dependency_executor_name;
  const cmd = capString(command, ATOMIC_COMMAND_MAX);
  if (cmd) meta.command = cmd;
  const cleanup = capString(executor.cleanup_command, ATOMIC_COMMAND_MAX);
  if (cleanup) meta.cleanup = cleanup;
  return {
    key: `${input.path}#${n}`,
    upstreamId: typeof test.auto_generated_guid === 'string' ? test.auto_generated_guid : undefined,
    title: name,
    url: atomicTestUrl(input, n, name),
    description: oneLine(test.description),
    deprecated: false,
    file: input.file,
    meta,
    facets: atomicFacets(test),
    techniques,
  };
}

function* testRecords(doc: Mapping, input: FileInput): Generator<ResourceRecord> {
  const { warn } = input;
  if (!Array.isArray(doc.atomic_tests)) {
    warn('`atomic_tests` is not a list');
    return;
  }
  const techniques = techniqueRefs(doc.attack_technique);
  if (!techniques.length) warn('`attack_technique` is missing or not a string: tests kept without a technique');
  for (const [i, test] of doc.atomic_tests.entries()) {
    if (!isRecord(test)) {
      warn(`atomic test #${i + 1} is not a mapping: skipped`);
      continue;
    }
    yield testRecord(test, i + 1, techniques, input);
  }
}

export const atomicRedTeamSource = defineFileSource({
  name: 'atomic-red-team',
  title: 'Atomic Red Team',
  pillar: 'test',
  order: 10,
  homepage: 'https://atomicredteam.io/',
  upstream: { repo: REPO, defaultRef: DEFAULT_REF, paths: ['atomics/T*/T*.yaml'] },
  license: 'MIT',
  resourceKind: 'Atomic test (one entry of `atomic_tests` in `atomics/Txxxx/Txxxx.yaml`)',
  mapsVia: '`attack_technique` of the file',
  techniquePage: `https://github.com/${REPO}/blob/${DEFAULT_REF}/atomics/{id}/{id}.md`,
  summaryFields: ['platforms', 'executor', 'elevation'],
  // Only atomics/<T…>/<T…>.yaml, as upstream's own generator globs them.
  match: (path) => /^atomics\/T[^/]*\/T[^/]*\.yaml$/.test(path),
  format: 'yaml',
  shape: 'mapping',
  toRecords: testRecords,
});
