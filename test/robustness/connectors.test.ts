/**
 * Hostile input, every connector: real files from the shared data, damaged one at a time, must
 * never crash a connector, hang it, lose or change what the undamaged files give, or go unreported.
 *
 * For each source (profiles.ts) and each damage kind (damage.ts) one file of the source's sample
 * is damaged; which file and where is drawn from a seeded PRNG (set PURPLEBOOK_ROBUSTNESS_SEED to
 * replay; the seed is in every failure message). What the damaged file must then give:
 *
 * | damage           | damaged file                                                                   |
 * |------------------|--------------------------------------------------------------------------------|
 * | truncate         | a warning naming it, unless the cut is still well-formed (then anything goes)  |
 * | invalid-utf8     | no records, exactly the warning "not valid UTF-8"                              |
 * | bom, crlf        | the same records and the same warnings as undamaged                            |
 * | duplicate-key    | YAML, TOML: no records, one warning. JSON, NDJSON, .conf, Turtle, text: the    |
 * |                  | same records and warnings (the format keeps the last value; triples are a set) |
 * | billion-laughs   | no records, one warning (the alias limit)                                      |
 * | huge (50 MiB)    | no records, exactly the size warning: refused before it is read               |
 * | deep-nesting     | YAML, JSON, TOML: no records, one warning. NDJSON: the damaged line's record   |
 * |                  | only is lost, with one warning. Turtle: the same records (the nested triple   |
 * |                  | maps nothing)                                                                  |
 * | wrong-type       | per field and type: a warning naming the file (from the connector, or an id    |
 * |                  | the build reports as invalid or unknown), or the records of the undamaged      |
 * |                  | document written the same way (the field is not read), or for null those of   |
 * |                  | the document without the field (null is an empty value), or the same record   |
 * |                  | keys and technique ids with a descriptive field blanked ("degraded", counted). |
 * |                  | What the file maps never changes silently.                                     |
 * | id-case          | the same techniques after resolution, the same warnings                        |
 * | id-nul, id-space | records identical but for the damaged spelling; resolved techniques a subset   |
 * |                  | of the undamaged ones (never a bogus technique); the damaged id reported with  |
 * |                  | the file by the connector or as an invalid id by the build (prose sources: a   |
 * |                  | warning naming the file, as the text may no longer hold an id at all)          |
 *
 * The ATT&CK-derived sources load ATT&CK itself from the damaged bundles (src/attack/load.ts), held
 * to maxBundleBytes = maxFileBytes here so that the huge damage is refused by size.
 *
 * And always: no "connector failed" warning, and the records and warnings of every undamaged file
 * identical to the undamaged run. A profile's `gaps` name damage a component outside the
 * connectors does not withstand yet: those tests are expected to fail.
 */
import { rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseTomlText } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYamlText } from 'yaml';
import { loadAttack } from '../../src/attack/load.js';
import type { AttackIndex } from '../../src/attack/types.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import { collectSource, type SourceWarning } from '../../src/sources/collect.js';
import { ALL_SOURCES, findSource } from '../../src/sources/registry.js';
import { DEFAULT_LIMITS, type ResourceRecord, type Source } from '../../src/sources/types.js';
import { realAttack } from '../helpers.js';
import {
  applicable, billionLaughs, bom, crlf, DAMAGE_KINDS, damageId, deepNesting, duplicateKey, huge, idAtSite, invalidUtf8, rng,
  seedFor, truncate, wrongTypes, type Damage, type DamageKind, type Format, type IdDamage, type Rand,
} from './damage.js';
import { ALL_PROFILES, layOut, originalBytes, profileFor, type Profile } from './profiles.js';

const SEED = Number(process.env.PURPLEBOOK_ROBUSTNESS_SEED ?? 19_850_917);
/** Just past maxDepth (the limit must catch it), and deep enough to break a parser that recurses without a guard. */
const DEPTHS = [DEFAULT_LIMITS.maxDepth + 1, 5000];
/** A hang guard, far above the few hundred milliseconds a damaged file takes. */
const TIMEOUT = 60_000;

interface Outcome {
  records: ResourceRecord[];
  warnings: SourceWarning[];
  attack: AttackIndex;
}

async function run(source: Source, p: Profile, dir: string): Promise<Outcome> {
  const loaderWarnings: SourceWarning[] = [];
  // The sampled bundles are the 3 MB ICS and mobile ones: held to the connectors' file limit, the
  // 50 MiB damage is refused by its size like any other file (the default bundle limit is far larger).
  const limits = { ...DEFAULT_LIMITS, maxBundleBytes: DEFAULT_LIMITS.maxFileBytes };
  const attack = p.attackFromFixture ? loadAttack(dir, (w) => loaderWarnings.push({ source: 'attack', ...w }), limits) : realAttack();
  const { records, warnings } = await collectSource(source, { dataDir: dir, attack });
  const companion = p.reportedBy ? (await collectSource(findSource(p.reportedBy)!, { dataDir: dir, attack })).warnings : [];
  return { records, warnings: [...loaderWarnings, ...warnings, ...companion], attack };
}

async function withDamage<T>(dir: string, p: Profile, file: string, d: { bytes: Buffer; sparseSize?: number }, f: () => Promise<T>): Promise<T> {
  const full = join(dir, file);
  writeFileSync(full, d.bytes);
  if (d.sparseSize) truncateSync(full, d.sparseSize);
  try {
    return await f();
  } finally {
    writeFileSync(full, originalBytes(p, file));
  }
}

const ofFile = <T extends { file?: string }>(list: readonly T[], file: string) => list.filter((x) => x.file === file);
const filesOf = (o: Outcome) => [...o.records, ...o.warnings].map((x) => x.file ?? '(none)');

/** Warnings of `after` not in `before`, as a multiset difference. */
function added(after: readonly SourceWarning[], before: readonly SourceWarning[]): SourceWarning[] {
  const left = [...before];
  return after.filter((w) => {
    const i = left.findIndex((b) => b.file === w.file && b.reason === w.reason);
    if (i < 0) return true;
    left.splice(i, 1);
    return false;
  });
}

/**
 * Ids the build reports for the file's records, named by the record's file (kb/build.ts):
 * `"x" is not an ATT&CK technique id` and `technique T… is unknown to the loaded ATT&CK`.
 */
function buildIdWarnings(o: Outcome, file: string): SourceWarning[] {
  return ofFile(o.records, file).flatMap((r) => r.techniques
    .filter((t) => t.relation !== 'non_mappable' && ['invalid', 'unknown'].includes(resolveTechniqueId(o.attack, t.id).kind))
    .map((t) => ({ source: 'build', file, reason: t.id })));
}

function resolvedSets(o: Outcome, file: string): Map<string, string[]> {
  return new Map(ofFile(o.records, file).map((r) => {
    const ids = new Set<string>();
    for (const t of r.techniques) {
      const res = resolveTechniqueId(o.attack, t.id);
      if (res.kind === 'ok' || res.kind === 'unknown') ids.add(res.id);
      else if (res.kind === 'revoked') for (const id of res.ids) ids.add(id);
    }
    return [r.key, [...ids].sort()];
  }));
}

/** No crash, and the undamaged files give exactly what they gave before. */
function checkIsolation(p: Profile, base: Outcome, got: Outcome, damaged: string, msg: string): void {
  expect(got.warnings.filter((w) => w.reason.startsWith('connector failed')), `${msg}: the connector crashed`).toEqual([]);
  const stable = (r: ResourceRecord) => (p.stable ? p.stable(r, damaged) : r);
  for (const file of new Set([...filesOf(base), ...filesOf(got)].filter((f) => f !== damaged))) {
    expect(ofFile(got.records, file).map(stable), `${msg}: records of the undamaged ${file}`).toEqual(ofFile(base.records, file).map(stable));
    expect(ofFile(got.warnings, file), `${msg}: warnings of the undamaged ${file}`).toEqual(ofFile(base.warnings, file));
  }
}

/** The damage kinds whose expectation does not depend on more than the kind and the format. */
function checkDamaged(kind: DamageKind, format: Format, p: Profile, base: Outcome, got: Outcome, file: string, d: Damage, msg: string): void {
  const records = ofFile(got.records, file);
  const before = ofFile(base.records, file);
  // Exact counts are about the source's own warnings; its reporting companion says the same once more.
  const own = (list: SourceWarning[]) => ofFile(list, file).filter((w) => w.source !== p.reportedBy);
  const warnings = own(got.warnings);
  const fresh = added(ofFile(got.warnings, file), ofFile(base.warnings, file));
  const same = () => {
    expect(records, `${msg}: records`).toEqual(before);
    expect(warnings, `${msg}: warnings`).toEqual(own(base.warnings));
  };
  const lost = (reason?: string) => {
    expect(records, `${msg}: records`).toEqual([]);
    if (reason === undefined) expect(warnings.length, `${msg}: one warning naming ${file}, got ${JSON.stringify(warnings)}`).toBe(1);
    else expect(warnings.map((w) => w.reason), `${msg}: warnings`).toEqual([reason]);
  };
  switch (kind) {
    case 'truncate':
      // A cut that still parses is just a shorter file; one that does not must be reported.
      if (!d.parses) expect(fresh.length, `${msg}: a cut that does not parse, and no warning naming the file`).toBeGreaterThan(0);
      return;
    case 'invalid-utf8':
      return lost('not valid UTF-8');
    case 'bom':
    case 'crlf':
      return same();
    case 'duplicate-key':
      return format === 'yaml' || format === 'toml' ? lost() : same();
    case 'billion-laughs':
      return lost();
    case 'huge':
      return lost(`file is ${d.sparseSize} bytes, over the ${DEFAULT_LIMITS.maxFileBytes}-byte limit: skipped`);
    case 'deep-nesting':
      if (format === 'turtle') return expect(records, `${msg}: records`).toEqual(before);
      if (format === 'ndjson') {
        expect(records.length, `${msg}: only the damaged line is lost`).toBe(before.length - 1);
        expect(fresh.length, `${msg}: one warning for the damaged line, got ${JSON.stringify(fresh)}`).toBe(1);
        return;
      }
      return lost();
    default:
      throw new Error(`no expectation for ${kind}`);
  }
}

/**
 * A damaged record read back with the original spelling, wherever the connector kept the text
 * (descriptions, meta). A text the connector capped (`…`) is compared up to a 128-character
 * boundary well before the cut: a longer damaged id moves the cut by a few characters.
 */
function undamagedSpelling(list: ResourceRecord[], from: string, to: string): unknown[] {
  const json = JSON.stringify(list.map(({ techniques: _t, ...rest }) => rest));
  return JSON.parse(json.split(JSON.stringify(to).slice(1, -1)).join(from), (_k, v: unknown) =>
    (typeof v === 'string' && v.endsWith('…') ? v.slice(0, Math.max(0, Math.floor(v.length / 128) * 128 - 128)) : v)) as unknown[];
}

function checkId(kind: IdDamage, p: Profile, base: Outcome, got: Outcome, file: string, d: Damage, msg: string): void {
  const { from, to } = d.id!;
  const records = ofFile(got.records, file);
  const before = ofFile(base.records, file);
  expect(undamagedSpelling(records, from, to), `${msg}: records apart from the damaged spelling`)
    .toEqual(undamagedSpelling(before, from, from));
  const was = resolvedSets(base, file);
  const now = resolvedSets(got, file);
  if (kind === 'id-case') {
    expect(now, `${msg}: techniques after resolution`).toEqual(was);
    // A warning may quote the id as written (a stanza id that disagrees with its search's).
    expect(ofFile(got.warnings, file).map((w) => w.reason.split(to).join(from)), `${msg}: warnings`).toEqual(ofFile(base.warnings, file).map((w) => w.reason));
    return;
  }
  for (const [key, ids] of now) {
    expect(ids.filter((id) => !was.get(key)?.includes(id)), `${msg}: ${key} gained techniques from the damaged id`).toEqual([]);
  }
  const escaped = JSON.stringify(to).slice(1, -1);
  const fresh = added(ofFile(got.warnings, file), ofFile(base.warnings, file));
  const naming = fresh.filter((w) => w.reason.includes(to) || w.reason.includes(escaped));
  const passedOn = records.flatMap((r) => r.techniques.filter((t) => t.id.includes(to)));
  const invalid = passedOn.filter((t) => resolveTechniqueId(got.attack, t.id).kind === 'invalid');
  const reported = p.prose ? fresh : naming;
  if (!reported.length) expect(passedOn.filter((t) => !invalid.includes(t)), `${msg}: damaged ids passed on without a warning naming the file`).toEqual([]);
  expect(reported.length + invalid.length, `${msg}: the damaged id is reported with the file (by the connector, or as an invalid id by the build)`).toBeGreaterThan(0);
}

type WrongTypeResult = 'warned' | 'ignored' | 'null as absent' | 'degraded';

async function checkWrongTypes(source: Source, p: Profile, dir: string, base: Outcome, file: string, damages: Damage[], msg: string): Promise<WrongTypeResult[]> {
  const results: WrongTypeResult[] = [];
  const control = await withDamage(dir, p, file, { bytes: damages[0]!.control! }, () => run(source, p, dir));
  checkIsolation(p, base, control, file, `${msg} (the undamaged document rewritten)`);
  const controlRecords = JSON.stringify(ofFile(control.records, file));
  // A repeated reference says nothing more (collect.ts drops repeats): what a record maps is its distinct ids.
  const mapping = (list: ResourceRecord[]) => JSON.stringify(list.map((r) => [r.key, [...new Set(r.techniques.map((t) => t.id))]]));
  const removedRuns = new Map<string, Outcome>();
  const failures: string[] = [];
  for (const d of damages) {
    const got = await withDamage(dir, p, file, d, () => run(source, p, dir));
    checkIsolation(p, base, got, file, `${msg} ${d.name}`);
    const records = ofFile(got.records, file);
    const warned = added(ofFile(got.warnings, file), ofFile(control.warnings, file)).length > 0
      || added(buildIdWarnings(got, file), buildIdWarnings(control, file)).length > 0;
    if (warned) {
      results.push('warned');
      continue;
    }
    if (JSON.stringify(records) === controlRecords) {
      results.push('ignored');
      continue;
    }
    if (d.field!.replacement === 'null') {
      const k = d.field!.path.join('.');
      let removed = removedRuns.get(k);
      if (!removed) {
        removed = await withDamage(dir, p, file, { bytes: d.removed! }, () => run(source, p, dir));
        removedRuns.set(k, removed);
      }
      if (JSON.stringify(records) === JSON.stringify(ofFile(removed.records, file))) {
        results.push('null as absent');
        continue;
      }
    }
    if (mapping(records) === mapping(ofFile(control.records, file))) {
      results.push('degraded');
      continue;
    }
    failures.push(d.name);
  }
  expect(failures, `${msg}: what the file maps (record keys, technique ids) changed without a warning naming it`).toEqual([]);
  return results;
}

function parseForPaths(bytes: Buffer, format: Format): unknown {
  const s = bytes.toString('utf8');
  if (format === 'yaml') return parseYamlText(s);
  if (format === 'toml') return parseTomlText(s);
  return format === 'json' ? JSON.parse(s) : undefined;
}

/** The damage of one kind for one file of the profile, or none when the file offers no place for it. */
function damagesFor(kind: DamageKind, format: Format, bytes: Buffer, rand: Rand, p: Profile, file: string, base: Outcome): Damage[] {
  switch (kind) {
    case 'truncate':
      return truncate(bytes, format, rand);
    case 'invalid-utf8':
      return invalidUtf8(bytes, rand);
    case 'bom':
      return bom(bytes);
    case 'crlf':
      return crlf(bytes);
    case 'duplicate-key':
      return duplicateKey(bytes, format, rand);
    case 'billion-laughs':
      return billionLaughs(bytes);
    case 'huge':
      return huge(bytes);
    case 'deep-nesting':
      return deepNesting(bytes, format, DEPTHS, rand);
    case 'wrong-type': {
      if (!p.fieldPaths) return [];
      let doc: unknown;
      try {
        doc = parseForPaths(bytes, format);
      } catch {
        return [];
      }
      return wrongTypes(bytes, format, p.fieldPaths(doc, file), rand);
    }
    case 'id-nul':
    case 'id-case':
    case 'id-space': {
      const raw = [...new Set(ofFile(base.records, file).flatMap((r) => r.techniques.map((t) => t.id.trim())))];
      const id = idAtSite(bytes, format, raw, rand, p.prose);
      return id ? damageId(bytes, format, id, kind, p.prose) : [];
    }
  }
}

/** Damage a file may simply have no place for: line ends in a one-line file. */
function noPlace(kind: DamageKind, p: Profile): string | undefined {
  if (kind === 'crlf' && p.files.every((f) => !originalBytes(p, f.path).includes(0x0a))) return 'no sampled file has a line break';
  return undefined;
}

/** source, damage, file, what happened: printed as the report's table when PURPLEBOOK_ROBUSTNESS_REPORT names a file. */
const outcomes: string[] = [];

function describeOutcome(base: Outcome, got: Outcome, file: string): string {
  const r = ofFile(got.records, file).length;
  const r0 = ofFile(base.records, file).length;
  const w = added(ofFile(got.warnings, file), ofFile(base.warnings, file));
  return `${r}/${r0} records, ${w.length} new warning(s)${w.length ? `: ${w[0]!.reason.replace(/\s+/g, ' ').slice(0, 90)}` : ''}`;
}

function summarize(results: string[]): string {
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}

async function damageOne(source: Source, p: Profile, kind: DamageKind, dir: string, base: Outcome): Promise<void> {
  const rand = rng(seedFor(SEED, source.name, kind));
  const start = Math.floor(rand() * p.files.length);
  for (let k = 0; k < p.files.length; k++) {
    const { path: file, format } = p.files[(start + k) % p.files.length]!;
    if (!applicable(kind, format)) continue;
    const damages = damagesFor(kind, format, originalBytes(p, file), rand, p, file, base);
    if (!damages.length) continue;
    const msg = `[seed ${SEED}] ${source.name} ${file}`;
    if (kind === 'wrong-type') {
      const results = await checkWrongTypes(source, p, dir, base, file, damages, msg);
      outcomes.push([source.name, kind, file, `${damages.length} variants: ${summarize(results)}`].join('\t'));
      return;
    }
    for (const d of damages) {
      const got = await withDamage(dir, p, file, d, () => run(source, p, dir));
      checkIsolation(p, base, got, file, `${msg} ${d.name}`);
      if (kind === 'id-nul' || kind === 'id-case' || kind === 'id-space') checkId(kind, p, base, got, file, d, `${msg} ${d.name}`);
      else checkDamaged(kind, format, p, base, got, file, d, `${msg} ${d.name}`);
      outcomes.push([source.name, kind, file, `${d.name}: ${describeOutcome(base, got, file)}`].join('\t'));
    }
    return;
  }
  const why = noPlace(kind, p);
  if (why) {
    outcomes.push([source.name, kind, '-', `not applicable: ${why}`].join('\t'));
    return;
  }
  expect.fail(`[seed ${SEED}] ${source.name}: no sampled file offers a place for ${kind}`);
}

describe('robustness profiles', () => {
  it('every source in ALL_SOURCES has a profile, and every profile a source', () => {
    expect(ALL_SOURCES.filter((s) => !profileFor(s.name)).map((s) => s.name), 'sources without a robustness profile (test/robustness/profiles.ts)').toEqual([]);
    expect(ALL_PROFILES.map((p) => p.source).filter((n) => !ALL_SOURCES.some((s) => s.name === n))).toEqual([]);
  });
});

for (const source of ALL_SOURCES) {
  const p = profileFor(source.name);
  if (!p) continue;
  describe(`robustness: ${source.name}`, () => {
    let dir: string;
    let base: Outcome;
    beforeAll(async () => {
      dir = layOut(p);
      base = await run(source, p, dir);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('the undamaged sample loads without a crash and gives records', () => {
      expect(base.warnings.filter((w) => w.reason.startsWith('connector failed'))).toEqual([]);
      expect(base.records.length).toBeGreaterThan(0);
    });

    for (const kind of DAMAGE_KINDS) {
      if (!p.files.some((f) => applicable(kind, f.format))) continue;
      const gap = p.gaps?.[kind];
      if (gap) it.fails(`${kind} (known gap: ${gap})`, () => damageOne(source, p, kind, dir, base), TIMEOUT);
      else it(kind, () => damageOne(source, p, kind, dir, base), TIMEOUT);
    }
  });
}

afterAll(() => {
  if (process.env.PURPLEBOOK_ROBUSTNESS_REPORT) writeFileSync(process.env.PURPLEBOOK_ROBUSTNESS_REPORT, `${outcomes.sort().join('\n')}\n`);
});
