/**
 * The YAML guarantees the build kept when lib/parse.ts moved from `yaml` to `js-yaml` (chosen by
 * the bench's numbers): duplicate keys refused, alias uses and alias expansion limited, nesting
 * limited with one message at any depth, hostile keys kept as data.
 */
import { describe, expect, it } from 'vitest';
import { parseYaml, parseYamlDocuments } from '../../src/sources/lib/parse.js';
import { DEFAULT_LIMITS, type Limits } from '../../src/sources/types.js';

const L = DEFAULT_LIMITS;
const err = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

/** `levels` anchors, each a list of `width` aliases of the one before: width^levels strings if expanded. */
function aliasBomb(levels: number, width: number): string {
  const lines = ['l0: &l0 "lol"'];
  for (let i = 1; i <= levels; i++) lines.push(`l${i}: &l${i} [${Array(width).fill(`*l${i - 1}`).join(', ')}]`);
  return lines.join('\n');
}

/** `depth` nested flow lists around one scalar: a value `depth` levels deep. */
const nested = (depth: number) => `${'['.repeat(depth)}x${']'.repeat(depth)}`;

describe('YAML limits', () => {
  it('refuses a duplicate key, in one document and in any document of several', () => {
    expect(err(() => parseYaml('a: 1\nb: 2\na: 3\n', L))).toMatch(/^duplicated mapping key/);
    expect(err(() => parseYamlDocuments('a: 1\n---\nb: 1\nb: 2\n', L))).toMatch(/^YAML: duplicated mapping key/);
  });

  it('refuses the billion laughs and a doubling chain that stays under the alias count', () => {
    expect(err(() => parseYaml(aliasBomb(9, 10), L))).toBe(`aliases expand the document more than ${L.maxYamlAliases}-fold`);
    // 40 levels of 2 aliases: 80 alias nodes, under the limit of 100, but 2^40 strings if walked.
    expect(aliasBomb(40, 2).match(/\*/g)).toHaveLength(80);
    expect(err(() => parseYamlDocuments(aliasBomb(40, 2), L))).toBe(`aliases expand the document more than ${L.maxYamlAliases}-fold`);
  });

  it('limits alias uses per document to maxYamlAliases, and follows a lower configured limit', () => {
    const uses = (n: number) => `a: &a 1\nb: [${Array(n).fill('*a').join(', ')}]\n`;
    expect(parseYaml(uses(L.maxYamlAliases), L)).toEqual({ a: 1, b: Array(L.maxYamlAliases).fill(1) });
    expect(err(() => parseYaml(uses(L.maxYamlAliases + 1), L))).toMatch(/aliases exceeded maxAliases \(100\)/);
    const strict: Limits = { ...L, maxYamlAliases: 3 };
    expect(err(() => parseYaml(uses(4), strict))).toMatch(/aliases exceeded maxAliases \(3\)/);
  });

  it('keeps ordinary anchors: the value reads as if the alias were written out', () => {
    const v = parseYaml('base: &b {product: windows, category: process_creation}\nrule: {logsource: *b}\n', L);
    expect(v).toEqual({ base: { product: 'windows', category: 'process_creation' }, rule: { logsource: { product: 'windows', category: 'process_creation' } } });
  });

  it('refuses an alias inside its own anchor (a cycle a walker would never leave)', () => {
    expect(err(() => parseYaml('a: &a [1, *a]\n', L))).toBe('an alias refers to a node that contains it');
  });

  it('accepts exactly maxDepth levels and refuses one more, with the same message far deeper', () => {
    expect(parseYaml(nested(L.maxDepth), L)).toBeDefined();
    expect(err(() => parseYaml(nested(L.maxDepth + 1), L))).toBe(`nested deeper than ${L.maxDepth} levels`);
    expect(err(() => parseYaml(nested(5000), L))).toBe(`nested deeper than ${L.maxDepth} levels`);
    expect(err(() => parseYamlDocuments(`a: 1\n---\n${nested(5000)}\n`, L))).toBe(`nested deeper than ${L.maxDepth} levels`);
    const blocks = Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n');
    expect(err(() => parseYaml(blocks, L))).toBe(`nested deeper than ${L.maxDepth} levels`);
    // An empty innermost list is one level less deep than a list holding a scalar.
    expect(parseYaml(`${'['.repeat(L.maxDepth + 1)}${']'.repeat(L.maxDepth + 1)}`, L)).toBeDefined();
  });

  it('keeps `__proto__` a plain key, does not run tags, and reads an empty file as null', () => {
    const v = parseYaml('__proto__: {polluted: true}\nx: 1\n', L) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__', 'x']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(err(() => parseYaml('a: !!js/function "function () {}"\n', L))).toMatch(/unknown scalar tag/);
    expect(parseYaml('', L)).toBeNull();
    expect(parseYaml('# only a comment\n', L)).toBeNull();
    expect(parseYamlDocuments('---\n---\na: 1\n', L)).toEqual([{ a: 1 }]);
    expect(err(() => parseYaml('a: 1\n---\nb: 2\n', L))).toBe('the file holds several YAML documents, one was expected');
  });

  it('reads dates as text, as the YAML 1.2 core schema does', () => {
    expect(parseYaml('date: 2023-01-11\nmodified: 2023/01/11\n', L)).toEqual({ date: '2023-01-11', modified: '2023/01/11' });
  });
});
