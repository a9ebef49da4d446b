/**
 * A Caldera operation report (the operation's "Download report" JSON, `GET
 * /api/v2/operations/{id}/report`): `name`, `start`, `host_group` (the agents, with paw, host,
 * username, platform) and `steps`, per agent paw a list of links with `ability_id`, `attack`
 * (`technique_id`), `status`, `delegated` (handed to the agent), `run` (finished), `platform`,
 * `pid`. Link status: 0 success, 1 error, 124 timeout; -2 discarded, -3 still queued, -4 untrusted
 * agent, -5 too visible, -1 paused: those never ran.
 */
import { normalizeTime } from '../time.js';
import type { OutcomeInput } from '../model.js';
import { checkEntries, ImportError, type ParsedFile, type RawExecution } from './types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : undefined);

const NOT_RUN: Record<number, string> = { [-1]: 'paused', [-2]: 'discarded', [-3]: 'never executed', [-4]: 'untrusted agent', [-5]: 'too visible for the operation' };
const RAN: Record<number, string> = { 0: 'success', 1: 'error', 124: 'timeout' };

export function isCalderaReport(doc: unknown): doc is Obj {
  return isObj(doc) && isObj(doc.steps) && Array.isArray(doc.host_group) && 'start' in doc;
}

export function readCalderaReport(file: string, doc: unknown): ParsedFile {
  if (!isCalderaReport(doc)) throw new ImportError(`${file}: not a Caldera operation report ("name", "start", "host_group" and "steps" expected)`);
  const agents = new Map<string, Obj>();
  for (const a of doc.host_group as unknown[]) if (isObj(a) && text(a.paw)) agents.set(text(a.paw)!, a);
  const name = text(doc.name);
  const start = normalizeTime(doc.start);
  const exercise = name ? { name, ...(start ? { date: start.slice(0, 10) } : {}) } : undefined;
  const records: RawExecution[] = [];
  const warnings: string[] = [];
  const agentSteps = Object.entries(doc.steps as Obj);
  checkEntries(file, agentSteps.reduce((n, [, e]) => n + 1 + (isObj(e) && Array.isArray(e.steps) ? e.steps.length : 0), 0), 'agents and steps');
  for (const [paw, entry] of agentSteps) {
    const steps = isObj(entry) && Array.isArray(entry.steps) ? entry.steps : [];
    const agent = agents.get(paw) ?? {};
    steps.forEach((s: unknown, i: number) => {
      const origin = `${file}: steps.${paw}[${i}]`;
      if (!isObj(s)) {
        warnings.push(`${origin}: not an object (skipped)`);
        return;
      }
      const attack = isObj(s.attack) ? s.attack : {};
      const status = typeof s.status === 'number' ? s.status : Number.NaN;
      const startedAt = normalizeTime(s.delegated) ?? normalizeTime(s.run);
      if (!startedAt) {
        warnings.push(`${origin}: no delegated or run time (skipped)`);
        return;
      }
      let outcome: OutcomeInput;
      if (status in RAN) outcome = { outcome: 'ran', initial: true, ...(status ? { note: `Caldera link status ${status} (${RAN[status]})` } : {}) };
      else if (status in NOT_RUN) outcome = { outcome: 'not-run', initial: true, note: `Caldera link status ${status} (${NOT_RUN[status]})` };
      else {
        warnings.push(`${origin}: unknown link status ${String(s.status).slice(0, 20)} (skipped)`);
        return;
      }
      records.push({
        origin, technique: text(attack.technique_id) ?? '', source: 'caldera', testId: text(s.ability_id), testName: text(s.name),
        platform: text(s.platform) ?? text(agent.platform), host: text(agent.host) ?? paw, user: text(agent.username),
        startedAt, endedAt: normalizeTime(s.run), exitStatus: status in RAN ? status : undefined, exercise, outcomes: [outcome],
      });
    });
  }
  return { format: 'caldera', records, warnings, empty: 0 };
}
