import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from 'n3';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectSource, type SourceWarning } from '../../src/sources/collect.js';
import { d3fendSource, parseTurtleLenient } from '../../src/sources/d3fend.js';
import { inferD3fend } from '../../src/sources/d3fend-inference.js';
import type { ResourceRecord } from '../../src/sources/types.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

const PREFIXES = `@prefix : <http://d3fend.mitre.org/ontologies/d3fend.owl#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
`;

const some = (p: string, c: string) => `[ a owl:Restriction ; owl:onProperty :${p} ; owl:someValuesFrom :${c} ]`;

/** One small ontology exercising every clause of the rule. */
const ONTOLOGY = `${PREFIXES}
:may-be-associated-with a owl:ObjectProperty .
:associated-with rdfs:subPropertyOf :may-be-associated-with .
:may-produce rdfs:subPropertyOf :may-be-associated-with .
:produces rdfs:subPropertyOf :may-produce .
:creates rdfs:subPropertyOf :associated-with .
:analyzes rdfs:subPropertyOf :associated-with .
:filters rdfs:subPropertyOf :associated-with .
:enables rdfs:subPropertyOf :associated-with .
:unrelated-to a owl:ObjectProperty .

:DigitalArtifact a owl:Class .
:NetworkTraffic rdfs:subClassOf :DigitalArtifact .
:IntranetTraffic rdfs:subClassOf :NetworkTraffic .
:AdminTraffic rdfs:subClassOf :IntranetTraffic .
:Session rdfs:subClassOf :DigitalArtifact .
:SSHSession rdfs:subClassOf :Session .
:RDPTraffic rdfs:subClassOf :DigitalArtifact .
:TacticTraffic rdfs:subClassOf :DigitalArtifact .
:Person a owl:Class .

:OffensiveTechnique a owl:Class .
:LateralMovementTechnique rdfs:subClassOf :OffensiveTechnique, ${some('produces', 'TacticTraffic')} .
:T1021 rdfs:subClassOf :LateralMovementTechnique, ${some('produces', 'IntranetTraffic')} ;
  rdfs:label "Remote Services" ; :attack-id "T1021" .
:T1021.004 rdfs:subClassOf :T1021, ${some('creates', 'SSHSession')} ;
  rdfs:label "SSH" ; :attack-id "T1021.004" .
:T1021.001 rdfs:subClassOf :T1021, ${some('produces', 'RDPTraffic')} ;
  rdfs:label "RDP" ; :attack-id "T1021.001" .
:T1021.999 rdfs:subClassOf :T1021, ${some('produces', 'TacticTraffic')} ;
  owl:deprecated true ; :attack-id "T1021.999" .
:T1099 rdfs:subClassOf :LateralMovementTechnique, ${some('produces', 'AdminTraffic')} ;
  owl:deprecated true ; :attack-id "T1099" .
:T1200 rdfs:subClassOf :OffensiveTechnique, ${some('unrelated-to', 'NetworkTraffic')} ; :attack-id "T1200" .
:T1300 rdfs:subClassOf :OffensiveTechnique, ${some('produces', 'Person')} ; :attack-id "T1300" .
:NotAttack rdfs:subClassOf ${some('produces', 'NetworkTraffic')} ; :attack-id "T1400" .

:DefensiveTactic a owl:Class .
:Detect rdfs:subClassOf :DefensiveTactic .
:Isolate rdfs:subClassOf :DefensiveTactic .
:DefensiveTechnique a owl:Class .
:NetworkTrafficAnalysis rdfs:subClassOf :DefensiveTechnique, ${some('analyzes', 'SSHSession')} ;
  rdfs:label "Network Traffic Analysis" ; :d3fend-id "D3-NTA" ; :enables :Detect ;
  :definition "Analyzing   network traffic." .
:NetworkTrafficCommunityDeviation rdfs:subClassOf :NetworkTrafficAnalysis, ${some('analyzes', 'NetworkTraffic')},
    [ a owl:Restriction ; owl:onProperty :d3fend-id ; owl:someValuesFrom xsd:string ] ;
  rdfs:label "Network Traffic Community Deviation" ; :d3fend-id "D3-NTCD" .
:InheritsOnly rdfs:subClassOf :NetworkTrafficAnalysis, ${some('analyzes', 'Person')} ;
  rdfs:label "Inherits Only" ; :d3fend-id "D3-IO" .
:RDPFiltering rdfs:subClassOf :DefensiveTechnique, ${some('filters', 'RDPTraffic')}, ${some('enables', 'Isolate')} ;
  rdfs:label "RDP Filtering" ; :d3fend-id "D3-RF" .
:TacticWatcher rdfs:subClassOf :DefensiveTechnique, ${some('analyzes', 'TacticTraffic')} ; :d3fend-id "D3-TW" .
:Unrelated rdfs:subClassOf :DefensiveTechnique, ${some('unrelated-to', 'NetworkTraffic')} ; :d3fend-id "D3-UN" .
:NoTechnique rdfs:subClassOf ${some('analyzes', 'NetworkTraffic')} ; :d3fend-id "D3-NO" .
`;

async function load(files: Record<string, string | Buffer>) {
  const dataDir = fixtureDir(files);
  return collectSource(d3fendSource, { dataDir, attack: realAttack() });
}

/** ATT&CK id → sorted D3FEND ids, from the connector's records. */
function byTechnique(records: ResourceRecord[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of records) for (const t of r.techniques) out.set(t.id, [...(out.get(t.id) ?? []), r.upstreamId!]);
  for (const list of out.values()) list.sort();
  return out;
}

describe('d3fend inference rule (fixtures)', () => {
  it('applies each clause of the rule', async () => {
    const { records, warnings } = await load({ 'd3fend/d3fend-protege.ttl': ONTOLOGY });
    expect(warnings).toEqual([]);
    const map = byTechnique(records);
    // Own SSHSession (NTA) + parent's IntranetTraffic ⊑ NetworkTraffic (NTCD); not the sibling's RDPTraffic.
    expect(map.get('T1021.004')).toEqual(['D3-NTA', 'D3-NTCD']);
    // The parent collects its sub-techniques' artifacts.
    expect(map.get('T1021')).toEqual(['D3-NTA', 'D3-NTCD', 'D3-RF']);
    expect(map.get('T1021.001')).toEqual(['D3-NTCD', 'D3-RF']);
    // Deprecated, unknown property, non-artifact filler, class outside OffensiveTechnique: nothing.
    for (const id of ['T1099', 'T1021.999', 'T1200', 'T1300', 'T1400']) expect(map.has(id)).toBe(false);
    // No inheritance down the defensive hierarchy; tactic-level and deprecated relations never count.
    expect(records.map((r) => r.upstreamId).sort()).toEqual(['D3-NTA', 'D3-NTCD', 'D3-RF']);
  });

  it('builds records with the why-chain, tactic and links', async () => {
    const { records } = await load({ 'd3fend/d3fend-protege.ttl': ONTOLOGY });
    const ntcd = records.find((r) => r.key === 'NetworkTrafficCommunityDeviation')!;
    expect(ntcd).toMatchObject({
      upstreamId: 'D3-NTCD',
      title: 'Network Traffic Community Deviation',
      url: 'https://d3fend.mitre.org/technique/d3f:NetworkTrafficCommunityDeviation',
      file: 'd3fend/d3fend-protege.ttl',
      deprecated: false,
      meta: { d3fendId: 'D3-NTCD', tactic: 'Detect', artifacts: ['NetworkTraffic'] },
    });
    const notes = Object.fromEntries(ntcd.techniques.map((t) => [t.id, `${t.relation} | ${t.note}`]));
    expect(notes).toEqual({
      T1021: 'counters | produces IntranetTraffic ⊑ NetworkTraffic ← analyzes',
      'T1021.001': 'counters | via T1021: produces IntranetTraffic ⊑ NetworkTraffic ← analyzes',
      'T1021.004': 'counters | via T1021: produces IntranetTraffic ⊑ NetworkTraffic ← analyzes',
    });
    const nta = records.find((r) => r.key === 'NetworkTrafficAnalysis')!;
    expect(nta.description).toBe('Analyzing network traffic.');
    expect(nta.techniques.find((t) => t.id === 'T1021.004')!.note).toBe('creates SSHSession ← analyzes');
    expect(records.find((r) => r.key === 'RDPFiltering')!.meta!.tactic).toBe('Isolate');
    expect(d3fendSource.summaryFields).toEqual([]);
    expect(d3fendSource.techniquePage).toBe('https://d3fend.mitre.org/offensive-technique/attack/{id}/');
  });

  it('reads a store or plain quads alike', () => {
    const quads = new Parser().parse(ONTOLOGY);
    const pairs = inferD3fend(quads).pairs.map((p) => `${p.attackId} ${p.d3fendId}`);
    expect(pairs).toEqual([
      'T1021 D3-NTA',
      'T1021 D3-NTCD',
      'T1021 D3-RF',
      'T1021.001 D3-NTCD',
      'T1021.001 D3-RF',
      'T1021.004 D3-NTA',
      'T1021.004 D3-NTCD',
    ]);
  });
});

describe('d3fend malformed input', () => {
  it('percent-encodes a malformed IRI, warns with the line, keeps every statement', async () => {
    const text = ONTOLOGY.replace(
      ':InheritsOnly rdfs:subClassOf',
      ':RDPFiltering rdfs:seeAlso <http://example.com/a b|c> .\n\n:InheritsOnly rdfs:subClassOf',
    );
    const { records, warnings } = await load({ 'd3fend/d3fend-protege.ttl': text });
    const line = text.split('\n').findIndex((l) => l.includes('a b|c')) + 1;
    expect(warnings).toEqual([
      { source: 'd3fend', file: 'd3fend/d3fend-protege.ttl', reason: `line ${line}: malformed IRI <http://example.com/a b|c>: illegal characters percent-encoded` },
    ]);
    expect(byTechnique(records).get('T1021')).toEqual(['D3-NTA', 'D3-NTCD', 'D3-RF']);
    const quads = parseTurtleLenient(text, () => {});
    expect(quads.some((q) => q.object.value === 'http://example.com/a%20b%7Cc')).toBe(true);
  });

  it('drops corrupt statements with a warning and keeps long strings that hold blank lines', async () => {
    const text = ONTOLOGY.replace(
      ':TacticWatcher rdfs:subClassOf',
      ':Open :x """never closed\n\n:Broken :x "unterminated ; :y @@@ .\n\n:NetworkTrafficAnalysis :kb-article """## How\n\n## Considerations\n\n* none.\n\n:Fake a owl:Class .""" .\n\n:TacticWatcher rdfs:subClassOf',
    );
    const { records, warnings } = await load({ 'd3fend/d3fend-protege.ttl': text });
    const lineOf = (start: string) => text.split('\n').findIndex((l) => l.startsWith(start)) + 1;
    expect(warnings.map((w) => w.file)).toEqual(['d3fend/d3fend-protege.ttl', 'd3fend/d3fend-protege.ttl']);
    expect(warnings[0]!.reason).toMatch(new RegExp(`^line ${lineOf(':Open')}: .*statement dropped$`));
    expect(warnings[1]!.reason).toMatch(new RegExp(`^line ${lineOf(':Broken')}: .*statement dropped$`));
    expect(byTechnique(records).get('T1021')).toEqual(['D3-NTA', 'D3-NTCD', 'D3-RF']);
    const quads = parseTurtleLenient(text, () => {});
    const article = quads.find((q) => q.predicate.value.endsWith('#kb-article'));
    expect(article?.object.value).toBe('## How\n\n## Considerations\n\n* none.\n\n:Fake a owl:Class .');
  });

  it('survives garbage, empty and missing files with a warning', async () => {
    const garbage = await load({ 'd3fend/d3fend-protege.ttl': Buffer.from('<<<>>> @@@ \n\n"""\n\n\x00\x01 }{ .\n') });
    expect(garbage.records).toEqual([]);
    expect(garbage.warnings.length).toBeGreaterThan(0);
    expect(garbage.warnings.every((w) => w.file === 'd3fend/d3fend-protege.ttl')).toBe(true);

    const empty = await load({ 'd3fend/d3fend-protege.ttl': '' });
    expect(empty.records).toEqual([]);
    expect(empty.warnings.map((w) => w.reason)).toEqual(['empty file']);

    const missing = await load({ 'd3fend/other.ttl': ONTOLOGY });
    expect(missing.records).toEqual([]);
    expect(missing.warnings).toEqual([{ source: 'd3fend', file: 'd3fend', reason: 'no d3fend-protege.ttl found' }]);

    const noRelations = await load({ 'd3fend/d3fend-protege.ttl': ONTOLOGY.replaceAll(':may-be-associated-with', ':other-root') });
    expect(noRelations.records).toEqual([]);
    expect(noRelations.warnings.map((w) => w.reason)).toEqual([expect.stringMatching(/^no ATT&CK technique inferred/)]);

    const invalidUtf8 = await load({ 'd3fend/d3fend-protege.ttl': Buffer.from([0x3a, 0x61, 0xff, 0xfe]) });
    expect(invalidUtf8.warnings.map((w) => w.reason)).toEqual(['not valid UTF-8']);
  });

  it('caps the number of warnings for a file broken everywhere', () => {
    const text = `${PREFIXES}\n${Array.from({ length: 200 }, (_, i) => `:C${i} :p <bad iri ${i}\n`).join('\n')}`;
    const problems: string[] = [];
    parseTurtleLenient(text, (line, why) => problems.push(`${line} ${why}`));
    expect(problems).toHaveLength(51);
    expect(problems[50]).toMatch(/more than 50 problems/);
  });
});

// ---------------------------------------------------------------------------------------------
// Full ontology, checked against an independent reading of the rule: a plain walk over the
// triples with set joins and fixpoint closures (no code shared with d3fend-inference.ts).

const D = 'http://d3fend.mitre.org/ontologies/d3fend.owl#';
const R = 'http://www.w3.org/2000/01/rdf-schema#';
const O = 'http://www.w3.org/2002/07/owl#';
const TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';

type Triple = [string, string, string, string]; // s, p, o, object term type

function closure(edges: Triple[]): Map<string, Set<string>> {
  const up = new Map<string, Set<string>>();
  for (const [s, , o] of edges) {
    if (!up.has(s)) up.set(s, new Set([s]));
    if (!up.has(o)) up.set(o, new Set([o]));
    up.get(s)!.add(o);
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const set of up.values()) {
      for (const x of [...set]) {
        for (const y of up.get(x) ?? []) {
          if (!set.has(y)) {
            set.add(y);
            changed = true;
          }
        }
      }
    }
  }
  return up;
}

function independentMapping(text: string): Map<string, Set<string>> {
  const triples: Triple[] = new Parser().parse(text).map((q) => [
    q.subject.termType === 'BlankNode' ? `_:${q.subject.value}` : q.subject.value,
    q.predicate.value,
    q.object.termType === 'BlankNode' ? `_:${q.object.value}` : q.object.value,
    q.object.termType,
  ]);
  const where = (p: string, termType?: string) => triples.filter((t) => t[1] === p && (!termType || t[3] === termType));
  const classUp = closure(where(`${R}subClassOf`, 'NamedNode'));
  const propUp = closure(where(`${R}subPropertyOf`, 'NamedNode'));
  const under = (c: string, root: string) => c === root || (classUp.get(c)?.has(root) ?? false);
  const relationProp = (p: string) => p === `${D}may-be-associated-with` || (propUp.get(p)?.has(`${D}may-be-associated-with`) ?? false);

  const restrictionIds = new Set(where(TYPE).filter((t) => t[2] === `${O}Restriction`).map((t) => t[0]));
  const onProp = new Map(where(`${O}onProperty`).map((t) => [t[0], t[2]]));
  const filler = new Map(where(`${O}someValuesFrom`, 'NamedNode').map((t) => [t[0], t[2]]));
  const rels = new Map<string, Set<string>>(); // class → fillers of relation restrictions
  for (const [s, , b] of where(`${R}subClassOf`, 'BlankNode')) {
    if (!restrictionIds.has(b) || !filler.has(b) || !onProp.has(b) || !relationProp(onProp.get(b)!)) continue;
    rels.set(s, (rels.get(s) ?? new Set()).add(filler.get(b)!));
  }

  const deprecated = new Set(where(`${O}deprecated`).filter((t) => t[2] === 'true').map((t) => t[0]));
  const attackId = new Map(
    where(`${D}attack-id`).filter((t) => !deprecated.has(t[0]) && t[0] !== `${D}OffensiveTechnique` && under(t[0], `${D}OffensiveTechnique`)).map((t) => [t[0], t[2]]),
  );
  const d3fendId = new Map(
    where(`${D}d3fend-id`).filter((t) => t[0] !== `${D}DefensiveTechnique` && under(t[0], `${D}DefensiveTechnique`)).map((t) => [t[0], t[2]]),
  );

  const offensive = new Map<string, Set<string>>();
  for (const t of attackId.keys()) offensive.set(t, new Set(rels.get(t)));
  for (const [child, , parent] of where(`${R}subClassOf`, 'NamedNode')) {
    if (!attackId.has(child) || !attackId.has(parent) || child === parent) continue;
    for (const f of rels.get(parent) ?? []) offensive.get(child)!.add(f);
    for (const f of rels.get(child) ?? []) offensive.get(parent)!.add(f);
  }

  const out = new Map<string, Set<string>>();
  for (const [d, did] of d3fendId) {
    const defensive = [...(rels.get(d) ?? [])].filter((a) => under(a, `${D}DigitalArtifact`));
    for (const [t, tid] of attackId) {
      const hit = [...offensive.get(t)!].some((o) => defensive.some((a) => under(o, a)));
      if (hit) out.set(tid, (out.get(tid) ?? new Set()).add(did));
    }
  }
  return out;
}

describe('d3fend on the real ontology', () => {
  let records: ResourceRecord[] = [];
  let warnings: SourceWarning[] = [];
  let expected = new Map<string, Set<string>>();
  beforeAll(async () => {
    ({ records, warnings } = await collectSource(d3fendSource, { dataDir: DATA_DIR, attack: realAttack() }));
    expected = independentMapping(readFileSync(join(DATA_DIR, 'd3fend', 'd3fend-protege.ttl'), 'utf8'));
  });

  it('loads without warnings', () => {
    expect(warnings).toEqual([]);
  });

  it('maps T1021.004 to exactly what D3FEND shows', () => {
    expect(byTechnique(records).get('T1021.004')).toEqual(
      ['D3-CAA', 'D3-CSPP', 'D3-NTCD', 'D3-NTF', 'D3-NTSA', 'D3-PHDURA', 'D3-PMAD', 'D3-RTSD', 'D3-ST', 'D3-UGLPA'],
    );
  });

  it('agrees with the independent implementation on every technique', () => {
    const got = byTechnique(records);
    const want = new Map([...expected].map(([t, ds]) => [t, [...ds].sort()]));
    expect(new Set(got.keys())).toEqual(new Set(want.keys()));
    for (const [t, ds] of want) expect(got.get(t), t).toEqual(ds);
  });

  it('agrees after id resolution on sample techniques and on totals', () => {
    const attack = realAttack();
    const resolved = (pairs: [string, string][]) => {
      const per = new Map<string, Set<string>>();
      for (const [resource, raw] of pairs) {
        const r = resolveTechniqueId(attack, raw);
        const ids = r.kind === 'ok' || r.kind === 'unknown' ? [r.id] : r.kind === 'revoked' ? r.ids : [];
        for (const id of ids) per.set(id, (per.get(id) ?? new Set()).add(resource));
      }
      return per;
    };
    const got = resolved(records.flatMap((r) => r.techniques.map((t): [string, string] => [r.upstreamId!, t.id])));
    const want = resolved([...expected].flatMap(([t, ds]) => [...ds].map((d): [string, string] => [d, t])));
    for (const id of ['T1021.004', 'T1059.001', 'T1003.001', 'T1566.001', 'T1110', 'T1055', 'T1078', 'T1486', 'T1547.001', 'T1190']) {
      expect(got.get(id)?.size ?? 0, id).toBe(want.get(id)?.size ?? 0);
    }
    const pairCount = (m: Map<string, Set<string>>) => [...m.values()].reduce((n, s) => n + s.size, 0);
    expect(pairCount(got)).toBe(pairCount(want));
    expect(records.length).toBe(new Set([...expected.values()].flatMap((s) => [...s])).size);
    expect(new Set(records.map((r) => r.key)).size).toBe(records.length);
  });
});
