import Database from 'better-sqlite3';
import { describe, expect, inject, it } from 'vitest';
import type { CatalogEntry } from '../../src/kb/catalog.js';
import { sourcePresent } from '../../src/sources/collect.js';
import { ALL_SOURCES } from '../../src/sources/registry.js';
import { UNAVAILABLE_SOURCES } from '../../src/sources/unavailable.js';
import { DATA_DIR, cli, tempDir } from '../helpers.js';

const PILLAR_HEADINGS = ['## Policy / Process Controls', '## Technical Controls (Detection Rules)', '## Offensive Security Tests'];

describe('purplebook sources: the catalog', () => {
  const db = inject('kbPath');

  it('lists every registry and unavailable source once, by pillar, loaded exactly when its files are in the data', () => {
    const r = cli(['sources', '--json', '--db', db]);
    expect(r.code).toBe(0);
    const catalog = JSON.parse(r.stdout) as CatalogEntry[];
    const expected = [...ALL_SOURCES.map((s) => s.name), ...UNAVAILABLE_SOURCES.map((s) => s.name)].sort();
    expect(catalog.map((c) => c.name).sort()).toEqual(expected);
    const pillars = catalog.map((c) => c.pillar);
    expect(pillars).toEqual([...pillars].sort((a, b) => ['policy', 'detection', 'test'].indexOf(a) - ['policy', 'detection', 'test'].indexOf(b)));
    for (const s of ALL_SOURCES) {
      const entry = catalog.find((c) => c.name === s.name)!;
      expect(entry.state, s.name).toBe(sourcePresent(s, DATA_DIR) ? 'loaded' : 'absent');
      expect(entry.pillar).toBe(s.pillar);
    }
    for (const u of UNAVAILABLE_SOURCES) expect(catalog.find((c) => c.name === u.name)).toMatchObject({ state: 'unavailable', homepage: u.homepage });
    // The shared snapshot holds neither Azure-Sentinel (too large) nor RTA: both known, both absent.
    expect(catalog.filter((c) => c.state === 'absent').map((c) => c.name).sort()).toEqual(['azure-sentinel', 'rta']);
  });

  it('counts of every loaded source equal the rows of the knowledge base', () => {
    const catalog = JSON.parse(cli(['sources', '--json', '--db', db]).stdout) as CatalogEntry[];
    const sql = new Database(db, { readonly: true });
    try {
      const count = (q: string, source: string) => (sql.prepare(q).get(source) as { n: number }).n;
      for (const c of catalog.filter((x) => x.state === 'loaded')) {
        // "ATT&CK-mapped resources": live (not deprecated) resources with at least one mapping, each pair once.
        const live = 'FROM mappings m JOIN resources r ON r.id = m.resource WHERE r.source = ? AND r.deprecated = 0';
        expect(c.resources, c.name).toBe(count(`SELECT COUNT(DISTINCT r.id) AS n ${live}`, c.name));
        expect(c.mappings, c.name).toBe(count(`SELECT COUNT(*) AS n ${live}`, c.name));
        expect(c.techniques, c.name).toBe(count(`SELECT COUNT(DISTINCT m.technique) AS n ${live}`, c.name));
        expect(c.warnings, c.name).toBe(count('SELECT COUNT(*) AS n FROM warnings WHERE source = ?', c.name));
        expect(c.commit, c.name).toMatch(/^[0-9a-f]{40}$/);
        expect(c.accessed, c.name).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
    } finally {
      sql.close();
    }
  });

  it('prints one line per source under the three pillar headings, saying why a source is missing', () => {
    const r = cli(['sources', '--db', db]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('## '))).toEqual(PILLAR_HEADINGS);
    const byName = new Map(lines.filter((l) => /^[a-z0-9-]+ {2,}/.test(l)).map((l) => [l.split(/\s+/)[0]!, l]));
    expect(byName.size).toBe(ALL_SOURCES.length + UNAVAILABLE_SOURCES.length);
    expect(byName.get('rta')).toContain('not in the data: no `rta/` folder in the data (run `purplebook sync --source rta`)');
    expect(byName.get('logpoint')).toMatch(/not available offline: .* \(https:\/\/docs\.logpoint\.com\//);
    expect(byName.get('ctid-aws')).toMatch(/^ctid-aws +AWS \(CTID Mappings Explorer\) — loaded: \d+ resources, \d+ mappings, \d+ techniques, mapped to ATT&CK v16\.1, commit [0-9a-f]{8}, accessed \d{4}-\d{2}-\d{2}, 0 warnings$/);
  });

  it('works before the first build: every known source reads "not built"', () => {
    const r = cli(['sources', '--json', '--db', `${tempDir()}/none.db`]);
    expect(r.code).toBe(0);
    const states = new Set((JSON.parse(r.stdout) as CatalogEntry[]).map((c) => c.state));
    expect([...states].sort()).toEqual(['not built', 'unavailable']);
  });
});
