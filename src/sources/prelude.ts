/**
 * Prelude community TTPs (preludeorg/community `ttps/<tactic>/*.yml`): one resource per TTP file,
 * `platforms: {os: {executor: {command, payload, variants}}}`. Commands are text only, never run.
 */
import type { LoadContext, ResourceRecord } from './types.js';
import { defineFileSource, type FileInput } from './lib/file-source.js';
import { capText, distinct, isRecord, str, strList, type Mapping } from './lib/values.js';
import { oneLine } from './lib/links.js';

export const PRELUDE_COMMAND_MAX = 2000;

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
  return capText(parts.join('\n\n'), PRELUDE_COMMAND_MAX);
}

/** `#{name}` placeholders are filled by the operator or from facts: the TTP's inputs. */
function placeholderCount(commands: string[]): number {
  const names = new Set<string>();
  for (const c of commands) for (const m of c.matchAll(/#\{([^}\s]+)\}/g)) names.add(m[1]!);
  return names.size;
}

/** `metadata.payloads` is a map of file name → sha1 upstream; a plain list is accepted too. */
function payloadNames(v: unknown): string[] {
  return isRecord(v) ? Object.keys(v) : strList(v);
}

function ttpRecord(doc: Mapping, { path: rel, warn, origin }: FileInput): ResourceRecord {
  const technique = isRecord(doc.technique) ? doc.technique : {};
  const rawId = technique.id;
  const techniques = typeof rawId === 'string' && rawId.trim() ? [{ id: rawId }] : [];
  if (!techniques.length) warn('no `technique.id` string');
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  const procs = proceduresOf(doc.platforms);
  const payloads = distinct([...procs.flatMap((p) => p.payloads), ...payloadNames(metadata.payloads)]);
  const meta: Record<string, unknown> = {
    tactic: str(doc.tactic),
    platforms: distinct(procs.map((p) => p.platform)),
    executors: distinct(procs.map((p) => p.executor)),
    inputs: placeholderCount(procs.flatMap((p) => p.commands)),
    dependencies: payloads.length,
  };
  if (payloads.length) meta.payloads = payloads.slice(0, 20);
  const tags = strList(metadata.tags).slice(0, 20);
  if (tags.length) meta.tags = tags;
  const command = commandText(procs);
  if (command) meta.command = command;
  const folder = rel.split('/').slice(1, -1);
  return {
    ...origin,
    upstreamId: str(doc.id),
    title: str(doc.name) ?? str(doc.id) ?? rel,
    breadcrumb: folder.length ? folder : undefined,
    description: oneLine(doc.description),
    deprecated: false,
    meta,
    facets: {
      platforms: distinct(procs.map((p) => p.platform.toLowerCase())),
      executors: distinct(procs.map((p) => p.executor.toLowerCase())),
    },
    techniques,
  };
}

const techniqueKey = (r: ResourceRecord) => r.techniques.map((t) => t.id.trim().toUpperCase()).sort().join(' ');

/**
 * One upstream id is one TTP. Upstream holds a TTP twice, as `<id>.yml` and `<id>.yaml` (the same
 * content, one with a `version` field): the `.yml` spelling, the repository's own, is kept and the
 * copy dropped silently. Two files sharing an id but not the technique are a real conflict: the
 * first is kept, and the other file is named in a warning.
 */
function oneRecordPerTtp(ctx: LoadContext, records: readonly ResourceRecord[]): ResourceRecord[] {
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

export const preludeSource = defineFileSource({
  name: 'prelude',
  title: 'Prelude Community TTPs',
  pillar: 'test',
  order: 30,
  upstream: { repo: 'preludeorg/community', defaultRef: 'master', paths: ['ttps/**/*.yml', 'ttps/**/*.yaml'] },
  license: 'Apache-2.0',
  resourceKind: 'Prelude TTP (one `ttps/<tactic>/*.yml` file)',
  mapsVia: '`technique.id`',
  summaryFields: ['platforms', 'executors'],
  match: (path, name) => path.startsWith('ttps/') && /\.ya?ml$/.test(name),
  format: 'yaml',
  shape: 'mapping',
  toRecords: ttpRecord,
  // Copies of one TTP live in several files: the records are one list only once all are read.
  finish: (ctx, records) => {
    records.splice(0, records.length, ...oneRecordPerTtp(ctx, records));
  },
});
