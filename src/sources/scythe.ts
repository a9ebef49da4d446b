/**
 * SCYTHE community threats (scythe-io/community-threats `**\/*_scythe_threat.json`).
 *
 * One resource per threat file: a threat is an emulation plan a team imports and runs as a
 * whole, so it is the unit of test. It maps to every technique its steps tag in `rtags`
 * (`att&ck-technique:T1053.005`, or a bare `T1053.005` as some FIN6 plans write it); the note
 * of each (threat, technique) pair names the steps that exercise it. Requests are text only.
 */
import type { LoadContext, ResourceRecord, TechniqueRef } from './types.js';
import { defineFileSource, type FileInput } from './lib/file-source.js';
import { capText, isRecord, str, strList, type Mapping } from './lib/values.js';
import { oneLine } from './lib/links.js';

export const SCYTHE_COMMAND_MAX = 2000;
const NOTE_MAX = 500;
const NOTE_STEPS = 8;

/**
 * The technique id inside an rtag, as written; undefined for tactic and other tags. A bare tag
 * that starts like an id is passed on whole (`T1087 .002`, a stray control character), so that
 * resolution reports a damaged one instead of it being dropped unseen.
 */
export function techniqueFromTag(tag: string): string | undefined {
  const prefixed = /^att&ck-technique:(.+)$/i.exec(tag.trim());
  if (prefixed) return prefixed[1]!.trim() || undefined;
  return /^T\d{4}(?!\d)/i.test(tag.trim()) ? tag.trim() : undefined;
}

function byStepNumber(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : Infinity;
  const nb = /^\d+$/.test(b) ? Number(b) : Infinity;
  return na === nb ? (a < b ? -1 : a > b ? 1 : 0) : na < nb ? -1 : 1;
}

interface Step {
  n: string;
  module?: string;
  request?: string;
  type?: string;
  tags: string[];
}

function stepsOf(ctx: LoadContext, file: string, script: Mapping): Step[] {
  const out: Step[] = [];
  // Steps are keyed "0", "1", …; numeric order is run order.
  const keys = Object.keys(script).sort(byStepNumber);
  for (const n of keys) {
    const s = script[n];
    if (!isRecord(s)) {
      ctx.warn(file, `step ${n} is not an object: skipped`);
      continue;
    }
    let tags: string[] = [];
    if (Array.isArray(s.rtags)) tags = strList(s.rtags);
    else if (s.rtags !== undefined) ctx.warn(file, `step ${n}: rtags is not a list`);
    out.push({ n, module: str(s.module), request: str(s.request), type: str(s.type), tags });
  }
  return out;
}

function stepLabel(s: Step): string {
  return oneLine(`step ${s.n}: ${[s.module, s.request].filter(Boolean).join(' ')}`, 120);
}

function techniqueRefs(steps: Step[]): TechniqueRef[] {
  const byId = new Map<string, string[]>();
  for (const s of steps) {
    for (const tag of s.tags) {
      const id = techniqueFromTag(tag);
      if (!id) continue;
      const labels = byId.get(id) ?? [];
      // The note is capped anyway; a few step labels are enough and keep hostile files linear.
      if (labels.length < NOTE_STEPS && !labels.includes(stepLabel(s))) labels.push(stepLabel(s));
      byId.set(id, labels);
    }
  }
  return [...byId].map(([id, labels]) => ({ id, note: oneLine(labels.join('; '), NOTE_MAX) }));
}

function commandText(steps: Step[]): string | undefined {
  const lines = steps.filter((s) => s.type === 'message' && s.module && s.request).map((s) => `${s.module} ${s.request}`);
  if (!lines.length) return undefined;
  return capText(lines.join('\n'), SCYTHE_COMMAND_MAX);
}

function threatRecord(threat: Mapping, steps: Step[], { path: rel, origin }: FileInput): ResourceRecord {
  // `loader` only loads the module a later step runs; the modules that act are the executors.
  const modules = [...new Set(steps.filter((s) => s.type === 'message' && s.module && s.module !== 'loader').map((s) => s.module!))];
  const os = str(threat.operating_system_name);
  const meta: Record<string, unknown> = {
    platforms: os ? [os] : [],
    executors: modules,
    steps: steps.filter((s) => s.type === 'message').length,
  };
  const category = str(threat.category);
  if (category) meta.category = category;
  const command = commandText(steps);
  if (command) meta.command = command;
  const folder = rel.split('/').slice(0, -1);
  return {
    ...origin,
    upstreamId: str(threat.name),
    title: str(threat.display_name) ?? str(threat.name) ?? rel,
    breadcrumb: folder.length ? folder : undefined,
    description: oneLine(threat.description),
    deprecated: false,
    meta,
    facets: { platforms: os ? [os.toLowerCase()] : [], executors: modules.map((m) => m.toLowerCase()) },
    techniques: techniqueRefs(steps),
  };
}

function threatRecords(doc: unknown, input: FileInput): ResourceRecord[] {
  const { ctx, file, warn } = input;
  const threat = isRecord(doc) ? doc.threat : undefined;
  if (!isRecord(threat)) {
    warn('no `threat` object');
    return [];
  }
  if (!isRecord(threat.script)) {
    warn('`threat.script` is not an object of steps');
    return [];
  }
  return [threatRecord(threat, stepsOf(ctx, file, threat.script), input)];
}

export const scytheSource = defineFileSource({
  name: 'scythe',
  title: 'SCYTHE Community Threats',
  pillar: 'test',
  order: 50,
  upstream: { repo: 'scythe-io/community-threats', defaultRef: 'master', paths: ['**/*_scythe_threat.json'] },
  license: 'MIT',
  resourceKind: 'SCYTHE threat (one `*_scythe_threat.json` emulation plan)',
  mapsVia: 'step `rtags` `att&ck-technique:Txxxx` (note: the steps)',
  summaryFields: ['platforms', 'steps', 'note'],
  match: (_path, name) => name.endsWith('_scythe_threat.json'),
  format: 'json',
  toRecords: threatRecords,
});
