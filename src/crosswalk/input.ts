/**
 * What a user brings to `translate`: a Navigator layer (or a list of layers), a JSON array of
 * ids, or plain text with technique ids anywhere in it (one per line, CSV, rule tags such as
 * `attack.t1059.001`). Recognised by content.
 */
import { isLayer, LayerInputError } from './layer.js';

export type CrosswalkInput =
  | { kind: 'layers'; layers: Record<string, unknown>[]; single: boolean }
  | { kind: 'list'; ids: string[] };

/** Technique ids as written in text: `T1059.001`, `t1059.001`, `attack.t1059.001`. Linear. */
const ID_IN_TEXT = /\b(?:attack\.)?T\d{4}(?:\.\d{3})?\b/gi;

export function parseCrosswalkInput(text: string): CrosswalkInput {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (!trimmed) throw new LayerInputError('the input is empty');
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch (e) {
      throw new LayerInputError(`looks like JSON but is not valid: ${(e as Error).message}`);
    }
    if (isLayer(doc)) return { kind: 'layers', layers: [doc], single: true };
    if (Array.isArray(doc) && doc.length && doc.every(isLayer)) return { kind: 'layers', layers: doc, single: false };
    if (Array.isArray(doc) && doc.length && doc.every((x) => typeof x === 'string')) return { kind: 'list', ids: doc };
    throw new LayerInputError('JSON that is neither an ATT&CK Navigator layer (with a "techniques" list), a list of layers, nor a list of technique ids');
  }
  // As written: the crosswalk normalizes, and its report shows each id the way the user wrote it.
  const ids = trimmed.match(ID_IN_TEXT) ?? [];
  if (!ids.length) throw new LayerInputError('no technique ids in the input (expected ids such as T1059.001, or a Navigator layer)');
  return { kind: 'list', ids };
}
