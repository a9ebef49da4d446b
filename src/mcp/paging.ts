/**
 * Paging of tool results: a client asks for `limit` entries of a result's long list and gets an
 * opaque cursor for the next ones. Limits above a tool's maximum are clamped, not refused, so an
 * assistant that asks for "all" still gets an answer of bounded size.
 */
import { ToolInputError } from './errors.js';

export interface PageRequest {
  limit?: number;
  cursor?: string;
}

export interface PageBounds {
  /** Which list of the result is paged, as a path (`techniques`, `sections[].sources[].items`). */
  list: string;
  defaultLimit: number;
  maxLimit: number;
}

export interface Paging {
  list: string;
  offset: number;
  limit: number;
  /** Set when the client asked for more than the maximum: what it asked for. */
  requestedLimit?: number;
  returned: number;
  /** Length of the whole list, when known. */
  total?: number;
  /** Pass as `cursor` for the next entries; absent on the last page. */
  nextCursor?: string;
}

/** Cursors stay far below this: larger offsets are forged or corrupt. */
const MAX_OFFSET = 10_000_000;

export function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  const m = /^o:(\d{1,8})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  const offset = m ? Number(m[1]) : NaN;
  if (!(offset <= MAX_OFFSET)) throw new ToolInputError('invalid cursor: pass the nextCursor of a previous answer unchanged');
  return offset;
}

/** Offset and clamped limit of a request, before the list is known (a list computed per page). */
export function windowOf(req: PageRequest, bounds: PageBounds): { offset: number; limit: number; requestedLimit?: number } {
  const offset = decodeCursor(req.cursor);
  const asked = req.limit ?? bounds.defaultLimit;
  const limit = Math.min(asked, bounds.maxLimit);
  return { offset, limit, ...(asked > limit ? { requestedLimit: asked } : {}) };
}

/** The paging record of a window over a list of `total` entries (`hasMore` when the total is unknown). */
export function pagingOf(w: ReturnType<typeof windowOf>, bounds: PageBounds, returned: number, total: number | undefined, hasMore?: boolean): Paging {
  const more = total !== undefined ? w.offset + w.limit < total : !!hasMore;
  return {
    list: bounds.list, offset: w.offset, limit: w.limit, ...(w.requestedLimit !== undefined ? { requestedLimit: w.requestedLimit } : {}),
    returned, ...(total !== undefined ? { total } : {}), ...(more ? { nextCursor: encodeCursor(w.offset + w.limit) } : {}),
  };
}

/** One page of a list that is computed whole. */
export function pageOf<T>(items: readonly T[], req: PageRequest, bounds: PageBounds): { items: T[]; paging: Paging } {
  const w = windowOf(req, bounds);
  const page = items.slice(w.offset, w.offset + w.limit);
  return { items: page, paging: pagingOf(w, bounds, page.length, items.length) };
}

/** One line for the text rendering: where this page sits and how to get the next. */
export function pagingLine(p: Paging): string {
  const range = p.returned ? `${p.offset + 1}–${p.offset + p.returned}` : 'none';
  const of = p.total !== undefined ? ` of ${p.total}` : '';
  const clamped = p.requestedLimit !== undefined ? ` (limit ${p.requestedLimit} clamped to ${p.limit})` : '';
  return `${p.list}: ${range}${of}${clamped}${p.nextCursor ? `; more with cursor "${p.nextCursor}"` : ''}`;
}
