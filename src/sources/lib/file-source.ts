/**
 * The connector kit: most upstreams are a folder of files, one document each, that give records.
 * `defineFileSource` does the walking, reading, parsing and warning for them, the same way for
 * every source, so that a connector says only what is specific to its upstream: which files,
 * which format, and how a parsed document becomes records.
 *
 * Warnings, one wording per failure class (the file is always named by the warning itself):
 * - the file cannot be read, is too large, empty or not UTF-8: see `readText`;
 * - it does not parse: `YAML: duplicate key \`tags\` at line 12`, `JSON: Unexpected token …`,
 *   `TOML: …` (the format, then what the parser says, located where it knows the line or key);
 *   an NDJSON line: `line 7: JSON: …`;
 * - it parses to the wrong shape: `not a YAML mapping`, `not a JSON array of analytics`.
 */
import type { DocumentFormat, LoadContext, PerFileReader, ResourceRecord, Source, SourceInfo, Upstream } from '../types.js';
import { readText, walkFiles } from './files.js';
import { githubBlob } from './links.js';
import { parseJson, parseProblem, parseToml, parseYaml, parseYamlDocuments } from './parse.js';
import { isRecord, type Mapping } from './values.js';

export type { DocumentFormat };
export type DocumentShape = 'mapping' | 'list';

const LABEL: Record<DocumentFormat, string> = { yaml: 'YAML', 'yaml-documents': 'YAML', json: 'JSON', ndjson: 'JSON', toml: 'TOML', text: 'text' };

type Reading = Pick<LoadContext, 'dataDir' | 'limits' | 'warn'>;

/** The warning for a document that does not parse: the format, then what the parser says. */
export function parseWarning(format: DocumentFormat, e: unknown): string {
  return `${LABEL[format]}: ${parseProblem(e)}`;
}

function parse(text: string, format: DocumentFormat, ctx: Reading): unknown {
  switch (format) {
    case 'yaml': return parseYaml(text, ctx.limits);
    case 'yaml-documents': return parseYamlDocuments(text, ctx.limits);
    case 'json': return parseJson(text, ctx.limits);
    case 'toml': return parseToml(text, ctx.limits);
    case 'ndjson':
    case 'text': return text;
  }
}

/** JSON says object and array where YAML and TOML say mapping and list. */
function shapeWord(format: DocumentFormat, shape: DocumentShape): string {
  if (format !== 'json') return shape;
  return shape === 'mapping' ? 'object' : 'array';
}

function hasShape(doc: unknown, shape: DocumentShape | undefined): boolean {
  return shape === undefined || (shape === 'mapping' ? isRecord(doc) : Array.isArray(doc));
}

/**
 * One file's parsed document, or undefined after one warning naming the file. `shape`, when
 * given, is checked: `not a YAML mapping`, or with `shapeName` `not a YAML list of abilities`.
 */
export function readDocument(ctx: Reading, file: string, format: 'yaml' | 'json' | 'toml', shape: 'mapping', shapeName?: string): Mapping | undefined;
export function readDocument(ctx: Reading, file: string, format: 'yaml' | 'json' | 'toml', shape: 'list', shapeName?: string): unknown[] | undefined;
export function readDocument(ctx: Reading, file: string, format: DocumentFormat, shape?: DocumentShape, shapeName?: string): unknown;
export function readDocument(ctx: Reading, file: string, format: DocumentFormat, shape?: DocumentShape, shapeName?: string): unknown {
  return readParsed(ctx, file, format, shape, shapeName)?.doc;
}

/** `readDocument` with the file's text beside the document (for a connector that quotes the file). */
function readParsed(ctx: Reading, file: string, format: DocumentFormat, shape?: DocumentShape, shapeName?: string): { doc: unknown; text: string } | undefined {
  const text = readText(ctx, file);
  if (text === undefined) return undefined;
  let doc: unknown;
  try {
    doc = parse(text, format, ctx);
  } catch (e) {
    ctx.warn(file, parseWarning(format, e));
    return undefined;
  }
  if (!hasShape(doc, shape)) {
    ctx.warn(file, `not a ${LABEL[format]} ${shapeWord(format, shape!)}${shapeName ? ` of ${shapeName}` : ''}`);
    return undefined;
  }
  return { doc, text };
}

/**
 * The parsed lines of an NDJSON text with their 1-based numbers; a blank line is skipped, a line
 * that does not parse is one warning `line N: JSON: …` and the others are still read.
 */
export function* ndjsonLines(ctx: Reading, file: string, text: string): Generator<{ line: number; value: unknown }> {
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = parseJson(line, ctx.limits);
    } catch (e) {
      ctx.warn(file, `line ${i + 1}: ${parseWarning('ndjson', e)}`);
      continue;
    }
    yield { line: i + 1, value };
  }
}

/** What `toRecords` gets beside the document. */
export interface FileInput {
  ctx: LoadContext;
  /** Path relative to the data dir, as records' `file` and warnings name it. */
  file: string;
  /** Path relative to the source's folder (the upstream repository's path). */
  path: string;
  /** The file's text as read (BOM dropped), for a connector that quotes it. */
  text: string;
  /** A problem with this file. */
  warn: (reason: string) => void;
  /** The link to `path` (default: this file) in the upstream repository, at the snapshot read. */
  link: (path?: string) => string;
  /** Where a record that is this whole file comes from: its key (the path), link and file. */
  origin: Pick<ResourceRecord, 'key' | 'url' | 'file'>;
}

type DocOf<S extends DocumentShape | undefined> = S extends 'mapping' ? Mapping : S extends 'list' ? unknown[] : unknown;

/**
 * Which files to read: `match` picks them from a walk of the folder (`path` relative to the
 * folder with `/` separators, `name` the file name); `files` names them (relative to the folder),
 * and a missing one is a warning.
 */
export type FileSelection = { match: (path: string, name: string) => boolean; files?: never } | { files: readonly string[]; match?: never };

/**
 * What a kit connector states about itself: its SourceInfo less what follows from the upstream,
 * which is a GitHub repository. `homepage` defaults to the repository's page, `folder` to the name.
 */
export type KitInfo = Omit<SourceInfo, 'homepage' | 'folder' | 'upstream'> & { homepage?: string; folder?: string; upstream: Upstream };

export type FileSourceSpec<S extends DocumentShape | undefined> = KitInfo & FileSelection & {
  format: DocumentFormat;
  /** What the parsed document must be (checked with a warning); absent: anything. */
  shape?: S;
  /** Names what the list or mapping holds, for the shape warning: `abilities`. */
  shapeName?: string;
  /** The records of one parsed file (or its one record, or none: undefined); problems go to `input.warn`. */
  toRecords: (doc: DocOf<S>, input: FileInput) => Iterable<ResourceRecord> | ResourceRecord | undefined;
  /** Cross-file work on every record, in load order (see PerFileReader.finish). */
  finish?: PerFileReader['finish'];
  present?: (dataDir: string) => boolean;
  /**
   * `toRecords` reads `ctx.attack` (tactic names, say): the files are then read in the main
   * thread once ATT&CK is loaded, as a whole-folder source, and are not cached file by file.
   */
  usesAttack?: boolean;
};

/** The folder's files a `match` accepts, as data-dir-relative paths in load (sorted) order. */
export function matchingFiles(ctx: Pick<LoadContext, 'dir'>, folder: string, match: (path: string, name: string) => boolean): string[] {
  return walkFiles(ctx.dir, (name, rel) => match(rel, name)).map((rel) => `${folder}/${rel}`);
}

/** A per-file connector from what is specific to its upstream (see the module comment). */
export function defineFileSource<S extends DocumentShape | undefined = undefined>(spec: FileSourceSpec<S>): Source {
  const { match, files, format, shape, shapeName, toRecords, finish, ...kitInfo } = spec;
  const { repo, defaultRef } = kitInfo.upstream;
  const info = { ...kitInfo, homepage: kitInfo.homepage ?? `https://github.com/${repo}`, folder: kitInfo.folder ?? kitInfo.name };
  const folder = info.folder;
  const input = (ctx: LoadContext, file: string, text: string): FileInput => {
    const path = file.slice(folder.length + 1);
    const link = (at = path) => githubBlob(repo, ctx.provenance, defaultRef, at);
    return { ctx, file, path, text, warn: (reason) => ctx.warn(file, reason), link, origin: { key: path, url: link(), file } };
  };
  function* records(ctx: LoadContext, file: string, text: string, doc: unknown): Generator<ResourceRecord> {
    const made = toRecords(doc as DocOf<S>, input(ctx, file, text));
    if (made && Symbol.iterator in made) yield* made;
    else if (made) yield made;
  }
  const reader: PerFileReader = {
    files: (ctx) => (match ? matchingFiles(ctx, folder, match) : files.map((path) => `${folder}/${path}`)),
    *read(ctx, file) {
      const parsed = readParsed(ctx, file, format, shape, shapeName);
      if (parsed) yield* records(ctx, file, parsed.text, parsed.doc);
    },
    ...(finish ? { finish } : {}),
  };
  const reads = { format, ...(match ? { match } : { files }), records };
  if (!info.usesAttack) return { ...info, reads, perFile: reader };
  if (finish) throw new Error(`${info.name}: a source that reads ATT&CK has no per-file \`finish\``);
  return {
    ...info,
    reads,
    *load(ctx) {
      for (const file of reader.files(ctx)) yield* reader.read(ctx, file);
    },
  };
}
