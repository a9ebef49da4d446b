/** The readers' building blocks on small inputs: CSV, times, format recognition, limits. */
import { describe, expect, it } from 'vitest';
import { CsvError, parseCsv } from '../../src/results/importers/csv.js';
import { parseImport } from '../../src/results/importers/read.js';
import { ImportError } from '../../src/results/importers/types.js';
import { MAX_IMPORT_BYTES } from '../../src/results/limits.js';
import { normalizeDate, normalizeTime } from '../../src/results/time.js';

describe('CSV', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF or LF, a BOM, and skips blank lines', () => {
    const rows = parseCsv('\uFEFF"a","b,c"\r\n"say ""hi""","two\r\nlines"\r\n\r\nplain,,x\n');
    expect(rows).toEqual([
      { line: 1, cells: ['a', 'b,c'] },
      { line: 2, cells: ['say "hi"', 'two\r\nlines'] },
      { line: 5, cells: ['plain', '', 'x'] },
    ]);
    expect(parseCsv('last,row,no newline')).toEqual([{ line: 1, cells: ['last', 'row', 'no newline'] }]);
  });

  it('an unterminated quote is an error naming the line', () => {
    expect(() => parseCsv('a,b\n"open,c\n')).toThrow(CsvError);
    expect(() => parseCsv('a,b\n"open,c\n')).toThrow(/line 2/);
  });

  it('a row of 200 000 quoted cells with doubled quotes', () => {
    const rows = parseCsv(`${'"x""",'.repeat(200_000)}\n`);
    expect(rows[0]!.cells).toHaveLength(200_001);
    expect(rows[0]!.cells[199_999]).toBe('x"');
  });

  it('row and field limits: exactly the limit is read, one more is refused naming it; blank lines are no rows', () => {
    expect(parseCsv('a\n\nb\n\n\nc\n', { maxRows: 3 })).toHaveLength(3);
    expect(() => parseCsv('a\nb\nc\nd\n', { maxRows: 3 })).toThrow('more than 3 rows: split the file');
    expect(parseCsv('a,b,c\nd,e,', { maxFields: 3 }).map((r) => r.cells.length)).toEqual([3, 3]);
    expect(() => parseCsv('a,b\nc,d,e,f\n', { maxFields: 3 })).toThrow('line 2: more than 3 fields in a row');
    // A trailing delimiter opens a field too.
    expect(() => parseCsv('a,b,c,', { maxFields: 3 })).toThrow('line 1: more than 3 fields in a row');
    expect(() => parseCsv('"a","b","c","d"', { maxFields: 3 })).toThrow(CsvError);
  });
});

describe('times', () => {
  it('ISO with Z, milliseconds or an offset, a bare "YYYY-MM-DD HH:MM:SS" (UTC), PowerShell 5 /Date(ms)/', () => {
    expect(normalizeTime('2025-03-04T10:15:00Z')).toBe('2025-03-04T10:15:00Z');
    expect(normalizeTime('2025-03-04T10:15:00.000Z')).toBe('2025-03-04T10:15:00Z');
    expect(normalizeTime('2025-03-04T11:15:00+01:00')).toBe('2025-03-04T10:15:00Z');
    expect(normalizeTime('2025-03-04T05:45:00-0430')).toBe('2025-03-04T10:15:00Z');
    expect(normalizeTime('2025-03-04 10:15:00')).toBe('2025-03-04T10:15:00Z');
    expect(normalizeTime('/Date(1741083300000)/')).toBe('2025-03-04T10:15:00Z');
    expect(normalizeTime(1741083300000)).toBe('2025-03-04T10:15:00Z');
  });

  it('refuses what is no time', () => {
    for (const bad of ['', 'yesterday', '2025-02-30T10:00:00Z', '2025-03-04T24:00:00Z', '2025-13-01T00:00:00Z', '04/03/2025 10:15', null, {}, `2025-03-04T10:15:00Z${' '.repeat(50)}x`]) {
      expect(normalizeTime(bad), JSON.stringify(bad)).toBeUndefined();
    }
    expect(normalizeDate('2025-03-04')).toBe('2025-03-04');
    expect(normalizeDate('2025-02-29')).toBeUndefined();
  });
});

describe('recognising a file', () => {
  const read = (text: string) => parseImport('f', Buffer.from(text));

  it('by content: Atomic CSV (also after a #TYPE line), sheet, Attire, Caldera, export', () => {
    const atomic = '"Execution Time (UTC)","Execution Time (Local)","Technique","Test Number","Test Name","Hostname","Username","GUID"\r\n';
    expect(read(atomic).format).toBe('atomic-csv');
    expect(read(`#TYPE System.Management.Automation.PSCustomObject\r\n${atomic}`).format).toBe('atomic-csv');
    expect(read('technique,source,test_id,outcome\n').format).toBe('sheet');
    expect(read('{"attire-version": "1.1", "procedures": []}').format).toBe('attire');
    expect(read('{"name": "op", "start": "2025-03-04 10:00:00", "host_group": [], "steps": {}}').format).toBe('caldera');
    expect(read('{"format": "purplebook-results", "version": 1, "exercises": [], "executions": []}').format).toBe('purplebook-json');
  });

  it('refuses empty, binary, invalid JSON, unknown JSON, unknown CSV, a newer export version, an oversized buffer', () => {
    const refused = (bytes: Buffer, re: RegExp) => {
      expect(() => parseImport('f', bytes)).toThrow(ImportError);
      expect(() => parseImport('f', bytes)).toThrow(re);
    };
    refused(Buffer.from('  \n'), /empty/);
    refused(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0xff, 0xfe, 0x00]), /not UTF-8/);
    refused(Buffer.from('{"attire-version": '), /not valid JSON/);
    refused(Buffer.from('{"layer": 1}'), /neither an Attire log/);
    refused(Buffer.from('name,value\nx,1\n'), /not a known results file/);
    refused(Buffer.from('{"format": "purplebook-results", "version": 9}'), /version 9/);
    refused(Buffer.alloc(MAX_IMPORT_BYTES + 1, 0x20), /more than the/);
  });

  it('rows that are not executions are warnings naming the row, not errors', () => {
    const r = read('"Execution Time (UTC)","Technique","Test Number","GUID"\r\n"not a time","T1059.001","1","g"\r\n"2025-03-04T10:15:00Z","T1059.001","1","g"\r\n');
    expect(r.records).toHaveLength(1);
    expect(r.warnings).toEqual(['f:2: "not a time" is not a time (row skipped)']);
    const sheet = read('technique,source,test_id,outcome,start\nT1059.001,atomic-red-team,g,alerted!,\nT1059.001,atomic-red-team,g,,\nT1059.001,atomic-red-team,g,,yesterday\n');
    expect(sheet.records).toEqual([]);
    expect(sheet.empty).toBe(1);
    expect(sheet.warnings).toEqual([
      'f:2: unknown outcome "alerted!" (row skipped; one of not-run, blocked, not-detected, ran, logged, alerted, prevented)',
      'f:4: start "yesterday" is not a time (row skipped)',
    ]);
  });
});
