/**
 * `yaml` against `js-yaml` on the YAML corpora the build reads most (Sigma, Splunk, Atomic Red
 * Team), in one process, alternating which runs first. `yaml` is called the way lib/parse.ts
 * called it before js-yaml replaced it (unique keys, alias limit, depth check), and once without
 * the unique-key check, the option measured to cost most; js-yaml is lib/parse.ts as it is. Every
 * file's parsed documents are compared, so a speed-up that changed what the build reads shows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { walkFiles } from '../sources/lib/files.js';
import { depthOf, parseYamlDocuments } from '../sources/lib/parse.js';
import { DEFAULT_LIMITS } from '../core/types.js';

const CORPORA: { name: string; folder: string; accept: RegExp }[] = [
  { name: 'Sigma', folder: 'sigma', accept: /^rules[^/]*\/(?:[^/]+\/)*[^/]+\.yml$/ },
  { name: 'Splunk', folder: 'splunk', accept: /^(?:detections|stories)\/(?:[^/]+\/)*[^/]+\.yml$/ },
  { name: 'Atomic Red Team', folder: 'atomic-red-team', accept: /^atomics\/T[^/]*\/T[^/]*\.yaml$/ },
];

const ROUNDS = 3;

type Parser = (text: string) => unknown[];

function yamlPackage(uniqueKeys: boolean): Parser {
  return (text) => parseAllDocuments(text, { uniqueKeys, prettyErrors: false }).flatMap((doc) => {
    if (doc.errors.length) throw new Error(doc.errors[0]!.message);
    const value: unknown = doc.toJS({ maxAliasCount: DEFAULT_LIMITS.maxYamlAliases });
    if (value === null || value === undefined) return [];
    if (depthOf(value, DEFAULT_LIMITS.maxDepth) > DEFAULT_LIMITS.maxDepth) throw new Error('too deep');
    return [value];
  });
}

const PARSERS: Record<string, Parser> = {
  'js-yaml': (text) => parseYamlDocuments(text, DEFAULT_LIMITS),
  yaml: yamlPackage(true),
  'yaml, no unique-key check': yamlPackage(false),
};

export interface YamlCorpusResult {
  corpus: string;
  files: number;
  bytes: number;
  /** Median milliseconds per parser over the rounds. */
  ms: Record<string, number>;
  /** Files that failed to parse, per parser. */
  errors: Record<string, number>;
  /** Files whose documents (or failure) differ from js-yaml's, per parser. */
  differ: Record<string, number>;
}

function outcome(parse: Parser, text: string): string {
  try {
    return JSON.stringify(parse(text));
  } catch {
    return 'error';
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function measureYaml(dataDir: string): YamlCorpusResult[] {
  return CORPORA.map(({ name, folder, accept }) => {
    const texts = walkFiles(join(dataDir, folder), (_n, rel) => accept.test(rel)).map((rel) => readFileSync(join(dataDir, folder, rel), 'utf8'));
    const names = Object.keys(PARSERS);
    const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    const outcomes: Record<string, string[]> = {};
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...names].reverse() : names;
      for (const n of order) {
        const t0 = performance.now();
        const out = texts.map((t) => outcome(PARSERS[n]!, t));
        times[n]!.push(performance.now() - t0);
        outcomes[n] = out;
      }
    }
    const reference = outcomes['js-yaml']!;
    return {
      corpus: name, files: texts.length, bytes: texts.reduce((s, t) => s + Buffer.byteLength(t), 0),
      ms: Object.fromEntries(names.map((n) => [n, median(times[n]!)])),
      errors: Object.fromEntries(names.map((n) => [n, outcomes[n]!.filter((o) => o === 'error').length])),
      differ: Object.fromEntries(names.map((n) => [n, outcomes[n]!.filter((o, i) => o !== reference[i]).length])),
    };
  });
}
