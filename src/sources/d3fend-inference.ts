/**
 * D3FEND's ATT&CK mapping, reproduced. D3FEND publishes no mapping file: its site infers
 * "defensive technique D counters ATT&CK technique T" from shared digital artifacts.
 * This module holds that rule and nothing else (Turtle parsing lives in d3fend.ts), so it can
 * be read against D3FEND's documentation and run on any release of the ontology:
 *
 * - A *relation* of class C is an OWL restriction written directly on C,
 *   `C rdfs:subClassOf [ a owl:Restriction ; owl:onProperty P ; owl:someValuesFrom F ]`,
 *   with F a named class and P a sub-property (reflexive, transitive) of d3f:may-be-associated-with.
 * - An ATT&CK technique is a non-deprecated class under d3f:OffensiveTechnique carrying
 *   d3f:attack-id. Its offensive artifacts are the fillers of relations written on itself, on
 *   its direct ATT&CK parent and on its direct ATT&CK sub-techniques (never tactic classes).
 * - A defensive technique is a class under d3f:DefensiveTechnique carrying d3f:d3fend-id. Its
 *   defensive artifacts are the fillers of its own relations (nothing inherited) that are
 *   subclasses of d3f:DigitalArtifact.
 * - T maps to D when an offensive artifact of T is a subclass (reflexive, transitive, named
 *   classes only) of a defensive artifact of D.
 */

export const D3F = 'http://d3fend.mitre.org/ontologies/d3fend.owl#';
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const RDFS = 'http://www.w3.org/2000/01/rdf-schema#';
const OWL = 'http://www.w3.org/2002/07/owl#';
const SUBCLASS = `${RDFS}subClassOf`;
const SUBPROPERTY = `${RDFS}subPropertyOf`;
const LABEL = `${RDFS}label`;
const RESTRICTION = `${OWL}Restriction`;
const ON_PROPERTY = `${OWL}onProperty`;
const SOME_VALUES = `${OWL}someValuesFrom`;
const DEPRECATED = `${OWL}deprecated`;
const MAY_BE_ASSOCIATED = `${D3F}may-be-associated-with`;
const OFFENSIVE_TECHNIQUE = `${D3F}OffensiveTechnique`;
const DEFENSIVE_TECHNIQUE = `${D3F}DefensiveTechnique`;
const DIGITAL_ARTIFACT = `${D3F}DigitalArtifact`;
const ATTACK_ID = `${D3F}attack-id`;
const D3FEND_ID = `${D3F}d3fend-id`;
const DEFINITION = `${D3F}definition`;
const ENABLES = `${D3F}enables`;

/** The shape of an RDF/JS quad that this module reads (n3's Quad and Store items fit). */
export interface TermLike {
  termType: string;
  value: string;
}
export interface QuadLike {
  subject: TermLike;
  predicate: TermLike;
  object: TermLike;
}

/** One relation written on a class: `property some filler`. */
export interface Relation {
  property: string;
  filler: string;
}

/** Why T maps to D: T's artifact is (a subclass of) D's artifact. */
export interface Chain {
  /** ATT&CK id of the technique the offensive relation is written on, when not T itself. */
  via?: string;
  offensiveProperty: string;
  offensiveArtifact: string;
  defensiveArtifact: string;
  defensiveProperty: string;
  /** rdfs:subClassOf steps from the offensive to the defensive artifact (0 = same class). */
  distance: number;
}

export interface DefensiveTechnique {
  iri: string;
  localName: string;
  d3fendId: string;
  label: string;
  definition?: string;
  /** Local name of the D3FEND tactic (Harden, Detect, …) it enables, nearest in its hierarchy. */
  tactic?: string;
  deprecated: boolean;
  /** Local names of its defensive artifacts, sorted. */
  artifacts: string[];
}

export interface AttackTechnique {
  iri: string;
  attackId: string;
  label: string;
}

export interface D3fendPair {
  attackId: string;
  /** Local name of the defensive technique class. */
  defensive: string;
  defensiveIri: string;
  d3fendId: string;
  chain: Chain;
}

export interface D3fendInference {
  /** Every inferred (ATT&CK technique, defensive technique) pair, sorted by ATT&CK id, then D3FEND id. */
  pairs: D3fendPair[];
  /** Every defensive technique, in the order their d3fend-id was read. */
  defensive: DefensiveTechnique[];
  /** Every non-deprecated ATT&CK technique class, in the order their attack-id was read. */
  attack: AttackTechnique[];
}

export function localName(iri: string): string {
  const cut = Math.max(iri.lastIndexOf('#'), iri.lastIndexOf('/'));
  return cut >= 0 ? iri.slice(cut + 1) : iri;
}

/** Terms as keys: blank nodes kept apart from IRIs. */
function key(t: TermLike): string {
  return t.termType === 'BlankNode' ? `_:${t.value}` : t.value;
}

function push<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}

/** The few facts the rule needs, indexed once. */
class Graph {
  readonly namedParents = new Map<string, string[]>();
  readonly namedChildren = new Map<string, string[]>();
  readonly anonymousParents = new Map<string, string[]>();
  readonly subProperties = new Map<string, string[]>();
  readonly restrictionNodes = new Set<string>();
  readonly onProperty = new Map<string, string>();
  readonly someValuesFrom = new Map<string, string>();
  readonly attackId = new Map<string, string>();
  readonly d3fendId = new Map<string, string>();
  readonly label = new Map<string, string>();
  readonly definition = new Map<string, string>();
  readonly deprecated = new Set<string>();
  readonly enables = new Map<string, string[]>();
  private readonly ancestorCache = new Map<string, Map<string, number>>();

  constructor(quads: Iterable<QuadLike>) {
    for (const q of quads) this.add(q);
  }

  private add({ subject, predicate, object }: QuadLike): void {
    const s = key(subject);
    const o = key(object);
    const named = object.termType === 'NamedNode';
    const literal = object.termType === 'Literal';
    switch (predicate.value) {
      case SUBCLASS:
        if (named) {
          push(this.namedParents, s, o);
          push(this.namedChildren, o, s);
        } else if (object.termType === 'BlankNode') push(this.anonymousParents, s, o);
        break;
      case SUBPROPERTY:
        if (named) push(this.subProperties, o, s);
        break;
      case RDF_TYPE:
        if (o === RESTRICTION) this.restrictionNodes.add(s);
        break;
      case ON_PROPERTY:
        if (named && !this.onProperty.has(s)) this.onProperty.set(s, o);
        break;
      case SOME_VALUES:
        if (named && !this.someValuesFrom.has(s)) this.someValuesFrom.set(s, o);
        break;
      case ENABLES:
        if (named) push(this.enables, s, o);
        break;
      case DEPRECATED:
        if (literal && (object.value === 'true' || object.value === '1')) this.deprecated.add(s);
        break;
      case ATTACK_ID:
        if (literal) setFirst(this.attackId, s, object.value.trim());
        break;
      case D3FEND_ID:
        if (literal) setFirst(this.d3fendId, s, object.value.trim());
        break;
      case LABEL:
        if (literal) setFirst(this.label, s, object.value);
        break;
      case DEFINITION:
        if (literal) setFirst(this.definition, s, object.value);
        break;
    }
  }

  /** Named superclasses of `cls` including itself, with their rdfs:subClassOf distance (BFS, cycle-safe). */
  ancestors(cls: string): Map<string, number> {
    const cached = this.ancestorCache.get(cls);
    if (cached) return cached;
    const dist = new Map<string, number>([[cls, 0]]);
    const queue = [cls];
    for (let i = 0; i < queue.length; i++) {
      const c = queue[i]!;
      for (const p of this.namedParents.get(c) ?? []) {
        if (dist.has(p)) continue;
        dist.set(p, dist.get(c)! + 1);
        queue.push(p);
      }
    }
    this.ancestorCache.set(cls, dist);
    return dist;
  }

  isUnder(cls: string, root: string): boolean {
    return this.ancestors(cls).has(root);
  }

  /** `root` and every property declared (transitively) rdfs:subPropertyOf it. */
  propertiesUnder(root: string): Set<string> {
    const out = new Set([root]);
    const queue = [root];
    for (let i = 0; i < queue.length; i++) {
      for (const sub of this.subProperties.get(queue[i]!) ?? []) {
        if (!out.has(sub)) {
          out.add(sub);
          queue.push(sub);
        }
      }
    }
    return out;
  }

  /** `property some filler` restrictions written directly on `cls` (named fillers only). */
  restrictionsOn(cls: string): Relation[] {
    const out: Relation[] = [];
    for (const node of this.anonymousParents.get(cls) ?? []) {
      if (!this.restrictionNodes.has(node)) continue;
      const property = this.onProperty.get(node);
      const filler = this.someValuesFrom.get(node);
      if (property && filler) out.push({ property, filler });
    }
    return out;
  }
}

function setFirst(map: Map<string, string>, k: string, v: string): void {
  if (!map.has(k)) map.set(k, v);
}

/** Deterministic preference between two chains: shortest, then the technique's own relations, then by name. */
function better(a: Chain, b: Chain): boolean {
  if (a.distance !== b.distance) return a.distance < b.distance;
  if ((a.via === undefined) !== (b.via === undefined)) return a.via === undefined;
  return chainText(a) < chainText(b);
}

/** `produces AdministrativeNetworkTraffic ⊑ NetworkTraffic ← analyzes`, prefixed `via T1021: ` when inherited from a parent/child. */
export function chainText(c: Chain): string {
  const off = `${localName(c.offensiveProperty)} ${localName(c.offensiveArtifact)}`;
  const def = c.distance === 0 ? '' : ` ⊑ ${localName(c.defensiveArtifact)}`;
  return `${c.via ? `via ${c.via}: ` : ''}${off}${def} ← ${localName(c.defensiveProperty)}`;
}

interface OffensiveRelation extends Relation {
  via?: string;
}

export function inferD3fend(quads: Iterable<QuadLike>): D3fendInference {
  const g = new Graph(quads);
  const relationProperties = g.propertiesUnder(MAY_BE_ASSOCIATED);
  const relationsOf = (cls: string): Relation[] =>
    g.restrictionsOn(cls).filter((r) => relationProperties.has(r.property));

  const attack = attackTechniques(g);
  const defensive = defensiveTechniques(g, relationsOf);

  // Artifact class → the defensive techniques (and their property) that name it.
  const defendersOf = new Map<string, { d: DefensiveTechnique; property: string }[]>();
  for (const d of defensive) {
    for (const r of relationsOf(d.iri)) {
      if (g.isUnder(r.filler, DIGITAL_ARTIFACT)) push(defendersOf, r.filler, { d, property: r.property });
    }
  }

  const attackByIri = new Map(attack.map((t) => [t.iri, t]));
  // Keyed by ATT&CK id and defensive class: two classes may carry the same attack-id.
  const best = new Map<string, D3fendPair>();
  for (const t of attack) {
    for (const off of offensiveRelations(g, t, attackByIri, relationsOf)) {
      for (const [artifact, distance] of g.ancestors(off.filler)) {
        for (const { d, property } of defendersOf.get(artifact) ?? []) {
          const chain: Chain = {
            ...(off.via ? { via: off.via } : {}),
            offensiveProperty: off.property,
            offensiveArtifact: off.filler,
            defensiveArtifact: artifact,
            defensiveProperty: property,
            distance,
          };
          const pairKey = `${t.attackId}\u0000${d.iri}`;
          const current = best.get(pairKey);
          if (!current || better(chain, current.chain)) {
            best.set(pairKey, { attackId: t.attackId, defensive: d.localName, defensiveIri: d.iri, d3fendId: d.d3fendId, chain });
          }
        }
      }
    }
  }
  const pairs = [...best.values()];
  pairs.sort((a, b) => compare(a.attackId, b.attackId) || compare(a.d3fendId, b.d3fendId) || compare(a.defensive, b.defensive));
  return { pairs, defensive, attack };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function attackTechniques(g: Graph): AttackTechnique[] {
  const out: AttackTechnique[] = [];
  for (const [iri, attackId] of g.attackId) {
    if (g.deprecated.has(iri) || iri.startsWith('_:') || iri === OFFENSIVE_TECHNIQUE || !g.isUnder(iri, OFFENSIVE_TECHNIQUE)) continue;
    out.push({ iri, attackId, label: g.label.get(iri) ?? attackId });
  }
  return out;
}

/** Relations on T, on its direct ATT&CK parents and on its direct ATT&CK sub-techniques. */
function offensiveRelations(
  g: Graph,
  t: AttackTechnique,
  attackByIri: Map<string, AttackTechnique>,
  relationsOf: (cls: string) => Relation[],
): OffensiveRelation[] {
  const out: OffensiveRelation[] = relationsOf(t.iri);
  const kin = [...(g.namedParents.get(t.iri) ?? []), ...(g.namedChildren.get(t.iri) ?? [])];
  for (const k of kin) {
    const other = attackByIri.get(k);
    if (!other || other === t) continue;
    for (const r of relationsOf(k)) out.push({ ...r, via: other.attackId });
  }
  return out;
}

function defensiveTechniques(g: Graph, relationsOf: (cls: string) => Relation[]): DefensiveTechnique[] {
  const out: DefensiveTechnique[] = [];
  for (const [iri, d3fendId] of g.d3fendId) {
    if (iri.startsWith('_:') || iri === DEFENSIVE_TECHNIQUE || !g.isUnder(iri, DEFENSIVE_TECHNIQUE)) continue;
    const artifacts = relationsOf(iri)
      .filter((r) => g.isUnder(r.filler, DIGITAL_ARTIFACT))
      .map((r) => localName(r.filler));
    const definition = g.definition.get(iri);
    out.push({
      iri,
      localName: localName(iri),
      d3fendId,
      label: g.label.get(iri) ?? localName(iri),
      ...(definition !== undefined ? { definition } : {}),
      ...tacticOf(g, iri),
      deprecated: g.deprecated.has(iri),
      artifacts: [...new Set(artifacts)].sort(),
    });
  }
  return out;
}

/**
 * The tactic is stated on top-level techniques only (`d3f:enables d3f:Detect`, as an annotation
 * and/or a restriction), so take the nearest statement up the defensive hierarchy.
 */
function tacticOf(g: Graph, iri: string): { tactic?: string } {
  const byDistance = [...g.ancestors(iri)].sort((a, b) => a[1] - b[1]);
  for (const [cls] of byDistance) {
    const targets = [...(g.enables.get(cls) ?? [])];
    for (const r of g.restrictionsOn(cls)) if (r.property === ENABLES) targets.push(r.filler);
    if (targets.length) return { tactic: localName(targets.sort()[0]!) };
  }
  return {};
}
