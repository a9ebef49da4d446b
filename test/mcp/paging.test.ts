import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, pageOf, pagingLine } from '../../src/mcp/paging.js';

const BOUNDS = { list: 'data', defaultLimit: 3, maxLimit: 5 };
const LIST = Array.from({ length: 12 }, (_, i) => i);

describe('tool paging', () => {
  it('walks a list with cursors, the last page without one', () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const { items, paging } = pageOf(LIST, { limit: 5, cursor }, BOUNDS);
      seen.push(...items);
      cursor = paging.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(LIST);
    expect(pages).toBe(3);
  });

  it('clamps an oversized limit and says so', () => {
    const { items, paging } = pageOf(LIST, { limit: 1000 }, BOUNDS);
    expect(items).toEqual([0, 1, 2, 3, 4]);
    expect(paging).toEqual({ list: 'data', offset: 0, limit: 5, requestedLimit: 1000, returned: 5, total: 12, nextCursor: encodeCursor(5) });
    expect(pagingLine(paging)).toBe(`data: 1–5 of 12 (limit 1000 clamped to 5); more with cursor "${encodeCursor(5)}"`);
    expect(pageOf(LIST, {}, BOUNDS).items).toEqual([0, 1, 2]);
  });

  it('refuses forged or corrupt cursors; a cursor past the end gives an empty page', () => {
    expect(decodeCursor(encodeCursor(7))).toBe(7);
    for (const bad of ['garbage!', Buffer.from('o:-1').toString('base64url'), Buffer.from('o:99999999').toString('base64url'), Buffer.from('x:1').toString('base64url')]) {
      expect(() => decodeCursor(bad), bad).toThrow(/invalid cursor/);
    }
    const past = pageOf(LIST, { cursor: encodeCursor(40) }, BOUNDS);
    expect(past.items).toEqual([]);
    expect(past.paging.nextCursor).toBeUndefined();
  });
});
