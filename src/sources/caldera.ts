/**
 * MITRE Caldera stockpile abilities (mitre/stockpile `data/abilities/<tactic>/*.yml`): one resource
 * per ability; a file holds a list. Two layouts exist upstream: the classic
 * `technique.attack_id` + `platforms: {os: {executor: {...}}}` and the newer top-level
 * `technique_id` + `executors: [{platform, name, ...}]`. Commands are text only, never run.
 */
import type { LoadContext, ResourceRecord, Source, TechniqueRef } from './types.js';
import { readText, walkFiles } from './lib/files.js';
import { parseYaml, reason } from './lib/parse.js';
import { githubBlob, oneLine } from './lib/links.js';

const REPO = 'mitre/stockpile';
const DEFAULT_REF = 'master';
const FOLDER = 'stockpile';
export const CALDERA_COMMAND_MAX = 2000;

/** One way to run an ability: platform keys and executor keys may list several, comma-separated. */
interface Variant {
  platforms: string[];
  executors: string[];
  command?: string;
  payloads: string[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function splitNames(key: unknown): string[] {
  return typeof key === 'string' ? key.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function variantsOf(ability: Record<string, unknown>): Variant[] {
  const out: Variant[] = [];
  if (isRecord(ability.platforms)) {
    for (const [os, byExecutor] of Object.entries(ability.platforms)) {
      if (!isRecord(byExecutor)) continue;
      for (const [executor, body] of Object.entries(byExecutor)) {
        const b = isRecord(body) ? body : {};
        out.push({ platforms: splitNames(os), executors: splitNames(executor), command: typeof b.command === 'string' ? b.command : undefined, payloads: strings(b.payloads) });
      }
    }
  }
  if (Array.isArray(ability.executors)) {
    for (const e of ability.executors) {
      if (!isRecord(e)) continue;
      out.push({ platforms: splitNames(e.platform), executors: splitNames(e.name), command: typeof e.command === 'string' ? e.command : undefined, payloads: strings(e.payloads) });
    }
  }
  return out;
}

/** Caldera fills `#{fact.name}` from the fact store: those are the ability's inputs. */
function factNames(commands: string[]): Set<string> {
  const out = new Set<string>();
  for (const c of commands) for (const m of c.matchAll(/#\{([^}\s]+)\}/g)) out.add(m[1]!);
  return out;
}

function commandText(variants: Variant[]): string | undefined {
  const parts = variants
    .filter((v) => v.command?.trim())
    .map((v) => `# ${v.platforms.join(',')} / ${v.executors.join(',')}\n${v.command!.trim()}`);
  if (!parts.length) return undefined;
  const text = parts.join('\n\n');
  return text.length > CALDERA_COMMAND_MAX ? `${text.slice(0, CALDERA_COMMAND_MAX - 1)}…` : text;
}

/** `technique.attack_id` (classic) or `technique_id` (newer); kept as written, spaces included. */
function techniqueOf(ability: Record<string, unknown>): unknown {
  if (isRecord(ability.technique) && ability.technique.attack_id !== undefined) return ability.technique.attack_id;
  return ability.technique_id;
}

function abilityRecord(ctx: LoadContext, file: string, rel: string, ability: Record<string, unknown>, n: number): ResourceRecord {
  const rawId = techniqueOf(ability);
  const techniques: TechniqueRef[] = [];
  if (typeof rawId === 'string' && rawId.trim()) techniques.push({ id: rawId });
  else ctx.warn(file, `ability #${n}: no technique id (technique.attack_id or technique_id)`);
  const variants = variantsOf(ability);
  const uniq = (xs: string[]) => [...new Set(xs)];
  const payloads = uniq(variants.flatMap((v) => v.payloads));
  const requirements = Array.isArray(ability.requirements) ? ability.requirements.length : 0;
  const tactic = typeof ability.tactic === 'string' ? ability.tactic : undefined;
  const meta: Record<string, unknown> = {
    tactic,
    platforms: uniq(variants.flatMap((v) => v.platforms)),
    executors: uniq(variants.flatMap((v) => v.executors)),
    elevation: typeof ability.privilege === 'string' && ability.privilege.toLowerCase() === 'elevated',
    inputs: factNames(variants.flatMap((v) => (v.command ? [v.command] : []))).size,
    dependencies: payloads.length + requirements,
  };
  if (payloads.length) meta.payloads = payloads.slice(0, 20);
  const command = commandText(variants);
  if (command) meta.command = command;
  const folder = rel.split('/').slice(2, -1);
  return {
    key: `${rel}#${n}`,
    upstreamId: typeof ability.id === 'string' ? ability.id : undefined,
    title: typeof ability.name === 'string' && ability.name.trim() ? ability.name.trim() : (typeof ability.id === 'string' ? ability.id : rel),
    url: githubBlob(REPO, ctx.provenance, DEFAULT_REF, rel),
    breadcrumb: folder.length ? folder : undefined,
    description: oneLine(ability.description),
    deprecated: false,
    file,
    meta,
    techniques,
  };
}

function* loadFile(ctx: LoadContext, rel: string): Generator<ResourceRecord> {
  const file = `${FOLDER}/${rel}`;
  const text = readText(ctx, file);
  if (text === undefined) return;
  let doc: unknown;
  try {
    doc = parseYaml(text, ctx.limits);
  } catch (e) {
    ctx.warn(file, reason(e));
    return;
  }
  if (!Array.isArray(doc)) {
    ctx.warn(file, 'not a YAML list of abilities');
    return;
  }
  for (const [i, ability] of doc.entries()) {
    if (!isRecord(ability)) {
      ctx.warn(file, `ability #${i + 1} is not a mapping: skipped`);
      continue;
    }
    yield abilityRecord(ctx, file, rel, ability, i + 1);
  }
}

export const calderaSource: Source = {
  name: 'caldera',
  title: 'MITRE Caldera (stockpile)',
  pillar: 'test',
  order: 20,
  homepage: 'https://caldera.mitre.org/',
  folder: FOLDER,
  upstream: { repo: REPO, defaultRef: DEFAULT_REF, paths: ['data/abilities/**/*.yml'] },
  license: 'Apache-2.0',
  resourceKind: 'Caldera ability (one entry of a `data/abilities/<tactic>/*.yml` list)',
  mapsVia: '`technique.attack_id` (or top-level `technique_id`)',
  summaryFields: ['platforms', 'executors', 'elevation'],
  *load(ctx) {
    const files = walkFiles(ctx.dir, (name, rel) => rel.startsWith('data/abilities/') && name.endsWith('.yml'));
    for (const rel of files) yield* loadFile(ctx, rel);
  },
};
