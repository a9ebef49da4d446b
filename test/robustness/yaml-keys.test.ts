/**
 * The YAML duplicate-key check. The `yaml` library's own (`uniqueKeys: true`) compared every key
 * of a mapping with every earlier one, so a rule file of many keys froze the server for minutes.
 * js-yaml's (lib/parse.ts) is one lookup per key: it must be linear, and refuse exactly the
 * mappings where two keys would become the same property of the parsed object, which this test
 * works out with the other library, `yaml`, reading the same text without its key check.
 */
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import { ParseError, parseProblem, parseYaml, parseYamlDocuments } from '../../src/sources/lib/parse.js';
import { DEFAULT_LIMITS } from '../../src/sources/types.js';
import { rng } from './damage.js';

const libraryErrs = (text: string) => parseAllDocuments(text, { uniqueKeys: false }).some((d) => d.errors.length > 0);

/** Whether some mapping of the text has two scalar keys that name the same object property. */
function repeatsAKey(text: string): boolean {
  const stack: unknown[] = parseAllDocuments(text, { uniqueKeys: false }).map((d) => d.contents);
  while (stack.length) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (isScalar(pair.key)) {
          const name = String(pair.key.value);
          if (seen.has(name)) return true;
          seen.add(name);
        }
        stack.push(pair.value);
      }
    } else if (isSeq(node)) stack.push(...node.items);
  }
  return false;
}

function throwsUnique(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch (e) {
    return /duplicated mapping key/.test((e as Error).message);
  }
}

/** Small YAML documents with nested maps, flow maps, sequences, quoted and typed keys that may repeat. */
function randomYaml(rand: () => number): string {
  // No `<<` (a merge key to js-yaml, a plain key to `yaml` 1.2) and no complex keys (each library names them its own way).
  const keys = ['a', 'b', '"a"', "'b'", '1', '"1"', '01', 'true', '"true"', '~', 'null', '.nan'];
  const key = () => keys[Math.floor(rand() * keys.length)]!;
  const lines: string[] = [];
  const block = (indent: string, depth: number) => {
    const n = 1 + Math.floor(rand() * 3);
    for (let i = 0; i < n; i++) {
      const k = key();
      const r = rand();
      if (r < 0.2 && depth < 3) {
        lines.push(`${indent}${k}:`);
        block(`${indent}  `, depth + 1);
      } else if (r < 0.35) lines.push(`${indent}${k}: {${key()}: 1, ${key()}: 2}`);
      else if (r < 0.45) lines.push(`${indent}${k}:`, `${indent}  - ${key()}: 1`, `${indent}    ${key()}: 2`);
      else lines.push(`${indent}${k}: v`);
    }
  };
  block('', 0);
  if (rand() < 0.2) lines.push('---', `${key()}: 1`, `${key()}: 2`);
  return `${lines.join('\n')}\n`;
}

describe('duplicate YAML keys', () => {
  it('are refused exactly when two keys of one mapping name the same property (2,000 random documents)', () => {
    const rand = rng(2020);
    let refused = 0;
    for (let i = 0; i < 2000; i++) {
      const text = randomYaml(rand);
      if (libraryErrs(text)) continue;
      const expected = repeatsAKey(text);
      if (expected) refused++;
      expect(throwsUnique(() => parseYamlDocuments(text, DEFAULT_LIMITS)), text).toBe(expected);
      if (!text.includes('---')) expect(throwsUnique(() => parseYaml(text, DEFAULT_LIMITS)), text).toBe(expected);
    }
    // Both outcomes were exercised.
    expect(refused).toBeGreaterThan(100);
    expect(refused).toBeLessThan(1900);
  });

  const problem = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError);
      return parseProblem(e);
    }
    return 'no error';
  };

  it('name the key and its line, in block and flow mappings, quoted or not', () => {
    expect(problem(() => parseYaml('title: x\ndetection:\n  sel:\n    a: 1\n    b: 2\n    a: 3\n', DEFAULT_LIMITS))).toBe('duplicate key `a` at line 6');
    expect(problem(() => parseYamlDocuments('x: 1\n---\ny: {b: 1, "b": 2}\n', DEFAULT_LIMITS))).toBe('duplicate key `b` at line 3');
    expect(problem(() => parseYaml('tags: [a]\nlevel: low\n\'tags\': [b]\n', DEFAULT_LIMITS))).toBe('duplicate key `tags` at line 3');
  });

  it('other syntax errors keep their line', () => {
    expect(problem(() => parseYaml('a: 1\nb: "open\n', DEFAULT_LIMITS))).toMatch(/ at line 3$/);
  });

  it('a mapping of 150,000 distinct keys (2 MB) is read: linear, not minutes', () => {
    const n = 150_000;
    const text = `title: x\ndetection:\n  selection:\n${Array.from({ length: n }, (_, i) => `    key${i}: v\n`).join('')}  condition: selection\n`;
    expect(text.length).toBeGreaterThan(2_000_000);
    const doc = parseYaml(text, DEFAULT_LIMITS) as { detection: { selection: Record<string, string> } };
    expect(Object.keys(doc.detection.selection)).toHaveLength(n);
    expect(problem(() => parseYaml(`${text.slice(0, -'  condition: selection\n'.length)}    key${n - 1}: again\n`, DEFAULT_LIMITS)))
      .toBe(`duplicate key \`key${n - 1}\` at line ${n + 4}`);
  });
});
