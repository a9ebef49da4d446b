/**
 * MITRE Caldera stockpile abilities (mitre/stockpile `data/abilities/<tactic>/*.yml`): one resource
 * per ability; a file holds a list. Two layouts exist upstream: the classic
 * `technique.attack_id` + `platforms: {os: {executor: {...}}}` and the newer top-level
 * `technique_id` + `executors: [{platform, name, ...}]`. Commands are text only, never run.
 */
import type { ResourceRecord, TechniqueRef } from './types.js';
import { defineFileSource, type FileInput } from './lib/file-source.js';
import { capText, distinct, isRecord, strList, type Mapping } from './lib/values.js';
import { oneLine } from './lib/links.js';

export const CALDERA_COMMAND_MAX = 2000;

/** One way to run an ability: platform keys and executor keys may list several, comma-separated. */
interface Variant {
  platforms: string[];
  executors: string[];
  command?: string;
  payloads: string[];
}

function splitNames(key: unknown): string[] {
  return typeof key === 'string' ? key.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

function variantsOf(ability: Record<string, unknown>): Variant[] {
  const out: Variant[] = [];
  if (isRecord(ability.platforms)) {
    for (const [os, byExecutor] of Object.entries(ability.platforms)) {
      if (!isRecord(byExecutor)) continue;
      for (const [executor, body] of Object.entries(byExecutor)) {
        const b = isRecord(body) ? body : {};
        out.push({ platforms: splitNames(os), executors: splitNames(executor), command: typeof b.command === 'string' ? b.command : undefined, payloads: strList(b.payloads) });
      }
    }
  }
  if (Array.isArray(ability.executors)) {
    for (const e of ability.executors) {
      if (!isRecord(e)) continue;
      out.push({ platforms: splitNames(e.platform), executors: splitNames(e.name), command: typeof e.command === 'string' ? e.command : undefined, payloads: strList(e.payloads) });
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
  return capText(parts.join('\n\n'), CALDERA_COMMAND_MAX);
}

/** `technique.attack_id` (classic) or `technique_id` (newer); kept as written, spaces included. */
function techniqueOf(ability: Record<string, unknown>): unknown {
  if (isRecord(ability.technique) && ability.technique.attack_id !== undefined) return ability.technique.attack_id;
  return ability.technique_id;
}

function abilityRecord(ability: Mapping, n: number, { path: rel, warn, origin }: FileInput): ResourceRecord {
  const rawId = techniqueOf(ability);
  const techniques: TechniqueRef[] = [];
  if (typeof rawId === 'string' && rawId.trim()) techniques.push({ id: rawId });
  else warn(`ability #${n}: no technique id (technique.attack_id or technique_id)`);
  const variants = variantsOf(ability);
  const payloads = distinct(variants.flatMap((v) => v.payloads));
  const requirements = Array.isArray(ability.requirements) ? ability.requirements.length : 0;
  const tactic = typeof ability.tactic === 'string' ? ability.tactic : undefined;
  const meta: Record<string, unknown> = {
    tactic,
    platforms: distinct(variants.flatMap((v) => v.platforms)),
    executors: distinct(variants.flatMap((v) => v.executors)),
    elevation: typeof ability.privilege === 'string' && ability.privilege.toLowerCase() === 'elevated',
    inputs: factNames(variants.flatMap((v) => (v.command ? [v.command] : []))).size,
    dependencies: payloads.length + requirements,
  };
  if (payloads.length) meta.payloads = payloads.slice(0, 20);
  const command = commandText(variants);
  if (command) meta.command = command;
  const folder = rel.split('/').slice(2, -1);
  return {
    ...origin,
    key: `${rel}#${n}`,
    upstreamId: typeof ability.id === 'string' ? ability.id : undefined,
    title: typeof ability.name === 'string' && ability.name.trim() ? ability.name.trim() : (typeof ability.id === 'string' ? ability.id : rel),
    breadcrumb: folder.length ? folder : undefined,
    description: oneLine(ability.description),
    deprecated: false,
    meta,
    facets: {
      platforms: distinct(variants.flatMap((v) => v.platforms.map((p) => p.toLowerCase()))),
      executors: distinct(variants.flatMap((v) => v.executors.map((x) => x.toLowerCase()))),
      elevation: meta.elevation as boolean,
    },
    techniques,
  };
}

function* abilityRecords(doc: unknown[], input: FileInput): Generator<ResourceRecord> {
  for (const [i, ability] of doc.entries()) {
    if (!isRecord(ability)) {
      input.warn(`ability #${i + 1} is not a mapping: skipped`);
      continue;
    }
    yield abilityRecord(ability, i + 1, input);
  }
}

export const calderaSource = defineFileSource({
  name: 'caldera',
  title: 'MITRE Caldera (stockpile)',
  pillar: 'test',
  order: 20,
  homepage: 'https://caldera.mitre.org/',
  folder: 'stockpile',
  upstream: { repo: 'mitre/stockpile', defaultRef: 'master', paths: ['data/abilities/**/*.yml'] },
  license: 'Apache-2.0',
  resourceKind: 'Caldera ability (one entry of a `data/abilities/<tactic>/*.yml` list)',
  mapsVia: '`technique.attack_id` (or top-level `technique_id`)',
  summaryFields: ['platforms', 'executors', 'elevation'],
  match: (path, name) => path.startsWith('data/abilities/') && name.endsWith('.yml'),
  format: 'yaml',
  shape: 'list',
  shapeName: 'abilities',
  toRecords: abilityRecords,
});
