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
import { DEFAULT_LIMITS, type Limits } from '../core/types.js';
import type { FormatContext, RuleDraft } from './formats/common.js';
import { detectFormat } from './formats/detect.js';
import { readElasticToml } from './formats/elastic-toml.js';
import { readKibanaNdjson } from './formats/kibana-ndjson.js';
import { readSigma } from './formats/sigma.js';
import { readSplunkEscu } from './formats/splunk-escu.js';
import { readSplunkSavedsearches } from './formats/splunk-savedsearches.js';
import { findDuplicateIds, linkCorrelations } from './link.js';
import type { OwnRule, OwnRuleFormat, OwnRuleSet, RuleWarning, SkippedFile } from './types.js';

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

const FORMAT_NAMES: Record<OwnRuleFormat, string> = {
  'sigma': 'Sigma', 'elastic-toml': 'Elastic TOML', 'kibana-ndjson': 'Kibana NDJSON', 'splunk-escu': 'Splunk ESCU YAML',
  'splunk-savedsearches': 'Splunk savedsearches.conf',
};
const OVER_LIMIT = 'over the size limit';
const NOT_A_RULE = { reason: 'no rule format recognised', detail: `not ${Object.values(FORMAT_NAMES).join(', ').replace(/, ([^,]+)$/, ' or $1')}` };

interface FileRules {
  rules: OwnRule[];
  /** Why the file yielded no rule. */
  skipped?: Omit<SkippedFile, 'file'>;
}

/** Rules of one file's text, with key/file/format added; problems go to `warnings`. */
function rulesOfText(file: string, text: string, limits: Limits, warnings: RuleWarning[]): FileRules {
  const normalized = normalize(text);
  const format = detectFormat(normalized);
  if (!format) return { rules: [], skipped: NOT_A_RULE };
  const before = warnings.length;
  const ctx: FormatContext = { limits, warn: (r) => warnings.push({ file, reason: r }) };
  let drafts: RuleDraft[];
  try {
    drafts = READERS[format](normalized, ctx);
  } catch (e) {
    // A reader bug or a hostile file must cost one file, never the whole run.
    ctx.warn(`cannot read as ${FORMAT_NAMES[format]}: ${reason(e)}`);
    drafts = [];
  }
  if (!drafts.length) {
    const why = warnings[before]?.reason;
    return { rules: [], skipped: why ? { reason: `not readable as ${FORMAT_NAMES[format]}`, detail: why } : { reason: `${FORMAT_NAMES[format]} file with no rule in it` } };
  }
  const several = drafts.length > 1;
  return { rules: drafts.map((d, i) => ({ key: several ? `${file}#${i + 1}` : file, file, format, ...d })) };
}

/** Set-wide steps once every file is read: correlations take their rules' ids; duplicate ids are named. */
function finish(rules: OwnRule[], warnings: RuleWarning[], files: number, skipped: SkippedFile[]): OwnRuleSet {
  linkCorrelations(rules, warnings);
  const duplicateIds = findDuplicateIds(rules);
  for (const d of duplicateIds) {
    warnings.push({ file: d.files[0]!, reason: `rule id ${d.id} is also the id of a rule in ${d.files.slice(1).join(', ')} (each file's rule counts)` });
  }
  return { rules, warnings, files, skipped, duplicateIds };
}

function limitsOf(opts: ReadOptions | undefined): Limits {
  return { ...DEFAULT_LIMITS, ...opts?.limits };
}

/**
 * Rules of one file held in memory (an upload); `name` is the file name reported as `file` and
 * `key`. Over-size text is a warning, not an error.
 */
export function parseOwnRuleText(name: string, text: string, opts?: ReadOptions): OwnRuleSet {
  return parseOwnRuleFiles([{ name, content: text }], opts);
}

/**
 * Rules of files held in memory (one upload of several files), read as one set: a correlation
 * rule finds the rules it correlates in another file, and an id two files share is named. Names
 * must be unique (they become the rules' keys).
 */
export function parseOwnRuleFiles(files: readonly { name: string; content: string }[], opts?: ReadOptions): OwnRuleSet {
  const limits = limitsOf(opts);
  const warnings: RuleWarning[] = [];
  const rules: OwnRule[] = [];
  const skipped: SkippedFile[] = [];
  for (const { name, content } of files) {
    const size = Buffer.byteLength(content, 'utf8');
    if (size > limits.maxFileBytes) {
      const why = `file is ${size} bytes, over the ${limits.maxFileBytes}-byte limit: not read`;
      warnings.push({ file: name, reason: why });
      skipped.push({ file: name, reason: OVER_LIMIT, detail: why });
      continue;
    }
    const got = size ? rulesOfText(name, content, limits, warnings) : { rules: [], skipped: { reason: 'empty file' } };
    rules.push(...got.rules);
    if (got.skipped) skipped.push({ file: name, ...got.skipped });
  }
  return finish(rules, warnings, files.length, skipped);
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

/**
 * The text of a file on disk, or why there is none (with a warning too when the file might have
 * been a rule: over the size limit, unreadable).
 */
function readFileText(full: string, file: string, limits: Limits, warnings: RuleWarning[]): { text: string } | { skipped: Omit<SkippedFile, 'file'> } {
  try {
    const size = statSync(full).size;
    if (size === 0) return { skipped: { reason: 'empty file' } };
    if (size > limits.maxFileBytes) {
      if (looksBinary(full)) return { skipped: { reason: 'binary file' } };
      const why = `file is ${size} bytes, over the ${limits.maxFileBytes}-byte limit: not read`;
      warnings.push({ file, reason: why });
      return { skipped: { reason: OVER_LIMIT, detail: why } };
    }
    const bytes = readFileSync(full);
    if (bytes.includes(0)) return { skipped: { reason: 'binary file' } };
    return { text: utf8.decode(bytes) };
  } catch (e) {
    // Invalid UTF-8 is a binary or foreign-encoded file, not a rule; anything else is worth saying.
    if (e instanceof TypeError) return { skipped: { reason: 'not UTF-8 text' } };
    warnings.push({ file, reason: `cannot read: ${reason(e)}` });
    return { skipped: { reason: 'cannot read', detail: reason(e) } };
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
  const skipped: SkippedFile[] = [];
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
    const read = readFileText(f.full, file, limits, warnings);
    const got = 'text' in read ? rulesOfText(file, read.text, limits, warnings) : { rules: [], skipped: read.skipped };
    rules.push(...got.rules);
    if (got.skipped) skipped.push({ file, ...got.skipped });
  }
  return finish(rules, warnings, files, skipped);
}
