/**
 * Elastic Red Team Automation (endgameinc/RTA): one resource per attack script `red_ttp/*.py`.
 * The mapping lives only in the script's header comments:
 *
 *   # Name: AT Command Lateral Movement
 *   # RTA: at_command.py
 *   # ATT&CK: T1053
 *   # Description: Enumerates at tasks on target host, and schedules an at job …
 *   #  status of that task, and deletes the task.
 *
 * The scripts are read as TEXT only, and only their leading comment block: nothing is imported
 * or run. Like upstream's own script list, every `red_ttp/*.py` but `__init__.py` and `common.py`
 * (helper modules) is a test.
 */
import { facetNames } from './lib/values.js';
import type { ResourceRecord, TechniqueRef } from './types.js';
import { defineFileSource, type FileInput } from './lib/file-source.js';
import { oneLine } from './lib/links.js';
import { techniqueIdsIn } from './lib/ids.js';

/** Header lines read at most; the header is at the top of the file. */
const HEADER_MAX_LINES = 200;
const HELPERS = new Set(['__init__.py', 'common.py']);

export interface RtaHeader {
  name?: string;
  script?: string;
  attack: string[];
  description?: string;
  platforms: string[];
  triggeredRules: string[];
  /** `# ATT&CK:` values without any technique id. */
  rejected: string[];
}

const FIELDS: Record<string, keyof RtaHeader> = {
  'name': 'name',
  'rta': 'script',
  'att&ck': 'attack',
  'description': 'description',
  'platforms': 'platforms',
  'platform': 'platforms',
  'signal.rule.name': 'triggeredRules',
};

function splitList(value: string): string[] {
  return value.split(/[,;]/).map((s) => s.trim()).filter(Boolean);
}

/**
 * The header fields of an RTA script: the leading comment block (after an optional shebang,
 * encoding line and licence comment) up to the first line of code. A field's text continues on
 * following comment lines indented by two or more spaces (`#  …`).
 */
export function parseRtaHeader(text: string): RtaHeader {
  const header: RtaHeader = { attack: [], platforms: [], triggeredRules: [], rejected: [] };
  let last: keyof RtaHeader | undefined;
  for (const line of text.split(/\r?\n/).slice(0, HEADER_MAX_LINES)) {
    const trimmed = line.trim();
    if (!trimmed) {
      last = undefined;
      continue;
    }
    if (!trimmed.startsWith('#')) break;
    const body = trimmed.replace(/^#+/, '');
    const field = /^\s*([A-Za-z][\w.&-]*)\s*:\s*(.*)$/.exec(body);
    const key = field ? FIELDS[field[1]!.toLowerCase()] : undefined;
    if (field && key) {
      addField(header, key, field[2]!.trim());
      last = key;
    } else if (last && /^\s{2,}\S/.test(body) && (last === 'description' || last === 'name')) {
      header[last] = `${header[last] ?? ''} ${body.trim()}`.trim();
    } else {
      last = undefined;
    }
  }
  return header;
}

function addField(header: RtaHeader, key: keyof RtaHeader, value: string): void {
  if (key === 'attack') {
    // Ids may come with their names ("T1053 Scheduled Task"); a list item without any id (a
    // mangled `T10 53` beside good ones) is rejected, so that it is reported, not dropped unseen.
    for (const item of splitList(value)) {
      const ids = techniqueIdsIn(item);
      for (const id of ids) if (!header.attack.includes(id)) header.attack.push(id);
      if (!ids.length) header.rejected.push(item);
    }
  } else if (key === 'platforms') {
    for (const p of splitList(value)) if (!header.platforms.includes(p)) header.platforms.push(p);
  } else if (key === 'triggeredRules') {
    // Repeated like the ids and platforms: a header line written twice is one rule.
    if (value && !header.triggeredRules.includes(value)) header.triggeredRules.push(value);
  } else if (key === 'name' || key === 'script' || key === 'description') {
    if (value) header[key] = value;
  }
}

function scriptRecord(h: RtaHeader, { path: rel, warn, origin }: FileInput): ResourceRecord {
  if (h.rejected.length) warn(`\`# ATT&CK:\` names no technique id: ${oneLine(h.rejected[0], 80)}`);
  else if (!h.attack.length) warn('no technique id in a `# ATT&CK:` header: test kept without a technique');
  const techniques: TechniqueRef[] = h.attack.map((id) => ({ id }));
  const script = rel.split('/').pop()!;
  const meta: Record<string, unknown> = { language: 'Python', script: h.script ?? script };
  if (h.platforms.length) meta.platforms = h.platforms;
  if (h.triggeredRules.length) meta.triggeredRules = h.triggeredRules.slice(0, 50);
  return {
    ...origin,
    title: h.name ?? script.replace(/\.py$/, ''),
    description: oneLine(h.description),
    deprecated: false,
    meta,
    ...(h.platforms.length ? { facets: { platforms: facetNames(h.platforms) } } : {}),
    techniques,
  };
}

export const rtaSource = defineFileSource({
  name: 'rta',
  title: 'Elastic Red Team Automation (RTA)',
  pillar: 'test',
  order: 70,
  upstream: { repo: 'endgameinc/RTA', defaultRef: 'master', paths: ['red_ttp/*.py'] },
  license: 'MIT',
  resourceKind: 'Python attack script (`red_ttp/*.py`, header comments read as text, never run)',
  mapsVia: '`# ATT&CK: T1053, …` header comment',
  summaryFields: ['platforms', 'script'],
  match: (path, name) => /^red_ttp\/[^/]+\.py$/.test(path) && !HELPERS.has(name),
  format: 'text',
  toRecords: (text, input) => scriptRecord(parseRtaHeader(text as string), input),
});
