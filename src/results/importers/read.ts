/** One import file: size-checked, decoded as strict UTF-8, recognised by content (or told its format), parsed. */
import { fileProblem } from '../../core/errors.js';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { MAX_CSV_FIELDS, MAX_CSV_ROWS, MAX_IMPORT_BYTES, MAX_RECORDS_PER_FILE } from '../limits.js';
import { isAtomicCsv, readAtomicCsv } from './atomic-csv.js';
import { isAttire, readAttire } from './attire.js';
import { isCalderaReport, readCalderaReport } from './caldera.js';
import { CsvError, parseCsv } from './csv.js';
import { isPurplebookExport, readPurplebookJson } from './purplebook-json.js';
import { isSheet, readSheet } from './sheet.js';
import { ImportError, IMPORT_FORMATS, type ImportFormat, type ParsedFile } from './types.js';

export interface ReadFile extends ParsedFile {
  sha256: string;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Parses text already in memory (an upload); `name` is what warnings call it. */
export function parseImport(name: string, bytes: Buffer, format?: ImportFormat): ReadFile {
  if (format && !IMPORT_FORMATS.includes(format)) throw new ImportError(`unknown import format "${format}"; known: ${IMPORT_FORMATS.join(', ')}`);
  if (bytes.length > MAX_IMPORT_BYTES) throw new ImportError(`${name}: ${bytes.length} bytes, more than the ${MAX_IMPORT_BYTES} an import reads`);
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new ImportError(`${name}: not UTF-8 text (an execution log, a Caldera report or an outcome sheet expected)`);
  }
  text = text.replace(/^\uFEFF/, '');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const parsed = parseText(name, text, format);
  if (parsed.records.length > MAX_RECORDS_PER_FILE) throw new ImportError(`${name}: ${parsed.records.length} executions, more than the ${MAX_RECORDS_PER_FILE} one import takes: split the file`);
  return { ...parsed, sha256 };
}

function parseText(name: string, text: string, format?: ImportFormat): ParsedFile {
  const trimmed = text.trimStart();
  if (!trimmed) throw new ImportError(`${name}: the file is empty`);
  const json = format ? format === 'attire' || format === 'caldera' || format === 'purplebook-json' : trimmed.startsWith('{') || trimmed.startsWith('[');
  if (json) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new ImportError(`${name}: not valid JSON: ${(e as Error).message}`);
    }
    if (format === 'attire' || (!format && isAttire(doc))) return readAttire(name, doc);
    if (format === 'caldera' || (!format && isCalderaReport(doc))) return readCalderaReport(name, doc);
    if (format === 'purplebook-json' || (!format && isPurplebookExport(doc))) return readPurplebookJson(name, doc);
    throw new ImportError(`${name}: JSON that is neither an Attire log, a Caldera operation report nor a Purplebook results export`);
  }
  let rows;
  try {
    rows = parseCsv(text, { maxRows: MAX_CSV_ROWS, maxFields: MAX_CSV_FIELDS });
  } catch (e) {
    if (e instanceof CsvError) throw new ImportError(`${name}: ${e.message}`);
    throw e;
  }
  const header = (rows[0]?.cells[0]?.startsWith('#TYPE') ? rows[1] : rows[0])?.cells.map((c) => c.trim()) ?? [];
  if (format === 'atomic-csv' || (!format && isAtomicCsv(header))) return readAtomicCsv(name, rows);
  if (format === 'sheet' || (!format && isSheet(header))) return readSheet(name, rows);
  throw new ImportError(`${name}: not a known results file (an Invoke-AtomicRedTeam CSV or Attire log, a Caldera operation report, an outcome sheet or a Purplebook export)`);
}

const IMPORT_EXPECTED = 'a results file: an Atomic CSV or Attire log, a Caldera report, an outcome sheet or a Purplebook export';

/** Reads a file from disk, refusing anything too large before reading it. */
export function readImportFile(path: string, format?: ImportFormat): ReadFile {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new ImportError(`${path} is a folder, expected ${IMPORT_EXPECTED}`);
    if (!st.isFile()) throw new ImportError(`${path}: not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw new ImportError(`${path} ${fileProblem(e, IMPORT_EXPECTED) ?? `cannot be read: ${(e as Error).message}`}`);
  }
  if (size > MAX_IMPORT_BYTES) throw new ImportError(`${path}: ${size} bytes, more than the ${MAX_IMPORT_BYTES} an import reads`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ImportError(`${path} ${fileProblem(e, IMPORT_EXPECTED) ?? `cannot be read: ${(e as Error).message}`}`);
  }
  return parseImport(path, bytes, format);
}
