/** A test named by a person or a client: `3`, `T1059.001-3`, an Atomic GUID, a Caldera ability id … for one technique. */
import type { CatalogTest, TestCatalog } from './catalog.js';
import { parseTestNumber } from './importers/sheet.js';
import { InputError } from '../core/errors.js';

export class TestNotFound extends InputError {}

/** The test, or TestNotFound saying why (unknown, or a test of another technique) and naming the technique's tests. */
export function findTestOf(catalog: TestCatalog, technique: { id: string; ids: readonly string[] }, test: string): CatalogTest {
  const t = test.trim();
  const number = /^\d{1,4}$/.test(t) ? { technique: technique.id, number: Number(t) } : parseTestNumber(t);
  const found = number ? catalog.atomicNumber([number.technique, technique.id, ...technique.ids], number.number) : catalog.find(t);
  if (!found) {
    const known = technique.ids.flatMap((id) => catalog.testsOf(id)).slice(0, 6).map((x) => `${x.id}${x.number ? ` (Atomic #${x.number})` : ''} ${x.name}`);
    throw new TestNotFound(`unknown test "${t.slice(0, 100)}" for ${technique.ids.join(', ')}${known.length ? `; its tests include: ${known.join('; ')}` : ': the knowledge base has no test for it'}`);
  }
  if (!found.techniques.some((x) => technique.ids.includes(x))) {
    throw new TestNotFound(`test "${t.slice(0, 100)}" (${found.name}) is a test of ${found.techniques.join(', ') || 'no technique'}, not of ${technique.ids.join(', ')}`);
  }
  return found;
}
