/** Every row of a knowledge base, table by table in storage order, to compare two builds row for row. */
import Database from 'better-sqlite3';

/** Meta rows that differ between any two builds by design. */
const VOLATILE_META = new Set(['built_at']);

export function kbRows(dbPath: string): Record<string, string[]> {
  const db = new Database(dbPath, { readonly: true });
  try {
    // The search index's shadow tables hold the same rows as `search`, in SQLite's own encoding.
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'search_%' ORDER BY name").pluck().all() as string[];
    const out: Record<string, string[]> = {};
    for (const t of tables) {
      const rows = db.prepare(`SELECT * FROM "${t}"`).raw().all() as unknown[][];
      out[t] = rows.filter((r) => t !== 'meta' || !VOLATILE_META.has(String(r[0]))).map((r) => JSON.stringify(r));
    }
    return out;
  } finally {
    db.close();
  }
}

/** The first rows that differ, per table (empty when the two are the same row for row). */
export function kbDiff(a: string, b: string, max = 3): string[] {
  const x = kbRows(a);
  const y = kbRows(b);
  const out: string[] = [];
  for (const t of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
    const rx = x[t] ?? [];
    const ry = y[t] ?? [];
    if (rx.length !== ry.length) out.push(`${t}: ${rx.length} rows vs ${ry.length}`);
    let shown = 0;
    for (let i = 0; i < Math.max(rx.length, ry.length) && shown < max; i++) {
      if (rx[i] !== ry[i]) {
        out.push(`${t} row ${i}: ${rx[i]?.slice(0, 200)} vs ${ry[i]?.slice(0, 200)}`);
        shown++;
      }
    }
  }
  return out;
}
