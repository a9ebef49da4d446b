/** Turns an item's source-specific fields into short "label: value" facts, for one-line views. */
import type { PageItem } from '../page/types.js';

function valueText(v: unknown): string {
  if (v === null || v === undefined || v === '') return '';
  if (Array.isArray(v)) return v.map(valueText).filter(Boolean).join(', ');
  if (typeof v === 'object') return Object.values(v as Record<string, unknown>).map(valueText).filter(Boolean).join('/');
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  // Meta is parsed JSON: what is left is a string or a number.
  return typeof v === 'string' || typeof v === 'number' ? String(v).replace(/\s+/g, ' ').trim() : '';
}

/** Label words from a camelCase or snake_case key: `dataSource` → `data source`. */
export function labelOf(key: string): string {
  let label = labels.get(key);
  if (label === undefined) {
    label = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
    // Keys are a source's field names: a few dozen, so the memo stays small.
    if (labels.size < 1000) labels.set(key, label);
  }
  return label;
}
const labels = new Map<string, string>();

export function itemFacts(item: PageItem, fields: readonly string[], max = 120): string[] {
  const out: string[] = [];
  for (const f of fields) {
    if (f === 'note') continue; // rendered on its own line
    const raw = f === 'relation' ? item.relation : f === 'id' ? item.id : item.meta?.[f];
    let text = valueText(raw);
    if (!text) continue;
    if (text.length > max) text = `${text.slice(0, max - 1)}…`;
    out.push(`${labelOf(f)}: ${text}`);
  }
  return out;
}
