/** Independent answers straight from the knowledge base's tables, for the coverage tests to compare with. */
import Database from 'better-sqlite3';

export type Db = Database.Database;

export function openDb(path: string): Db {
  return new Database(path, { readonly: true, fileMustExist: true });
}

/** Distinct non-deprecated resources of loaded sources of one pillar mapped directly to a technique. */
export function pillarVolume(db: Db, technique: string, pillar: 'policy' | 'detection' | 'test'): number {
  return db.prepare(`SELECT COUNT(DISTINCT r.id) FROM mappings m JOIN resources r ON r.id = m.resource JOIN sources s ON s.name = r.source
    WHERE m.technique = ? AND r.deprecated = 0 AND s.loaded = 1 AND s.pillar = ?`).pluck().get(technique, pillar) as number;
}

/** A group's techniques by its `uses` rows, plus parents of sub-techniques, active and of one domain. */
export function groupScope(db: Db, group: string, domain = 'enterprise-attack'): string[] {
  const used = db.prepare('SELECT technique FROM actor_uses WHERE actor = ?').pluck().all(group) as string[];
  const ids = new Set(used.flatMap((id) => (id.includes('.') ? [id, id.split('.')[0]!] : [id])));
  const active = new Set(db.prepare('SELECT id FROM techniques WHERE status = ? AND domain = ?').pluck().all('active', domain) as string[]);
  return [...ids].filter((id) => active.has(id)).sort();
}

export function tacticsOf(db: Db, technique: string): string[] {
  return JSON.parse(db.prepare('SELECT tactics FROM techniques WHERE id = ?').pluck().get(technique) as string) as string[];
}

/** Public detections a team can adopt: executable rules (guidance such as ATT&CK's detection strategies has no query). */
export function adoptable(db: Db, technique: string): number {
  return db.prepare(`SELECT COUNT(DISTINCT r.id) FROM mappings m JOIN resources r ON r.id = m.resource JOIN sources s ON s.name = r.source
    WHERE m.technique = ? AND r.deprecated = 0 AND s.loaded = 1 AND s.pillar = 'detection' AND r.kind = 'rule'`).pluck().get(technique) as number;
}
