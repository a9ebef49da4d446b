/**
 * The damage generator of the robustness suite: pure functions that take a real upstream file's
 * bytes and its format and return named, damaged variants. Randomness comes from a seeded PRNG
 * so every run is reproducible (the seed is printed by the tests on failure). Each generator
 * checks that its damage really is what it claims (a duplicate key the parser rejects, an alias
 * bomb over the limit), and returns nothing when the file offers no place for it.
 */
import { Parser as N3Parser } from 'n3';
import { parseAllDocuments, parse as parseYamlText, stringify as stringifyYaml } from 'yaml';
import { parse as parseTomlText, stringify as stringifyToml } from 'smol-toml';

export type Format = 'yaml' | 'json' | 'toml' | 'ndjson' | 'conf' | 'turtle' | 'text';

export type DamageKind =
  | 'truncate' | 'invalid-utf8' | 'bom' | 'crlf' | 'duplicate-key' | 'billion-laughs' | 'huge' | 'deep-nesting'
  | 'wrong-type' | 'id-nul' | 'id-case' | 'id-space';

export const DAMAGE_KINDS: readonly DamageKind[] = [
  'truncate', 'invalid-utf8', 'bom', 'crlf', 'duplicate-key', 'billion-laughs', 'huge', 'deep-nesting',
  'wrong-type', 'id-nul', 'id-case', 'id-space',
];

/** Which damage makes sense for which format; the rest has no such notion (no aliases in JSON, no types in a .conf). */
export function applicable(kind: DamageKind, format: Format): boolean {
  switch (kind) {
    case 'billion-laughs':
      return format === 'yaml';
    case 'deep-nesting':
      return format === 'yaml' || format === 'json' || format === 'ndjson' || format === 'toml' || format === 'turtle';
    case 'wrong-type':
      return format === 'yaml' || format === 'json' || format === 'ndjson' || format === 'toml';
    default:
      return true;
  }
}

export type Path = (string | number)[];

export interface Damage {
  kind: DamageKind;
  /** Reproducible description: `truncate@1234/5678`, `wrong-type rule.name=42`. */
  name: string;
  bytes: Buffer;
  /** The file is extended with a hole to this size after `bytes` are written (a sparse file: quick to make). */
  sparseSize?: number;
  /** wrong-type: the path of the damaged field and which replacement it got. */
  field?: { path: Path; replacement: WrongValue };
  /** wrong-type: the undamaged document written the same way, and written without the field. */
  control?: Buffer;
  removed?: Buffer;
  /** truncate: the cut still parses (valid UTF-8 and a well-formed document), so nothing may tell it from a shorter file. */
  parses?: boolean;
  /** id damages: the id as the file wrote it and its damaged spelling. */
  id?: { from: string; to: string };
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness

export type Rand = () => number;

/** mulberry32: small, fast, and the same sequence on every platform. */
export function rng(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A sub-seed per (source, damage): adding a source or a damage kind does not move the others. */
export function seedFor(seed: number, ...parts: string[]): number {
  let h = 0x811c9dc5 ^ seed;
  for (const c of parts.join('\u0001')) {
    h ^= c.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function pick<T>(rand: Rand, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

// ---------------------------------------------------------------------------------------------
// Byte-level damage

export function truncate(bytes: Buffer, format: Format, rand: Rand): Damage[] {
  if (bytes.length < 2) return [];
  const at = 1 + Math.floor(rand() * (bytes.length - 1));
  const cut = bytes.subarray(0, at);
  const parses = wellFormed(cut, format);
  return [{ kind: 'truncate', name: `truncate@${at}/${bytes.length}${parses ? ' (still well-formed)' : ''}`, bytes: cut, parses }];
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Whether the bytes are still a well-formed document of the format (a cut at a clean place is
 * indistinguishable from a shorter file). Line formats (.conf, text) always are.
 */
export function wellFormed(bytes: Buffer, format: Format): boolean {
  let s: string;
  try {
    s = strictUtf8.decode(bytes);
  } catch {
    return false;
  }
  try {
    switch (format) {
      case 'yaml':
        return parseAllDocuments(s).every((d) => !d.errors.length);
      case 'json':
        JSON.parse(s);
        return true;
      case 'ndjson':
        for (const line of s.split('\n')) if (line.trim()) JSON.parse(line);
        return true;
      case 'toml':
        parseTomlText(s);
        return true;
      case 'turtle':
        new N3Parser({ format: 'text/turtle' }).parse(s);
        return true;
      default:
        return true;
    }
  } catch {
    return false;
  }
}

/** Byte sequences no UTF-8 decoder may accept: a stray 0xFF, a lone continuation byte, an overlong `/`, an encoded surrogate. */
const INVALID_UTF8 = [[0xff], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80]];

export function invalidUtf8(bytes: Buffer, rand: Rand): Damage[] {
  const seq = Buffer.from(pick(rand, INVALID_UTF8));
  let at = Math.floor(rand() * (bytes.length + 1));
  // At a character boundary, so the damage is the inserted bytes and nothing else.
  while (at < bytes.length && (bytes[at]! & 0xc0) === 0x80) at++;
  const hex = [...seq].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return [{ kind: 'invalid-utf8', name: `invalid-utf8 [${hex}]@${at}`, bytes: Buffer.concat([bytes.subarray(0, at), seq, bytes.subarray(at)]) }];
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export function bom(bytes: Buffer): Damage[] {
  if (bytes.subarray(0, 3).equals(BOM)) return [];
  return [{ kind: 'bom', name: 'bom', bytes: Buffer.concat([BOM, bytes]) }];
}

/** Every LF not already preceded by CR becomes CRLF. */
export function crlf(bytes: Buffer): Damage[] {
  // latin1 maps every byte to one character and back, so the bytes between line ends are untouched.
  const s = bytes.toString('latin1');
  const changed = (s.match(/(?<!\r)\n/g) ?? []).length;
  return changed ? [{ kind: 'crlf', name: `crlf (${changed} lines)`, bytes: Buffer.from(s.replace(/(?<!\r)\n/g, '\r\n'), 'latin1') }] : [];
}

export const HUGE_BYTES = 50 * 1024 * 1024;

/** The real content followed by a hole up to 50 MiB: a file that must be refused by its size alone. */
export function huge(bytes: Buffer): Damage[] {
  return [{ kind: 'huge', name: `huge ${HUGE_BYTES} bytes (sparse)`, bytes, sparseSize: HUGE_BYTES }];
}

// ---------------------------------------------------------------------------------------------
// Text helpers

const text = (bytes: Buffer) => bytes.toString('utf8');
const buf = (s: string) => Buffer.from(s, 'utf8');

function insertAt(s: string, at: number, piece: string): string {
  return s.slice(0, at) + piece + s.slice(at);
}

function throws(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch {
    return true;
  }
}

/**
 * Indices of YAML lines that are plain `key: value` pairs on one line and not inside a block
 * scalar (`|`, `>`), where a copy of the line is a duplicate key of the same mapping.
 */
function yamlKeyLines(lines: string[]): number[] {
  const out: number[] = [];
  let blockIndent = -1;
  for (const [i, line] of lines.entries()) {
    const indent = line.length - line.trimStart().length;
    if (blockIndent >= 0) {
      if (!line.trim() || indent > blockIndent) continue;
      blockIndent = -1;
    }
    if (/:\s*[|>][-+0-9]*\s*(?:#.*)?$/.test(line) || /^\s*-\s*[|>][-+0-9]*\s*$/.test(line)) {
      blockIndent = indent;
      continue;
    }
    if (/^ *[A-Za-z_][\w.-]*:[ \t]+[^\s|>&*!#'"[{]/.test(line)) out.push(i);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Duplicate keys

const JSON_DUP_VALUE = '"purplebook-duplicate"';

/** `{` of the first object in a JSON text (the top-level one, or the first element of a top-level array). */
function firstObjectBrace(s: string): number {
  const start = s.search(/\S/);
  if (start < 0) return -1;
  if (s[start] === '{') return start;
  if (s[start] === '[') {
    const next = s.slice(start + 1).search(/\S/);
    return next >= 0 && s[start + 1 + next] === '{' ? start + 1 + next : -1;
  }
  return -1;
}

function firstKeyOf(value: unknown): string | undefined {
  const obj: unknown = Array.isArray(value) ? value[0] : value;
  return obj && typeof obj === 'object' && !Array.isArray(obj) ? Object.keys(obj)[0] : undefined;
}

/** In JSON the earlier copy is the one written with another value: `JSON.parse` keeps the last. */
function jsonDuplicate(s: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(s);
  } catch {
    return undefined;
  }
  const key = firstKeyOf(value);
  const brace = firstObjectBrace(s);
  if (key === undefined || brace < 0) return undefined;
  return insertAt(s, brace + 1, `${JSON.stringify(key)}: ${JSON_DUP_VALUE}, `);
}

/** Document lines of an NDJSON text (objects that are not bulk action lines). */
function ndjsonDocLines(lines: string[]): number[] {
  return lines.flatMap((line, i) => {
    try {
      const v: unknown = JSON.parse(line);
      return v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 1 ? [i] : [];
    } catch {
      return [];
    }
  });
}

/** Turtle statement blocks (a line in column 1 after a blank line, to the next blank line), directives excluded. */
function turtleBlocks(lines: string[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < lines.length; i++) {
    if ((i === 0 || !lines[i - 1]!.trim()) && /^[^\s#@]/.test(lines[i]!) && !/^(prefix|base)\s/i.test(lines[i]!)) {
      let end = i;
      while (end < lines.length && lines[end]!.trim()) end++;
      // A whole statement: it ends in ` .` and no long string is left open (a blank line may sit inside one).
      const body = lines.slice(i, end).join('\n');
      if (/\s\.\s*$/.test(lines[end - 1]!) && (body.split('"""').length - 1) % 2 === 0) out.push([i, end]);
    }
  }
  return out;
}

export function duplicateKey(bytes: Buffer, format: Format, rand: Rand): Damage[] {
  const s = text(bytes);
  const lines = s.split('\n');
  const make = (out: string, what: string): Damage[] => [{ kind: 'duplicate-key', name: `duplicate-key ${what}`, bytes: buf(out) }];
  switch (format) {
    case 'yaml': {
      // Copies the line before itself; kept only when the YAML parser indeed rejects the duplicate.
      if (throws(() => parseYamlText(s))) return [];
      const candidates = yamlKeyLines(lines);
      const start = Math.floor(rand() * candidates.length);
      for (let k = 0; k < candidates.length; k++) {
        const i = candidates[(start + k) % candidates.length]!;
        const out = [...lines.slice(0, i), lines[i]!, ...lines.slice(i)].join('\n');
        if (throws(() => parseYamlText(out, { uniqueKeys: true })) && !throws(() => parseYamlText(out, { uniqueKeys: false }))) {
          return make(out, `line ${i + 1} "${lines[i]!.trim().split(':')[0]}"`);
        }
      }
      return [];
    }
    case 'toml': {
      const candidates = lines.flatMap((l, i) => (/^\s*[A-Za-z_][\w-]*\s*=\s*[^[{\s"'`]|^\s*[A-Za-z_][\w-]*\s*=\s*"[^"\\]*"\s*$/.test(l) ? [i] : []));
      const start = Math.floor(rand() * candidates.length);
      for (let k = 0; k < candidates.length; k++) {
        const i = candidates[(start + k) % candidates.length]!;
        const out = [...lines.slice(0, i), lines[i]!, ...lines.slice(i)].join('\n');
        if (throws(() => parseTomlText(out))) return make(out, `line ${i + 1} "${lines[i]!.trim().split('=')[0]!.trim()}"`);
      }
      return [];
    }
    case 'json': {
      const out = jsonDuplicate(s);
      return out === undefined ? [] : make(out, 'first key of the first object, earlier copy');
    }
    case 'ndjson': {
      const docs = ndjsonDocLines(lines);
      if (!docs.length) return [];
      const i = pick(rand, docs);
      const out = jsonDuplicate(lines[i]!);
      if (out === undefined) return [];
      return make([...lines.slice(0, i), out, ...lines.slice(i + 1)].join('\n'), `line ${i + 1}, first key, earlier copy`);
    }
    case 'conf': {
      // A `key = value` line (neither continued nor a continuation) copied over the blank line
      // that ends its stanza: no line moves, so links to stanza lines stay right.
      const candidates: [number, number][] = [];
      for (const [i, l] of lines.entries()) {
        if (i === 0 || !/^[A-Za-z_][\w.]*\s*=/.test(l) || l.endsWith('\\') || lines[i - 1]!.endsWith('\\')) continue;
        let j = i + 1;
        while (j < lines.length && lines[j]!.trim() && !lines[j]!.startsWith('[')) j++;
        if (j < lines.length && !lines[j]!.trim() && !lines[j - 1]!.endsWith('\\')) candidates.push([i, j]);
      }
      if (!candidates.length) return [];
      const [i, j] = pick(rand, candidates);
      return make([...lines.slice(0, j), lines[i]!, ...lines.slice(j + 1)].join('\n'), `line ${i + 1} "${lines[i]!.split('=')[0]!.trim()}" repeated on line ${j + 1}`);
    }
    case 'turtle': {
      const blocks = turtleBlocks(lines);
      if (!blocks.length) return [];
      const [from, to] = pick(rand, blocks);
      const out = [...lines.slice(0, to), '', ...lines.slice(from, to), ...lines.slice(to)].join('\n');
      return make(out, `statement at line ${from + 1} repeated`);
    }
    case 'text': {
      const candidates = lines.flatMap((l, i) => (/^#\s*[A-Za-z][\w.&-]*\s*:/.test(l) ? [i] : []));
      if (!candidates.length) return [];
      const i = pick(rand, candidates);
      return make([...lines.slice(0, i), lines[i]!, ...lines.slice(i)].join('\n'), `header line ${i + 1} repeated`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Billion laughs

/** Ten levels of ten aliases each: 10^10 strings if expanded. */
export function aliasBomb(prefix: string, listItem: boolean): string[] {
  const lol = `[${Array(10).fill('"lol"').join(', ')}]`;
  const lines = [`${listItem ? '- ' : ''}${prefix}0: &${prefix}0 ${lol}`];
  for (let i = 1; i < 10; i++) lines.push(`${listItem ? '- ' : ''}${prefix}${i}: &${prefix}${i} [${Array(10).fill(`*${prefix}${i - 1}`).join(', ')}]`);
  return lines;
}

/** First line of a YAML document's body: below leading comments, blank lines, directives and a `---` marker. */
function bodyStart(lines: string[]): number {
  let at = 0;
  while (at < lines.length && (/^\s*(#.*)?$/.test(lines[at]!) || /^(---|%)/.test(lines[at]!))) at++;
  return at;
}

export function billionLaughs(bytes: Buffer): Damage[] {
  const s = text(bytes);
  let doc: unknown;
  try {
    doc = parseYamlText(s);
  } catch {
    return [];
  }
  const lines = s.split('\n');
  const at = bodyStart(lines);
  const out = [...lines.slice(0, at), ...aliasBomb('lol', Array.isArray(doc)), ...lines.slice(at)].join('\n');
  if (!throws(() => parseYamlText(out, { maxAliasCount: 100 }))) return [];
  return [{ kind: 'billion-laughs', name: 'billion-laughs 10^10', bytes: buf(out) }];
}

// ---------------------------------------------------------------------------------------------
// Deep nesting

export function nested(open: string, close: string, depth: number): string {
  return open.repeat(depth) + close.repeat(depth);
}

/** One variant per depth: just past the configured limit (the limit check), and far past it (parsers that recurse). */
export function deepNesting(bytes: Buffer, format: Format, depths: number[], rand: Rand): Damage[] {
  return depths.flatMap((depth) => nestOnce(bytes, format, depth, rand));
}

function nestOnce(bytes: Buffer, format: Format, depth: number, rand: Rand): Damage[] {
  const s = text(bytes);
  const name = `deep-nesting ${depth}`;
  const make = (out: string): Damage[] => [{ kind: 'deep-nesting', name, bytes: buf(out) }];
  switch (format) {
    case 'yaml': {
      let doc: unknown;
      try {
        doc = parseYamlText(s);
      } catch {
        return [];
      }
      const lines = s.split('\n');
      const at = bodyStart(lines);
      const piece = Array.isArray(doc) ? `- ${nested('[', ']', depth)}` : `purplebook_deep: ${nested('[', ']', depth)}`;
      return make([...lines.slice(0, at), piece, ...lines.slice(at)].join('\n'));
    }
    case 'json': {
      const start = s.search(/\S/);
      if (start < 0 || (s[start] !== '{' && s[start] !== '[')) return [];
      return make(insertAt(s, start + 1, s[start] === '{' ? `"purplebook_deep": ${nested('[', ']', depth)}, ` : `${nested('[', ']', depth)}, `));
    }
    case 'ndjson': {
      const lines = s.split('\n');
      const docs = ndjsonDocLines(lines);
      if (!docs.length) return [];
      const i = pick(rand, docs);
      const line = insertAt(lines[i]!, lines[i]!.indexOf('{') + 1, `"purplebook_deep": ${nested('[', ']', depth)}, `);
      return [{ kind: 'deep-nesting', name: `${name} on line ${i + 1}`, bytes: buf([...lines.slice(0, i), line, ...lines.slice(i + 1)].join('\n')) }];
    }
    case 'toml':
      // A root key must come before the first table header; the top of the file is always root.
      return make(`purplebook_deep = ${nested('[', ']', depth)}\n${s}`);
    case 'turtle':
      return make(`${s}\n<urn:purplebook:deep> <urn:purplebook:p> ${nested('( ', ') ', depth)}.\n`);
    default:
      return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Wrong types

export type WrongValue = 'number' | 'string' | 'list' | 'object' | 'null';

const WRONG: Record<WrongValue, unknown> = {
  number: 42,
  string: 'purplebook-wrong-type',
  list: [42, 'purplebook-wrong-type'],
  object: { purplebook: 'wrong-type' },
  null: null,
};

function typeOf(v: unknown): WrongValue | 'boolean' | 'date' {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Date) return 'date';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  return 'string';
}

/** The wrong types for a field: number, list, object, null, with a string in place of the field's own type. */
export function wrongValuesFor(v: unknown, format: Format): WrongValue[] {
  const t = typeOf(v);
  const out: WrongValue[] = (['number', 'list', 'object', 'null'] as const).map((w) => (w === t ? 'string' : w));
  // TOML has no null: the field can only be wrong, not empty.
  return format === 'toml' ? out.filter((w) => w !== 'null') : out;
}

function getAt(doc: unknown, path: Path): unknown {
  let v = doc;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[p] : undefined;
  return v;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function parseStructured(s: string, format: Format): unknown {
  if (format === 'yaml') return parseYamlText(s);
  if (format === 'toml') return parseTomlText(s);
  return JSON.parse(s);
}

function serialize(doc: unknown, format: Format, pretty: boolean): string {
  if (format === 'yaml') return stringifyYaml(doc, { lineWidth: 0 });
  if (format === 'toml') return stringifyToml(doc);
  return pretty ? `${JSON.stringify(doc, null, 2)}\n` : JSON.stringify(doc);
}

/**
 * Every key of the objects at `paths` (paths into the parsed real file, chosen by the source's
 * profile: where the fields the connector reads live) replaced by a wrong type, the document
 * re-written by the format's own writer. `control` is the undamaged document written the same
 * way and `removed` the document without the field, so a test can tell "ignored" from "misread".
 * For NDJSON the paths start with the line index.
 */
export function wrongTypes(bytes: Buffer, format: Format, paths: Path[], rand: Rand): Damage[] {
  const s = text(bytes);
  if (format === 'ndjson') {
    const lines = s.split('\n');
    return paths.flatMap(([line, ...path]) => {
      if (typeof line !== 'number' || !lines[line]) return [];
      return wrongTypes(buf(lines[line]), 'json', [path], rand).map((d) => {
        const swap = (b: Buffer | undefined) => (b ? buf([...lines.slice(0, line), text(b).replace(/\n$/, ''), ...lines.slice(line + 1)].join('\n')) : undefined);
        return { ...d, name: `${d.name} (line ${line + 1})`, bytes: swap(d.bytes)!, control: swap(d.control), removed: swap(d.removed), field: { ...d.field!, path: [line, ...d.field!.path] } };
      });
    });
  }
  let doc: unknown;
  try {
    doc = parseStructured(s, format);
  } catch {
    return [];
  }
  const pretty = format === 'json' && /\n/.test(s.trim());
  const control = buf(serialize(doc, format, pretty));
  const out: Damage[] = [];
  for (const path of paths) {
    const at = getAt(doc, path);
    if (!at || typeof at !== 'object' || Array.isArray(at) || at instanceof Date) continue;
    for (const key of Object.keys(at)) {
      // One wrong type per field, drawn from the seed: every field is hit, and other seeds try the other types.
      const w = pick(rand, wrongValuesFor((at as Record<string, unknown>)[key], format));
      const damaged = clone(doc);
      (getAt(damaged, path) as Record<string, unknown>)[key] = clone(WRONG[w]);
      let removed: Buffer | undefined;
      if (w === 'null') {
        const removedDoc = clone(doc);
        delete (getAt(removedDoc, path) as Record<string, unknown>)[key];
        removed = buf(serialize(removedDoc, format, pretty));
      }
      out.push({
        kind: 'wrong-type', name: `wrong-type ${[...path, key].join('.')}=${w}`, bytes: buf(serialize(damaged, format, pretty)),
        field: { path: [...path, key], replacement: w }, control, removed,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Technique ids

export type IdDamage = 'id-nul' | 'id-case' | 'id-space';

/** `T1059.001` → `T1059.001\0` / `t1059.001` (or `T…` when written lower-case) / `T1059 .001` (`T10 59` for a parent id). */
export function damagedId(id: string, kind: IdDamage): string {
  if (kind === 'id-nul') return `${id}\u0000`;
  if (kind === 'id-case') return id[0] === 't' ? `T${id.slice(1)}` : `${id[0]!.toLowerCase()}${id.slice(1)}`;
  return id.includes('.') ? id.replace('.', ' .') : `${id.slice(0, 3)} ${id.slice(3)}`;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const NUL = String.fromCharCode(0);
const hasControl = (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20);

/** A string safe inside a JSON, TOML basic or Turtle double-quoted string (NUL as `\u0000`). */
function escapedForQuotes(s: string): string {
  return s.split(NUL).join('\\u0000');
}

/** A YAML double-quoted scalar's content (NUL as `\0`). */
function escapedForYaml(s: string): string {
  return s.split(NUL).join('\\0');
}

interface Site {
  /** Where the id itself starts and ends in the text. */
  start: number;
  end: number;
  /** Replacement text for the whole match, given the damaged id. */
  rewrite: (to: string) => string;
  matchStart: number;
  matchEnd: number;
}

/**
 * Places where the connector reads a technique id: a whole YAML scalar (`attack.` prefix
 * allowed), a whole JSON/TOML/Turtle string (`att&ck-technique:` prefix and `: name` suffix
 * allowed), a `[Txxxx]` stanza name, a `# ATT&CK:` header, or, for sources that find ids in
 * prose, a whole word of a string.
 */
function idSites(s: string, format: Format, id: string, prose: boolean): Site[] {
  const ID = escapeRe(id);
  const sites: Site[] = [];
  const collect = (re: RegExp, build: (m: RegExpExecArray) => { idStart: number; rewrite: (to: string) => string }) => {
    for (const m of s.matchAll(re)) {
      const { idStart, rewrite } = build(m);
      sites.push({ start: idStart, end: idStart + id.length, rewrite, matchStart: m.index, matchEnd: m.index + m[0].length });
    }
  };
  if (prose) {
    const quoted = format === 'json' || format === 'ndjson' || format === 'toml' || format === 'turtle';
    collect(new RegExp(`(?<![\\w.])${ID}(?![\\w]|\\.\\d)`, 'g'), (m) => ({
      idStart: m.index, rewrite: (to) => (quoted ? escapedForQuotes(to) : to),
    }));
    return sites;
  }
  switch (format) {
    case 'yaml': {
      const re = new RegExp(`^(?<pre>[ \\t]*(?:-[ \\t]+)*(?:[A-Za-z_][\\w.&-]*:[ \\t]+)?)(?<q>['"]?)(?<px>attack\\.)?${ID}\\k<q>(?<post>[ \\t]*(?:#.*)?)$`, 'gm');
      collect(re, (m) => {
        const g = m.groups!;
        const idStart = m.index + g.pre!.length + g.q!.length + (g.px?.length ?? 0);
        return {
          idStart,
          rewrite: (to) => (hasControl(to)
            ? `${g.pre}"${g.px ?? ''}${escapedForYaml(to)}"${g.post}`
            : `${g.pre}${g.q}${g.px ?? ''}${to}${g.q}${g.post}`),
        };
      });
      // Flow sequences that are a whole value, `mitre_attack_id: [T1059, T1003]` (not `[T1059](url)` in a text).
      const flowLine = /^[ \t]*(?:-[ \t]+)*(?:[A-Za-z_][\w.&-]*:[ \t]*)?\[[^\]\n]*\][ \t]*(?:#.*)?$/;
      collect(new RegExp(`(?<=[\\[,][ \\t]*)(?<q>['"]?)${ID}\\k<q>(?=[ \\t]*[,\\]])`, 'g'), (m) => ({
        idStart: m.index + m.groups!.q!.length,
        rewrite: (to) => (hasControl(to) ? `"${escapedForYaml(to)}"` : `${m.groups!.q}${to}${m.groups!.q}`),
      }));
      const lineOf = (at: number) => s.slice(s.lastIndexOf('\n', at - 1) + 1, s.indexOf('\n', at) < 0 ? s.length : s.indexOf('\n', at));
      for (let i = sites.length - 1; i >= 0; i--) {
        const site = sites[i]!;
        const line = lineOf(site.start);
        if (line.includes('[') && !new RegExp(`^[ \\t]*(?:-[ \\t]+)*(?:[A-Za-z_][\\w.&-]*:[ \\t]+)?(['"]?)(?:attack\\.)?${ID}\\1`).test(line) && !flowLine.test(line)) sites.splice(i, 1);
      }
      break;
    }
    case 'json':
    case 'ndjson':
    case 'turtle':
      collect(new RegExp(`"(?<px>att&ck-technique:)?${ID}(?<post>:[^"\\\\\\n]*)?"`, 'gi'), (m) => {
        const g = m.groups!;
        return { idStart: m.index + 1 + (g.px?.length ?? 0), rewrite: (to) => `"${g.px ?? ''}${escapedForQuotes(to)}${g.post ?? ''}"` };
      });
      break;
    case 'toml':
      collect(new RegExp(`(?<q>["'])${ID}\\k<q>`, 'g'), (m) => ({ idStart: m.index + 1, rewrite: (to) => `"${escapedForQuotes(to)}"` }));
      break;
    case 'conf':
      // `[T1101] Title` stanzas, which the ThreatHunting app writes inside brackets again: `[[T1101] Title]`.
      collect(new RegExp(`^(?<pre>\\[(?:[ \\t]*\\[)?[ \\t]*)${ID}(?=[ \\t]*\\])`, 'gm'), (m) => ({ idStart: m.index + m.groups!.pre!.length, rewrite: (to) => `${m.groups!.pre}${to}` }));
      // The id the hunt's search sets, which the connector checks against the stanza's.
      collect(new RegExp(`(?<pre>\\bmitre_technique_id[ \\t]*=[ \\t]*")${ID}(?=")`, 'g'), (m) => ({ idStart: m.index + m.groups!.pre!.length, rewrite: (to) => `${m.groups!.pre}${to}` }));
      break;
    case 'text':
      collect(new RegExp(`^(?<pre>#[ \\t]*ATT&CK[ \\t]*:.*?)(?<![\\w.])${ID}(?![\\w]|\\.\\d)`, 'gim'), (m) => ({
        idStart: m.index + m.groups!.pre!.length, rewrite: (to) => `${m.groups!.pre}${to}`,
      }));
      break;
  }
  // The id match must be case-exact: `collect` used `i` only to find JSON prefixes in any case.
  return sites.filter((x) => s.slice(x.start, x.end) === id).sort((a, b) => a.matchStart - b.matchStart);
}

/**
 * One of `candidates` (ids as the connector passed them on) that the file writes at an id site,
 * drawn at random, sub-techniques first: their spaced spelling (`T1059 .001`) is the one a
 * reader might take for its parent.
 */
export function idAtSite(bytes: Buffer, format: Format, candidates: readonly string[], rand: Rand, prose = false): string | undefined {
  const s = text(bytes);
  const ids = candidates.filter((id) => /^T\d{4}(\.\d{3})?$/i.test(id));
  for (const group of [ids.filter((id) => id.includes('.')), ids.filter((id) => !id.includes('.'))]) {
    const start = Math.floor(rand() * group.length);
    for (let k = 0; k < group.length; k++) {
      const id = group[(start + k) % group.length]!;
      if (idSites(s, format, id, prose).length) return id;
    }
  }
  return undefined;
}

/** Every id site of `id` in the file rewritten with the damaged id. */
export function damageId(bytes: Buffer, format: Format, id: string, kind: IdDamage, prose = false): Damage[] {
  const s = text(bytes);
  const sites = idSites(s, format, id, prose);
  if (!sites.length) return [];
  const to = damagedId(id, kind);
  let out = '';
  let last = 0;
  for (const site of sites) {
    if (site.matchStart < last) continue;
    out += s.slice(last, site.matchStart) + site.rewrite(to);
    last = site.matchEnd;
  }
  out += s.slice(last);
  return [{ kind, name: `${kind} ${JSON.stringify(id)} → ${JSON.stringify(to)} (${sites.length} place${sites.length > 1 ? 's' : ''})`, bytes: buf(out), id: { from: id, to } }];
}
