/**
 * The ATT&CK Navigator layer format 4.5 (attack-navigator `layers/spec/v4.5/layerformat.md`) written
 * as a JSON schema, and the small validator the tests run it with. Properties the format does not
 * define are rejected (a misspelt `techniqueId` would be silently ignored by the Navigator).
 */
export type Schema = {
  type?: 'object' | 'array' | 'string' | 'number' | 'boolean';
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: false;
  items?: Schema;
  minItems?: number;
  enum?: readonly unknown[];
  const?: unknown;
  pattern?: string;
  anyOf?: Schema[];
};

const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
const num: Schema = { type: 'number' };
const divider: Schema = { type: 'object', required: ['divider'], properties: { divider: bool }, additionalProperties: false };
const metadataList: Schema = {
  type: 'array',
  items: { anyOf: [{ type: 'object', required: ['name', 'value'], properties: { name: str, value: str }, additionalProperties: false }, divider] },
};
// "URLs must be prefixed with a protocol identifier (e.g. 'https://')".
const linkList: Schema = {
  type: 'array',
  items: {
    anyOf: [{ type: 'object', required: ['label', 'url'], properties: { label: str, url: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9+.-]*://' } }, additionalProperties: false }, divider],
  },
};

export const LAYER_SCHEMA_4_5: Schema = {
  type: 'object',
  required: ['name', 'domain'],
  additionalProperties: false,
  properties: {
    versions: {
      type: 'object', required: ['navigator', 'layer'], additionalProperties: false,
      properties: { attack: str, navigator: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+$' }, layer: { const: '4.5' } },
    },
    name: str,
    description: str,
    domain: { enum: ['enterprise-attack', 'mobile-attack', 'ics-attack'] },
    customDataURL: str,
    filters: { type: 'object', additionalProperties: false, properties: { platforms: { type: 'array', items: str } } },
    sorting: { enum: [0, 1, 2, 3] },
    layout: {
      type: 'object', additionalProperties: false,
      properties: {
        layout: { enum: ['side', 'flat', 'mini'] }, showID: bool, showName: bool, showAggregateScores: bool, countUnscored: bool,
        aggregateFunction: { enum: ['average', 'min', 'max', 'sum'] }, expandedSubtechniques: { enum: ['none', 'all', 'annotated'] },
      },
    },
    hideDisabled: bool,
    techniques: {
      type: 'array',
      items: {
        type: 'object', required: ['techniqueID'], additionalProperties: false,
        properties: {
          techniqueID: { type: 'string', pattern: '^T\\d{4}(\\.\\d{3})?$' }, tactic: str, comment: str, enabled: bool, score: num, color: str,
          metadata: metadataList, links: linkList, showSubtechniques: bool,
        },
      },
    },
    gradient: {
      type: 'object', required: ['colors', 'minValue', 'maxValue'], additionalProperties: false,
      properties: { colors: { type: 'array', minItems: 2, items: { type: 'string', pattern: '^#[0-9A-Fa-f]{6}$' } }, minValue: num, maxValue: num },
    },
    legendItems: { type: 'array', items: { type: 'object', required: ['label', 'color'], properties: { label: str, color: str }, additionalProperties: false } },
    showTacticRowBackground: bool,
    tacticRowBackground: str,
    selectTechniquesAcrossTactics: bool,
    selectSubtechniquesWithParent: bool,
    selectVisibleTechniques: bool,
    metadata: metadataList,
    links: linkList,
  },
};

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'number' && !Number.isFinite(v) ? 'non-finite' : typeof v;
}

/** Errors of `value` against `schema`, each with its JSON path; empty when valid. */
export function validate(schema: Schema, value: unknown, path = '$'): string[] {
  const errors: string[] = [];
  if (schema.anyOf) {
    const branches = schema.anyOf.map((s) => validate(s, value, path));
    if (branches.every((b) => b.length)) errors.push(`${path}: matches none of the allowed shapes (${branches.map((b) => b[0]).join(' | ')})`);
  }
  if (schema.type && typeOf(value) !== schema.type) return [...errors, `${path}: expected ${schema.type}, got ${typeOf(value)}`];
  if ('const' in schema && value !== schema.const) errors.push(`${path}: must be ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} not one of ${JSON.stringify(schema.enum)}`);
  if (schema.pattern && typeof value === 'string' && !new RegExp(schema.pattern).test(value)) errors.push(`${path}: "${value}" does not match ${schema.pattern}`);
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (schema.items) value.forEach((v, i) => errors.push(...validate(schema.items!, v, `${path}[${i}]`)));
  } else if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    for (const k of schema.required ?? []) if (!(k in obj)) errors.push(`${path}: missing required "${k}"`);
    for (const [k, v] of Object.entries(obj)) {
      const sub = schema.properties?.[k];
      if (sub) errors.push(...validate(sub, v, `${path}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: "${k}" is not a layer format 4.5 property`);
    }
  }
  return errors;
}

/** What the schema cannot say: maxValue > minValue, the navigator version at least 4.9.0. */
export function semanticErrors(layer: { gradient?: { minValue: number; maxValue: number }; versions?: { navigator?: string } }): string[] {
  const errors: string[] = [];
  if (layer.gradient && !(layer.gradient.maxValue > layer.gradient.minValue)) errors.push('gradient.maxValue must be > minValue');
  const v = layer.versions?.navigator?.split('.').map(Number);
  if (v && (v[0]! < 4 || (v[0] === 4 && v[1]! < 9))) errors.push(`versions.navigator ${layer.versions!.navigator} is older than 4.9.0`);
  return errors;
}
