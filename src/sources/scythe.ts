/**
 * SCYTHE community threats (scythe-io/community-threats `**\/*_scythe_threat.json`).
 *
 * One resource per threat file: a threat is an emulation plan a team imports and runs as a
 * whole, so it is the unit of test. It maps to every technique its steps tag in `rtags`
 * (`att&ck-technique:T1053.005`, or a bare `T1053.005` as some FIN6 plans write it); the note
 * of each (threat, technique) pair names the steps that exercise it. Requests are text only.
 */
import type { LoadContext, ResourceRecord, Source, TechniqueRef } from './types.js';
import { readText, walkFiles } from './lib/files.js';
import { parseJson, reason } from './lib/parse.js';
import { githubBlob, oneLine } from './lib/links.js';

const REPO = 'scythe-io/community-threats';
const DEFAULT_REF = 'master';
const FOLDER = 'scythe';
export const SCYTHE_COMMAND_MAX = 2000;
const NOTE_MAX = 500;
const NOTE_STEPS = 8;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

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

function stepsOf(ctx: LoadContext, file: string, script: Record<string, unknown>): Step[] {
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
    if (Array.isArray(s.rtags)) tags = s.rtags.filter((t): t is string => typeof t === 'string');
    else if (s.rtags !== undefined) ctx.warn(file, `step ${n}: rtags is not a list`);
    out.push({ n, module: str(s.module), request: str(s.request), type: str(s.type), tags });
  }
  return out;
}

function stepLabel(s: Step): string {
  return oneLine(`step ${s.n}: ${[s.module, s.request].filter(Boolean).join(' ')}`, 120);
}

function techniqueRefs(ctx: LoadContext, file: string, steps: Step[]): TechniqueRef[] {
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
  let refs = [...byId].map(([id, labels]) => ({ id, note: oneLine(labels.join('; '), NOTE_MAX) }));
  if (refs.length > ctx.limits.maxTechniquesPerResource) {
    ctx.warn(file, `${refs.length} technique ids, only the first ${ctx.limits.maxTechniquesPerResource} kept`);
    refs = refs.slice(0, ctx.limits.maxTechniquesPerResource);
  }
  return refs;
}

function commandText(steps: Step[]): string | undefined {
  const lines = steps.filter((s) => s.type === 'message' && s.module && s.request).map((s) => `${s.module} ${s.request}`);
  if (!lines.length) return undefined;
  const text = lines.join('\n');
  return text.length > SCYTHE_COMMAND_MAX ? `${text.slice(0, SCYTHE_COMMAND_MAX - 1)}…` : text;
}

function threatRecord(ctx: LoadContext, file: string, rel: string, threat: Record<string, unknown>, steps: Step[]): ResourceRecord {
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
    key: rel,
    upstreamId: str(threat.name),
    title: str(threat.display_name) ?? str(threat.name) ?? rel,
    url: githubBlob(REPO, ctx.provenance, DEFAULT_REF, rel),
    breadcrumb: folder.length ? folder : undefined,
    description: oneLine(threat.description),
    deprecated: false,
    file,
    meta,
    techniques: techniqueRefs(ctx, file, steps),
  };
}

function loadFile(ctx: LoadContext, rel: string): ResourceRecord | undefined {
  const file = `${FOLDER}/${rel}`;
  const text = readText(ctx, file);
  if (text === undefined) return undefined;
  let doc: unknown;
  try {
    doc = parseJson(text, ctx.limits);
  } catch (e) {
    ctx.warn(file, `JSON: ${reason(e)}`);
    return undefined;
  }
  const threat = isRecord(doc) ? doc.threat : undefined;
  if (!isRecord(threat)) {
    ctx.warn(file, 'no `threat` object');
    return undefined;
  }
  if (!isRecord(threat.script)) {
    ctx.warn(file, '`threat.script` is not an object of steps');
    return undefined;
  }
  return threatRecord(ctx, file, rel, threat, stepsOf(ctx, file, threat.script));
}

export const scytheSource: Source = {
  name: 'scythe',
  title: 'SCYTHE Community Threats',
  pillar: 'test',
  order: 50,
  homepage: 'https://github.com/scythe-io/community-threats',
  folder: FOLDER,
  upstream: { repo: REPO, defaultRef: DEFAULT_REF, paths: ['**/*_scythe_threat.json'] },
  license: 'MIT',
  resourceKind: 'SCYTHE threat (one `*_scythe_threat.json` emulation plan)',
  mapsVia: 'step `rtags` `att&ck-technique:Txxxx` (note: the steps)',
  summaryFields: ['platforms', 'steps', 'note'],
  *load(ctx) {
    const files = walkFiles(ctx.dir, (name) => name.endsWith('_scythe_threat.json'));
    for (const rel of files) {
      const r = loadFile(ctx, rel);
      if (r) yield r;
    }
  },
};
