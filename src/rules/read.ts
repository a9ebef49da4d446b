/**
 * A team's own detection rules, from files and folders on disk (`readOwnRules`, the CLI) or
 * from one uploaded file (`parseOwnRuleText`, the web API). Every file is recognised by its
 * content (`formats/detect.ts`) and read by the reader of its format; a file of no known format
 * is counted and skipped, a file that looks like a rule but cannot be read is a warning, and
 * nothing a file contains makes reading throw.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { walkFiles } from '../sources/lib/files.js';
import { reason } from '../sources/lib/parse.js';
import { DEFAULT_LIMITS, type Limits } from '../sources/types.js';
import type { FormatContext, RuleDraft } from './formats/common.js';
import { detectFormat } from './formats/detect.js';
import { readElasticToml } from './formats/elastic-toml.js';
import { readKibanaNdjson } from './formats/kibana-ndjson.js';
import { readSigma } from './formats/sigma.js';
import { readSplunkEscu } from './formats/splunk-escu.js';
import { readSplunkSavedsearches } from './formats/splunk-savedsearches.js';
import type { OwnRule, OwnRuleFormat, OwnRuleSet, RuleWarning } from './types.js';

export interface ReadOptions {
  limits?: Partial<Limits>;
}

const READERS: Record<OwnRuleFormat, (text: string, ctx: FormatContext) => RuleDraft[]> = {
  'sigma': readSigma,
  'elastic-toml': readElasticToml,
  'kibana-ndjson': readKibanaNdjson,
  'splunk-escu': readSplunkEscu,
  'splunk-savedsearches': readSplunkSavedsearches,
};

/** Folders that hold tooling, not rules: `.git`, `.github`, dependencies. */
const skipDir = (name: string) => name.startsWith('.') || name === 'node_modules';
/** Bytes looked at to tell a binary file (image, archive) from text. */
const SNIFF_BYTES = 4096;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Text with no BOM and `\n` line ends, the form every reader and the detector expect. */
function normalize(text: string): string {
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return t.includes('\r') ? t.replace(/\r\n?/g, '\n') : t;
}

/** Rules of one file's text, with key/file/format added; problems go to `warnings`. */
function rulesOfText(file: string, text: string, limits: Limits, warnings: RuleWarning[]): OwnRule[] {
  const normalized = normalize(text);
  const format = detectFormat(normalized);
  if (!format) return [];
  const ctx: FormatContext = { limits, warn: (r) => warnings.push({ file, reason: r }) };
  let drafts: RuleDraft[];
  try {
    drafts = READERS[format](normalized, ctx);
  } catch (e) {
    // A reader bug or a hostile file must cost one file, never the whole run.
    ctx.warn(`cannot read as ${format}: ${reason(e)}`);
    return [];
  }
  const several = drafts.length > 1;
  return drafts.map((d, i) => ({ key: several ? `${file}#${i + 1}` : file, file, format, ...d }));
}

function limitsOf(opts: ReadOptions | undefined): Limits {
  return { ...DEFAULT_LIMITS, ...opts?.limits };
}

/**
 * Rules of one file held in memory (an upload); `name` is the file name reported as `file` and
 * `key`. Over-size text is a warning, not an error.
 */
export function parseOwnRuleText(name: string, text: string, opts?: ReadOptions): OwnRuleSet {
  const limits = limitsOf(opts);
  const warnings: RuleWarning[] = [];
  const size = Buffer.byteLength(text, 'utf8');
  if (size > limits.maxFileBytes) {
    warnings.push({ file: name, reason: `file is ${size} bytes, over the ${limits.maxFileBytes}-byte limit: not read` });
    return { rules: [], warnings, files: 1 };
  }
  return { rules: rulesOfText(name, text, limits, warnings), warnings, files: 1 };
}

/** True when the first bytes contain a NUL: an image, archive or other binary file. */
function looksBinary(full: string): boolean {
  const buf = Buffer.alloc(SNIFF_BYTES);
  const fd = openSync(full, 'r');
  try {
    const n = readSync(fd, buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, n).includes(0);
  } finally {
    closeSync(fd);
  }
}

/** The text of a file on disk, or undefined (with a warning only when the file might have been a rule). */
function readFileText(full: string, file: string, limits: Limits, warnings: RuleWarning[]): string | undefined {
  try {
    const size = statSync(full).size;
    if (size === 0) return undefined;
    if (size > limits.maxFileBytes) {
      if (!looksBinary(full)) warnings.push({ file, reason: `file is ${size} bytes, over the ${limits.maxFileBytes}-byte limit: not read` });
      return undefined;
    }
    const bytes = readFileSync(full);
    if (bytes.includes(0)) return undefined;
    return utf8.decode(bytes);
  } catch (e) {
    // Invalid UTF-8 is a binary or foreign-encoded file, not a rule; anything else is worth saying.
    if (!(e instanceof TypeError)) warnings.push({ file, reason: `cannot read: ${reason(e)}` });
    return undefined;
  }
}

interface FileToRead {
  full: string;
  /** The name reported: relative to its folder, or the path as given. */
  file: string;
  /** Where it was found, to tell two same-named files of different folders apart. */
  root?: string;
}

function filesOf(paths: string[]): FileToRead[] {
  const out: FileToRead[] = [];
  for (const p of paths) {
    let stat;
    try {
      stat = statSync(p);
    } catch {
      throw new Error(`${p}: no such file or folder`);
    }
    if (stat.isDirectory()) for (const rel of walkFiles(p, () => true, (name) => !skipDir(name))) out.push({ full: join(p, rel), file: rel, root: p });
    else if (stat.isFile()) out.push({ full: p, file: p });
    else throw new Error(`${p}: not a file or folder`);
  }
  return out;
}

/**
 * Own rules of the given files and folders (folders are walked recursively). A path that does not
 * exist throws; everything wrong inside a file is a warning in the result.
 */
export function readOwnRules(paths: string[], opts?: ReadOptions): OwnRuleSet {
  const limits = limitsOf(opts);
  const warnings: RuleWarning[] = [];
  const rules: OwnRule[] = [];
  const seenFiles = new Set<string>();
  const names = new Set<string>();
  let files = 0;
  for (const f of filesOf(paths)) {
    const abs = resolve(f.full);
    // The same file reached twice (a folder and a file inside it, or a path given twice) is read once.
    if (seenFiles.has(abs)) continue;
    seenFiles.add(abs);
    files++;
    // Two folders may both hold `windows/x.yml`: the later one is named with its folder as given.
    const file = names.has(f.file) && f.root ? `${f.root.replace(/[\\/]+$/, '')}/${f.file}` : f.file;
    names.add(file);
    const text = readFileText(f.full, file, limits, warnings);
    if (text !== undefined) rules.push(...rulesOfText(file, text, limits, warnings));
  }
  return { rules, warnings, files };
}
