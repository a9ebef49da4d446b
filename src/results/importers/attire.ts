/**
 * Attire JSON (https://github.com/SecurityRiskAdvisors/attire), as Invoke-AtomicRedTeam's
 * `Attire-ExecutionLogger` writes it: `execution-data` names the target (host, user, ip) and
 * `procedures` lists each test run with its technique (`mitre-technique-id`), its Atomic GUID
 * (`procedure-id`), its number (`order`) and its steps (`time-start`, `time-stop`, `exit-code`,
 * `process-id`, `is-timeout`).
 */
import { normalizeTime } from '../time.js';
import { checkEntries, ImportError, type ParsedFile, type RawExecution } from './types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'string' && /^-?\d{1,10}$/.test(v.trim()) ? Number(v) : undefined);

export function isAttire(doc: unknown): doc is Obj {
  return isObj(doc) && 'attire-version' in doc && Array.isArray(doc.procedures);
}

export function readAttire(file: string, doc: unknown): ParsedFile {
  if (!isAttire(doc)) throw new ImportError(`${file}: not an Attire log ("attire-version" and "procedures" expected)`);
  const data = isObj(doc['execution-data']) ? doc['execution-data'] : {};
  const target = isObj(data.target) ? data.target : {};
  const category = isObj(data['execution-category']) ? data['execution-category'] : {};
  // Attire is not Atomic-only: another tool's GUIDs are looked up in every test source.
  const atomic = /atomic/i.test(`${text(data['execution-source']) ?? ''} ${text(category.name) ?? ''} ${text(category.abbreviation) ?? ''}`);
  const records: RawExecution[] = [];
  const warnings: string[] = [];
  checkEntries(file, (doc.procedures as unknown[]).length, 'procedures');
  (doc.procedures as unknown[]).forEach((p, i) => {
    const origin = `${file}: procedures[${i}]`;
    if (!isObj(p)) {
      warnings.push(`${origin}: not an object (skipped)`);
      return;
    }
    const steps = (Array.isArray(p.steps) ? p.steps : []).filter(isObj);
    const starts = steps.map((s) => normalizeTime(s['time-start'])).filter((t): t is string => !!t).sort();
    const stops = steps.map((s) => normalizeTime(s['time-stop'])).filter((t): t is string => !!t).sort();
    if (!starts.length) {
      warnings.push(`${origin}: no step with a time-start (skipped)`);
      return;
    }
    const last = steps[steps.length - 1]!;
    const id = isObj(p['procedure-id']) ? text(p['procedure-id'].id) : text(p['procedure-id']);
    const timedOut = steps.some((s) => s['is-timeout'] === true);
    records.push({
      origin, technique: text(p['mitre-technique-id']) ?? '', source: atomic ? 'atomic-red-team' : undefined, testId: id, testNumber: int(p.order),
      testName: text(p['procedure-name']), host: text(target.host), user: text(target.user), startedAt: starts[0], endedAt: stops[stops.length - 1],
      exitStatus: int(last['exit-code']), outcomes: [{ outcome: 'ran', initial: true, ...(timedOut ? { note: 'timed out' } : {}) }],
    });
  });
  return { format: 'attire', records, warnings, empty: 0 };
}
