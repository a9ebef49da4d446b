/**
 * The YAML duplicate-key check: the library's own (`uniqueKeys: true`) compares every key of a
 * mapping with every earlier one, so a rule file of many keys froze the server for minutes. Ours
 * is linear and must refuse exactly what the library refuses.
 */
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseYaml, parseYamlDocuments } from '../../src/sources/lib/parse.js';
import { DEFAULT_LIMITS } from '../../src/sources/types.js';
import { rng } from './damage.js';

const libraryRefuses = (text: string) => parseAllDocuments(text, { uniqueKeys: true }).some((d) => d.errors.some((e) => e.code === 'DUPLICATE_KEY'));
const libraryErrs = (text: string) => parseAllDocuments(text, { uniqueKeys: false }).some((d) => d.errors.length > 0);

function throwsUnique(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch (e) {
    return /Map keys must be unique/.test((e as Error).message);
  }
}

/** Small YAML documents with nested maps, flow maps, sequences, quoted and typed keys that may repeat. */
function randomYaml(rand: () => number): string {
  const keys = ['a', 'b', '"a"', "'b'", '1', '"1"', '01', 'true', '~', 'null', '.nan', '? [x]', '<<'];
  const key = () => keys[Math.floor(rand() * keys.length)]!;
  const lines: string[] = [];
  const block = (indent: string, depth: number) => {
    const n = 1 + Math.floor(rand() * 3);
    for (let i = 0; i < n; i++) {
      const k = key();
      const r = rand();
      if (k.startsWith('?')) lines.push(`${indent}${k}`, `${indent}: v`);
      else if (r < 0.2 && depth < 3) {
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
  it('are refused exactly when the library refuses them (2,000 random documents)', () => {
    const rand = rng(2020);
    let refused = 0;
    for (let i = 0; i < 2000; i++) {
      const text = randomYaml(rand);
      if (libraryErrs(text)) continue;
      const expected = libraryRefuses(text);
      if (expected) refused++;
      expect(throwsUnique(() => parseYamlDocuments(text, DEFAULT_LIMITS)), text).toBe(expected);
      if (!text.includes('---')) expect(throwsUnique(() => parseYaml(text, DEFAULT_LIMITS)), text).toBe(expected);
    }
    // Both outcomes were exercised.
    expect(refused).toBeGreaterThan(100);
    expect(refused).toBeLessThan(1900);
  });

  it('name the key and its line', () => {
    expect(() => parseYaml('title: x\ndetection:\n  sel:\n    a: 1\n    b: 2\n    a: 3\n', DEFAULT_LIMITS)).toThrow('Map keys must be unique: "a" repeated at line 6');
  });

  it('a mapping of 150,000 distinct keys (2 MB) is read: linear, not minutes', () => {
    const n = 150_000;
    const text = `title: x\ndetection:\n  selection:\n${Array.from({ length: n }, (_, i) => `    key${i}: v\n`).join('')}  condition: selection\n`;
    expect(text.length).toBeGreaterThan(2_000_000);
    const doc = parseYaml(text, DEFAULT_LIMITS) as { detection: { selection: Record<string, string> } };
    expect(Object.keys(doc.detection.selection)).toHaveLength(n);
    expect(() => parseYaml(`${text.slice(0, -'  condition: selection\n'.length)}    key${n - 1}: again\n`, DEFAULT_LIMITS))
      .toThrow(`"key${n - 1}" repeated at line ${n + 4}`);
  });
});
