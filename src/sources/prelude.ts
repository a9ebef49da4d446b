/**
 * Prelude community TTPs (preludeorg/community `ttps/<tactic>/*.yml`): one resource per TTP file,
 * `platforms: {os: {executor: {command, payload, variants}}}`. Commands are text only, never run.
 */
import type { LoadContext, ResourceRecord, Source } from './types.js';
import { readText, walkFiles } from './lib/files.js';
import { parseYaml, reason } from './lib/parse.js';
import { githubBlob, oneLine } from './lib/links.js';

const REPO = 'preludeorg/community';
const DEFAULT_REF = 'master';
const FOLDER = 'prelude';
export const PRELUDE_COMMAND_MAX = 2000;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

interface Procedure {
  platform: string;
  executor: string;
  commands: string[];
  payloads: string[];
}

/** Each (platform, executor) with its command and alternative `variants` commands. */
function proceduresOf(platforms: unknown): Procedure[] {
  const out: Procedure[] = [];
  if (!isRecord(platforms)) return out;
  for (const [platform, byExecutor] of Object.entries(platforms)) {
    if (!isRecord(byExecutor)) continue;
    for (const [executor, body] of Object.entries(byExecutor)) {
      const b = isRecord(body) ? body : {};
      const commands: string[] = [];
      const payloads: string[] = [];
      const take = (x: Record<string, unknown>) => {
        const c = str(x.command);
        if (c) commands.push(c);
        const p = str(x.payload);
        if (p) payloads.push(p);
      };
      take(b);
      if (Array.isArray(b.variants)) for (const v of b.variants) if (isRecord(v)) take(v);
      out.push({ platform, executor, commands, payloads });
    }
  }
  return out;
}

function commandText(procs: Procedure[]): string | undefined {
  const parts = procs.flatMap((p) => p.commands.map((c) => `# ${p.platform} / ${p.executor}\n${c}`));
  if (!parts.length) return undefined;
  const text = parts.join('\n\n');
  return text.length > PRELUDE_COMMAND_MAX ? `${text.slice(0, PRELUDE_COMMAND_MAX - 1)}…` : text;
}

/** `#{name}` placeholders are filled by the operator or from facts: the TTP's inputs. */
function placeholderCount(commands: string[]): number {
  const names = new Set<string>();
  for (const c of commands) for (const m of c.matchAll(/#\{([^}\s]+)\}/g)) names.add(m[1]!);
  return names.size;
}

/** `metadata.payloads` is a map of file name → sha1 upstream; a plain list is accepted too. */
function payloadNames(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return isRecord(v) ? Object.keys(v) : [];
}

function ttpRecord(ctx: LoadContext, file: string, rel: string, doc: Record<string, unknown>): ResourceRecord {
  const technique = isRecord(doc.technique) ? doc.technique : {};
  const rawId = technique.id;
  const techniques = typeof rawId === 'string' && rawId.trim() ? [{ id: rawId }] : [];
  if (!techniques.length) ctx.warn(file, 'no `technique.id` string');
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  const procs = proceduresOf(doc.platforms);
  const uniq = (xs: string[]) => [...new Set(xs)];
  const payloads = uniq([...procs.flatMap((p) => p.payloads), ...payloadNames(metadata.payloads)]);
  const meta: Record<string, unknown> = {
    tactic: str(doc.tactic),
    platforms: uniq(procs.map((p) => p.platform)),
    executors: uniq(procs.map((p) => p.executor)),
    inputs: placeholderCount(procs.flatMap((p) => p.commands)),
    dependencies: payloads.length,
  };
  if (payloads.length) meta.payloads = payloads.slice(0, 20);
  const tags = Array.isArray(metadata.tags) ? metadata.tags.filter((x): x is string => typeof x === 'string').slice(0, 20) : [];
  if (tags.length) meta.tags = tags;
  const command = commandText(procs);
  if (command) meta.command = command;
  const folder = rel.split('/').slice(1, -1);
  return {
    key: rel,
    upstreamId: str(doc.id),
    title: str(doc.name) ?? str(doc.id) ?? rel,
    url: githubBlob(REPO, ctx.provenance, DEFAULT_REF, rel),
    breadcrumb: folder.length ? folder : undefined,
    description: oneLine(doc.description),
    deprecated: false,
    file,
    meta,
    techniques,
  };
}

function loadFile(ctx: LoadContext, rel: string): ResourceRecord | undefined {
  const file = `${FOLDER}/${rel}`;
  const text = readText(ctx, file);
  if (text === undefined) return undefined;
  let doc: unknown;
  try {
    doc = parseYaml(text, ctx.limits);
  } catch (e) {
    ctx.warn(file, reason(e));
    return undefined;
  }
  if (!isRecord(doc)) {
    ctx.warn(file, 'not a YAML mapping');
    return undefined;
  }
  return ttpRecord(ctx, file, rel, doc);
}

const techniqueKey = (r: ResourceRecord) => r.techniques.map((t) => t.id.trim().toUpperCase()).sort().join(' ');

/**
 * One upstream id is one TTP. Upstream holds a TTP twice, as `<id>.yml` and `<id>.yaml` (the same
 * content, one with a `version` field): the `.yml` spelling, the repository's own, is kept and the
 * copy dropped silently. Two files sharing an id but not the technique are a real conflict: the
 * first is kept, and the other file is named in a warning.
 */
function oneRecordPerTtp(ctx: LoadContext, records: ResourceRecord[]): ResourceRecord[] {
  const rank = (r: ResourceRecord) => (r.key.endsWith('.yml') ? 0 : 1);
  const byId = new Map<string, ResourceRecord>();
  const out: ResourceRecord[] = [];
  for (const r of [...records].sort((a, b) => rank(a) - rank(b) || (a.key < b.key ? -1 : 1))) {
    const id = r.upstreamId?.toLowerCase();
    const kept = id ? byId.get(id) : undefined;
    if (!kept) {
      if (id) byId.set(id, r);
      out.push(r);
    } else if (techniqueKey(kept) !== techniqueKey(r)) {
      ctx.warn(r.file ?? r.key, `same TTP id ${r.upstreamId} as ${kept.key} but another technique: ${kept.key} kept`);
    }
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export const preludeSource: Source = {
  name: 'prelude',
  title: 'Prelude Community TTPs',
  pillar: 'test',
  order: 30,
  homepage: 'https://github.com/preludeorg/community',
  folder: FOLDER,
  upstream: { repo: REPO, defaultRef: DEFAULT_REF, paths: ['ttps/**/*.yml', 'ttps/**/*.yaml'] },
  license: 'Apache-2.0',
  resourceKind: 'Prelude TTP (one `ttps/<tactic>/*.yml` file)',
  mapsVia: '`technique.id`',
  summaryFields: ['platforms', 'executors'],
  *load(ctx) {
    const files = walkFiles(ctx.dir, (name, rel) => rel.startsWith('ttps/') && /\.ya?ml$/.test(name));
    const records: ResourceRecord[] = [];
    for (const rel of files) {
      const r = loadFile(ctx, rel);
      if (r) records.push(r);
    }
    yield* oneRecordPerTtp(ctx, records);
  },
};
