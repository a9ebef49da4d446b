/**
 * Execution logs as the real tools write them, built from their documentation and source, with
 * tests and abilities read straight from the data folder's Atomic Red Team and Caldera files
 * (nothing from src/):
 *
 * - Invoke-AtomicRedTeam `Default-ExecutionLogger`: `Export-Csv -NoTypeInformation -Append` of
 *   an ordered object with "Execution Time (UTC)" (`%Y-%m-%dT%H:%M:%SZ`), "Execution Time
 *   (Local)", "Technique", "Test Number", "Test Name", "Hostname", "IP Address", "Username",
 *   "GUID", "ProcessId", "ExitCode": every field quoted, CRLF line ends.
 * - Its `Attire-ExecutionLogger`: `{"attire-version": "1.1", "execution-data": {execution-source,
 *   execution-id, execution-category {name, abbreviation}, execution-command, target {user, host,
 *   ip, path}, time-generated}, "procedures": [{mitre-technique-id, procedure-name, procedure-id
 *   {type: "guid", id}, procedure-description, order, steps: [{order, time-start, time-stop,
 *   executor, command, process-id, exit-code, is-timeout, output: [{content, level, type}]}]}]}`,
 *   times `+%Y-%m-%dT%H:%M:%S.000Z`.
 * - Caldera `Operation.report()`: `{name, host_group: [agent display], start: '%Y-%m-%d %H:%M:%S',
 *   steps: {paw: {steps: [{link_id, ability_id, command, delegated, run, status, platform,
 *   executor, pid, description, name, attack: {tactic, technique_name, technique_id},
 *   agent_reported_time}]}}, finish, planner, adversary, jitter, objectives, facts, skipped_abilities}`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DATA_DIR } from '../helpers.js';

export interface AtomicTest {
  /** Folder (technique) the test's file is in. */
  folder: string;
  number: number;
  guid: string;
  name: string;
  platforms: string[];
}

export function atomicTests(technique: string): AtomicTest[] {
  const doc = parse(readFileSync(join(DATA_DIR, 'atomic-red-team', 'atomics', technique, `${technique}.yaml`), 'utf8')) as {
    atomic_tests: { name: string; auto_generated_guid: string; supported_platforms: string[] }[];
  };
  return doc.atomic_tests.map((t, i) => ({ folder: technique, number: i + 1, guid: t.auto_generated_guid, name: t.name, platforms: t.supported_platforms }));
}

export interface Ability {
  id: string;
  name: string;
  tactic: string;
  technique: string;
  techniqueName: string;
  platforms: string[];
}

/** Caldera (Stockpile) abilities of a technique id as their files write it. */
export function calderaAbilities(technique: string): Ability[] {
  const root = join(DATA_DIR, 'stockpile', 'data', 'abilities');
  const out: Ability[] = [];
  for (const tactic of readdirSync(root).sort()) {
    for (const f of readdirSync(join(root, tactic)).sort()) {
      const docs = parse(readFileSync(join(root, tactic, f), 'utf8')) as { id: string; name: string; tactic: string; technique: { attack_id: string; name: string }; platforms: Record<string, unknown> }[];
      for (const a of docs ?? []) {
        if (a?.technique?.attack_id === technique) out.push({ id: a.id, name: a.name, tactic: a.tactic, technique, techniqueName: a.technique.name, platforms: Object.keys(a.platforms ?? {}) });
      }
    }
  }
  return out;
}

export interface AtomicRun {
  /** Technique as the logger wrote it (the folder at the time of the run: may be revoked today). */
  technique: string;
  test: AtomicTest;
  host: string;
  user: string;
  start: Date;
  stop?: Date;
  exitCode?: number;
  pid?: number;
}

const utc = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const q = (v: string | number) => `"${String(v).replace(/"/g, '""')}"`;

/** The Default-ExecutionLogger CSV (current columns). */
export function atomicCsv(runs: readonly AtomicRun[], ip = '10.1.2.3'): string {
  const header = ['Execution Time (UTC)', 'Execution Time (Local)', 'Technique', 'Test Number', 'Test Name', 'Hostname', 'IP Address', 'Username', 'GUID', 'ProcessId', 'ExitCode'];
  const lines = [header.map(q).join(',')];
  for (const r of runs) {
    // The local column carries the same instant with a (wrong) Z in recent versions of the logger.
    lines.push([utc(r.start), utc(r.start), r.technique, r.test.number, r.test.name, r.host, ip, r.user, r.test.guid, r.pid ?? 4000, r.exitCode ?? 0].map(q).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The Attire-ExecutionLogger JSON of one Invoke-AtomicTest session on one target. */
export function attireLog(runs: readonly AtomicRun[], target: { host: string; user: string; ip?: string }): string {
  const ms = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, '.000Z');
  return JSON.stringify({
    'attire-version': '1.1',
    'execution-data': {
      'execution-source': 'Invoke-Atomicredteam',
      'execution-id': Buffer.from('5b7b0c8e-8c0e-4d0b-9b8a-3f1f2b6f0a11').toString('base64'),
      'execution-category': { name: 'Atomic Red Team', abbreviation: 'ART' },
      'execution-command': 'Invoke-AtomicTest All -LoggingModule Attire-ExecutionLogger',
      target: { user: target.user, host: target.host, ip: target.ip ?? '10.1.2.4', path: 'C:\\Windows\\system32;C:\\Windows' },
      'time-generated': ms(runs.at(-1)?.stop ?? new Date()),
    },
    procedures: runs.map((r) => ({
      'mitre-technique-id': r.technique,
      'procedure-name': r.test.name,
      'procedure-id': { type: 'guid', id: r.test.guid },
      'procedure-description': `${r.test.name}.`,
      order: r.test.number,
      steps: [{
        order: 1, 'time-start': ms(r.start), 'time-stop': ms(r.stop ?? new Date(r.start.getTime() + 5000)), executor: 'powershell',
        command: 'Write-Host atomic', 'process-id': r.pid ?? 5000, 'exit-code': r.exitCode ?? 0, 'is-timeout': false,
        output: [{ content: '', level: 'STDOUT', type: 'console' }],
      }],
    })),
  }, null, 4);
}

export interface CalderaLink {
  paw: string;
  ability: Ability;
  status: number;
  delegated: Date;
  run?: Date;
}

export interface CalderaAgent {
  paw: string;
  host: string;
  username: string;
  platform: string;
}

export function calderaReport(name: string, start: Date, agents: readonly CalderaAgent[], links: readonly CalderaLink[]): string {
  const plain = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
  const steps: Record<string, { steps: unknown[] }> = Object.fromEntries(agents.map((a) => [a.paw, { steps: [] }]));
  links.forEach((l, i) => {
    steps[l.paw]!.steps.push({
      link_id: `link-${i}`, ability_id: l.ability.id, command: 'd2hvYW1p', delegated: plain(l.delegated), run: l.run ? utc(l.run) : null, status: l.status,
      platform: l.ability.platforms[0] ?? 'windows', executor: 'psh', pid: 7000 + i, description: `${l.ability.name}.`, name: l.ability.name,
      attack: { tactic: l.ability.tactic, technique_name: l.ability.techniqueName, technique_id: l.ability.technique },
      ...(l.run ? { agent_reported_time: plain(l.run) } : {}),
    });
  });
  return JSON.stringify({
    name, host_group: agents.map((a) => ({ paw: a.paw, host: a.host, username: a.username, platform: a.platform, group: 'red', trusted: true })),
    start: plain(start), steps, finish: null, planner: 'atomic', adversary: { adversary_id: 'x', name: 'Emulation', description: '' },
    jitter: '2/8', objectives: { name: 'default' }, facts: [], skipped_abilities: [],
  }, null, 2);
}

/** A Sigma rule with an id, as a team keeps its own. */
export function sigmaRule(id: string, title: string, technique: string): string {
  return `title: ${title}
id: ${id}
status: stable
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    Image|endswith: '\\\\powershell.exe'
  condition: selection
tags:
  - attack.${technique.toLowerCase()}
level: high
`;
}

/** Days before now: results are fresh or stale relative to the clock the CLI reads. */
export function daysAgo(days: number, hour = 10, minute = 0): Date {
  const d = new Date(Date.now() - days * 86_400_000);
  d.setUTCHours(hour, minute, 0, 0);
  return d;
}
