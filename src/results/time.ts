/**
 * Times as the logs write them, to one spelling: ISO 8601 UTC to the second
 * (`2025-03-04T10:15:00Z`), so the same run read from two loggers has the same key.
 */

/** `2025-03-04T10:15:00Z`, `2025-03-04T10:15:00.000Z`, `2025-03-04T11:15:00+01:00`. */
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
/** PowerShell 5's ConvertTo-Json writes dates as `/Date(1741083300000)/`. */
const MS_DATE = /^\/Date\((-?\d{1,15})(?:[+-]\d{4})?\)\/$/;

/**
 * The time in the canonical spelling, or undefined when it is no time. A time without a zone is
 * taken as UTC (Caldera writes its server's clock without one; the Atomic UTC column has one).
 */
export function normalizeTime(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return fromMs(value);
  if (typeof value !== 'string') return undefined;
  const s = value.trim();
  if (!s || s.length > 40) return undefined;
  const ms = MS_DATE.exec(s);
  if (ms) return fromMs(Number(ms[1]));
  const m = ISO.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, zone] = m;
  let offset = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = zone.replace(':', '');
    offset = (z.startsWith('-') ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5)));
  }
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec ?? 0)) - offset * 60_000;
  // Date.UTC rolls 2025-02-30 over to March: such a date is not a time.
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (check.getUTCMonth() !== Number(mo) - 1 || Number(h) > 23 || Number(mi) > 59 || Number(sec ?? 0) > 59) return undefined;
  return fromMs(t);
}

function fromMs(ms: number): string | undefined {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1970 || d.getUTCFullYear() > 9999) return undefined;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `YYYY-MM-DD`, or undefined. */
export function normalizeDate(value: string): string | undefined {
  const s = value.trim();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return undefined;
  return normalizeTime(`${s}T00:00:00Z`)?.slice(0, 10) === s ? s : undefined;
}

/** Canonical spelling of a time. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Whole days from `iso` to `now` (0 for a time in the future). */
export function ageInDays(iso: string, now: Date): number {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return Number.POSITIVE_INFINITY;
  return Math.max(0, Math.floor((now.getTime() - t) / 86_400_000));
}
