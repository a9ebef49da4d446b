/**
 * The shape the loader relies on, per STIX object type: the type of every field it reads and the
 * form of the ATT&CK id. A damaged object must be refused whole rather than half-read: a
 * `revoked: "false"` read as truthy, or a `T08 03` taken as a technique id, would change what the
 * knowledge base maps without anyone noticing.
 */

type FieldKind = 'string' | 'boolean' | 'strings' | 'refs' | 'phases' | 'logSources';

const EXPECTED: Record<FieldKind, string> = {
  string: 'a string',
  boolean: 'true or false',
  strings: 'a list of strings',
  refs: 'a list of external references with string fields',
  phases: 'a list of kill chain phases with string fields',
  logSources: 'a list of log source references with string fields',
};

/** Every object: the ATT&CK id is looked up in any object a relationship or matrix points to. */
const COMMON: Record<string, FieldKind> = { type: 'string', external_references: 'refs' };
const STATUS: Record<string, FieldKind> = { revoked: 'boolean', x_mitre_deprecated: 'boolean' };
const ACTOR: Record<string, FieldKind> = { name: 'string', aliases: 'strings', x_mitre_aliases: 'strings', ...STATUS };

const FIELDS: Record<string, Record<string, FieldKind>> = {
  'attack-pattern': {
    name: 'string', description: 'string', ...STATUS, kill_chain_phases: 'phases', x_mitre_platforms: 'strings',
    x_mitre_is_subtechnique: 'boolean', x_mitre_version: 'string', modified: 'string', x_mitre_data_sources: 'strings',
  },
  'course-of-action': { name: 'string', description: 'string', ...STATUS },
  'x-mitre-detection-strategy': { name: 'string', x_mitre_analytic_refs: 'strings', ...STATUS },
  'x-mitre-analytic': { name: 'string', description: 'string', x_mitre_platforms: 'strings', x_mitre_log_source_references: 'logSources' },
  'intrusion-set': ACTOR,
  malware: ACTOR,
  tool: ACTOR,
  campaign: ACTOR,
  'x-mitre-tactic': { name: 'string', x_mitre_shortname: 'string' },
  'x-mitre-matrix': { name: 'string', tactic_refs: 'strings', ...STATUS },
  'x-mitre-collection': { x_mitre_version: 'string' },
  relationship: { relationship_type: 'string', source_ref: 'string', target_ref: 'string', description: 'string', ...STATUS },
};

/** The well-formed ATT&CK id per type; enterprise keeps pre-2018 mitigations under technique-style ids. */
const ID_FORMS: Record<string, { re: RegExp; what: string }> = {
  'attack-pattern': { re: /^T\d{4}(\.\d{3})?$/, what: 'technique id (T1234 or T1234.567)' },
  'course-of-action': { re: /^(M|T)\d{4}$/, what: 'mitigation id (M1234)' },
  'x-mitre-tactic': { re: /^TA\d{4}$/, what: 'tactic id (TA1234)' },
  'x-mitre-detection-strategy': { re: /^DET\d{4}$/, what: 'detection strategy id (DET1234)' },
  'x-mitre-analytic': { re: /^AN\d{4}$/, what: 'analytic id (AN1234)' },
  'intrusion-set': { re: /^G\d{4}$/, what: 'group id (G1234)' },
  malware: { re: /^S\d{4}$/, what: 'software id (S1234)' },
  tool: { re: /^S\d{4}$/, what: 'software id (S1234)' },
  campaign: { re: /^C\d{4}$/, what: 'campaign id (C1234)' },
};

export const ATTACK_SOURCES: ReadonlySet<string> = new Set(['mitre-attack', 'mitre-mobile-attack', 'mitre-ics-attack']);

export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const ELEMENT_KEYS: Partial<Record<FieldKind, string[]>> = {
  refs: ['source_name', 'external_id', 'url'],
  phases: ['kill_chain_name', 'phase_name'],
  logSources: ['name', 'channel'],
};

/** What is wrong with one list element, if anything. Null is as wrong as a number: STIX forbids null values. */
function elementProblem(e: unknown, kind: FieldKind): string | undefined {
  if (kind === 'strings') return typeof e === 'string' ? undefined : `holds ${kindOf(e)}`;
  if (!isRecord(e)) return `holds ${kindOf(e)}`;
  const bad = ELEMENT_KEYS[kind]!.find((k) => e[k] !== undefined && typeof e[k] !== 'string');
  return bad ? `holds an entry whose "${bad}" is ${kindOf(e[bad])}` : undefined;
}

function fieldProblem(v: unknown, kind: FieldKind): string | undefined {
  if (kind === 'string') return typeof v === 'string' ? undefined : `is ${kindOf(v)}`;
  if (kind === 'boolean') return typeof v === 'boolean' ? undefined : `is ${kindOf(v)}`;
  if (!Array.isArray(v)) return `is ${kindOf(v)}`;
  for (const e of v) {
    const p = elementProblem(e, kind);
    if (p) return p;
  }
  return undefined;
}

const COMMON_FIELDS = Object.entries(COMMON);
const TYPE_FIELDS = new Map(Object.entries(FIELDS).map(([type, fields]) => [type, Object.entries({ ...COMMON, ...fields })]));

/** The fields to check for a type, merged once: the bundles hold tens of thousands of objects. */
function fieldsOf(type: unknown): [string, FieldKind][] {
  return (typeof type === 'string' ? TYPE_FIELDS.get(type) : undefined) ?? COMMON_FIELDS;
}

/**
 * Why the object (which has a string `id`) cannot be used, or undefined when every field the
 * loader reads has its type and the ATT&CK id, if any, is well-formed.
 */
export function objectProblem(o: Record<string, unknown>): string | undefined {
  if (o.type === undefined) return 'no "type"';
  for (const [field, kind] of fieldsOf(o.type)) {
    const v = o[field];
    const p = v === undefined ? undefined : fieldProblem(v, kind);
    if (p) return `field "${field}" ${p}, expected ${EXPECTED[kind]}`;
  }
  const form = ID_FORMS[o.type as string];
  const ext = form && attackExternalId(o);
  if (form && ext !== undefined && !form.re.test(normalizeId(ext))) return `ATT&CK id ${JSON.stringify(ext)} is not a well-formed ${form.what}`;
  return undefined;
}

/** Case and surrounding blanks are spelling; anything else (a NUL, an inner space) is damage. */
export function normalizeId(id: string): string {
  return id.trim().toUpperCase();
}

function attackExternalId(o: Record<string, unknown>): string | undefined {
  const refs = o.external_references as { source_name?: string; external_id?: string }[] | undefined;
  return refs?.find((r) => ATTACK_SOURCES.has(r.source_name ?? '') && typeof r.external_id === 'string')?.external_id;
}
