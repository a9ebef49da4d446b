import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { KnowledgeBase } from '../../src/kb/open.js';
import { buildPage } from '../../src/page/build.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { DATA_DIR, REPO, cli } from '../helpers.js';

const SEED = readFileSync(join(REPO, '..', 'shared', 'seed', '000_ea66348e099dc218.txt'), 'utf8').split('\n');

type Raw = Record<string, unknown> & { external_references?: { source_name?: string; external_id?: string }[] };
const bundles = new Map<string, Raw[]>();
function raw(domain: string): Raw[] {
  if (!bundles.has(domain)) bundles.set(domain, (JSON.parse(readFileSync(join(DATA_DIR, 'attack', `${domain}.json`), 'utf8')) as { objects: Raw[] }).objects);
  return bundles.get(domain)!;
}
function rawTechnique(domain: string, id: string): Raw {
  return raw(domain).find((o) => o.type === 'attack-pattern' && o.external_references?.some((r) => r.external_id === id))!;
}
/** Tactic names of a technique in matrix order, straight from the bundle. */
function rawTactics(domain: string, id: string): string[] {
  const objs = raw(domain);
  const matrix = objs.find((o) => o.type === 'x-mitre-matrix' && !o.x_mitre_deprecated) as { tactic_refs: string[] };
  const tactics = matrix.tactic_refs.map((ref) => objs.find((o) => o.id === ref)!) as { x_mitre_shortname: string; name: string }[];
  const phases = (rawTechnique(domain, id).kill_chain_phases as { phase_name: string }[]).map((p) => p.phase_name);
  return tactics.filter((t) => phases.includes(t.x_mitre_shortname)).map((t) => t.name);
}

describe('the technique page', () => {
  const kb = KnowledgeBase.open(inject('kbPath'));

  it('T1021.004 follows the seed layout line for line where the seed speaks', () => {
    const md = renderMarkdown(buildPage(kb, 't1021.004')!).split('\n');
    expect(md[0]).toBe(SEED[0]); // # T1021.004: SSH
    expect(md[1]).toBe(SEED[1]); // **MITRE ATT&CK Tactic(s):** Lateral Movement
    expect(md[2]).toBe('');
    const descLink = md.indexOf(SEED[3]!);
    expect(descLink).toBeGreaterThan(2);
    // Today's description, citations stripped, UTF-8 intact (the seed's "userâ€™s" is a decoding bug).
    const expected = String(rawTechnique('enterprise-attack', 'T1021.004').description).replace(/\s*\(Citation:[^)]*\)/g, '');
    expect(md.slice(descLink + 1).join('\n')).toContain(`<blockquote>${expected}</blockquote>`);
    expect(expected).toContain('user’s public key');
    expect(md.join('\n')).not.toContain('(Citation:');
    // The first paragraph did not change since 2022: it must read exactly as the seed's.
    expect(md[descLink + 1]).toBe(SEED[4]);
    const headings = md.filter((l) => l.startsWith('## '));
    expect(headings).toEqual(['## Policy / Process Controls', '## Technical Controls (Detection Rules)', '## Offensive Security Tests']);
  });

  it('every source block has the seed shape: heading, last accessed, total, count', () => {
    const blocksOf = (md: string[]) => md.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('### '));
    const checkShape = (md: string[]) => {
      for (const [, i] of blocksOf(md)) {
        expect(md[i]).toMatch(/^### \[[^\]]+\]\(https:\/\/[^)]+\)$/);
        expect(md[i + 1]).toMatch(/^\*\*Last accessed:\*\* [A-Z][a-z]+ \d{2}, \d{4}$/);
        expect(md[i + 2]).toBe('');
        expect(md[i + 3]).toMatch(/^\*\*Total ATT&CK-mapped resources:\*\* \d+$/);
        expect(md[i + 5]).toMatch(/^\*\*ATT&CK-mapped resources for this \(sub\)technique:\*\* [1-9]\d*$/);
      }
    };
    // By default a block for each source with a resource for T1021.004 (SQL on the mappings, independently of the page builder)...
    const withResources = (kb.db.prepare(`SELECT DISTINCT r.source FROM mappings m JOIN resources r ON r.id = m.resource
      WHERE m.technique = 'T1021.004' AND r.deprecated = 0`).pluck().all() as string[]);
    const loaded = kb.sources().filter((s) => s.loaded);
    const md = renderMarkdown(buildPage(kb, 'T1021.004')!).split('\n');
    const titles = (blocks: (readonly [string, number])[]) => blocks.map(([l]) => /^### \[([^\]]+)\]/.exec(l)![1]).sort();
    expect(titles(blocksOf(md))).toEqual(loaded.filter((s) => withResources.includes(s.name)).map((s) => s.title).sort());
    checkShape(md);
    expect(md[blocksOf(md)[0]![1] + 1]).toBe('**Last accessed:** November 28, 2026');
    // ... and one line per pillar names the others, in the page's source order.
    const empty = md.filter((l) => l.startsWith('Nothing for this (sub)technique in: '));
    expect(empty.flatMap((l) => l.slice('Nothing for this (sub)technique in: '.length, -1).split(', ')).sort())
      .toEqual(loaded.filter((s) => !withResources.includes(s.name)).map((s) => s.title).sort());
    // --all-sources: the seed's full list, one block per loaded source, the empty ones with a count of 0.
    const all = renderMarkdown(buildPage(kb, 'T1021.004')!, { allSources: true }).split('\n');
    expect(blocksOf(all).length).toBe(loaded.length);
    expect(all.some((l) => l.startsWith('Nothing for this'))).toBe(false);
    expect(all.filter((l) => l === '**ATT&CK-mapped resources for this (sub)technique:** 0').length).toBe(loaded.length - withResources.length);
  });

  it('a parent technique lists its sub-techniques; a sub-technique links its parent', () => {
    const parent = buildPage(kb, 'T1021')!;
    const subs = raw('enterprise-attack')
      .filter((o) => o.type === 'attack-pattern' && !o.revoked && String(o.external_references?.[0]?.external_id).startsWith('T1021.'))
      .map((o) => o.external_references![0]!.external_id).sort();
    expect(parent.subtechniques.map((s) => s.id)).toEqual(subs);
    expect(renderMarkdown(parent)).toContain('**Sub-techniques:** [T1021.001: Remote Desktop Protocol](https://attack.mitre.org/techniques/T1021/001)');
    const child = buildPage(kb, 'T1021.004')!;
    expect(child.parent).toEqual({ id: 'T1021', name: 'Remote Services', status: 'active' });
  });

  it('a multi-tactic technique lists its tactics in matrix order', () => {
    const page = buildPage(kb, 'T1078')!;
    const expected = rawTactics('enterprise-attack', 'T1078');
    expect(expected.length).toBeGreaterThan(1);
    expect(page.tactics).toEqual(expected);
    expect(renderMarkdown(page).split('\n')[1]).toBe(`**MITRE ATT&CK Tactic(s):** ${expected.join(', ')}`);
  });

  it('mobile and ICS techniques have pages with their own matrix tactics', () => {
    const mobile = buildPage(kb, 'T1404')!;
    expect(mobile.domain).toBe('mobile-attack');
    expect(mobile.tactics).toEqual(rawTactics('mobile-attack', 'T1404'));
    const ics = buildPage(kb, 'T0800')!;
    expect(ics.domain).toBe('ics-attack');
    expect(ics.name).toBe(String(rawTechnique('ics-attack', 'T0800').name));
    expect(ics.tactics).toEqual(rawTactics('ics-attack', 'T0800'));
  });

  it("a source's per-technique link names the technique's domain (CTID KEV maps mobile techniques too)", () => {
    const kev = (id: string) => buildPage(kb, id)!.sections.flatMap((x) => x.sources).find((x) => x.source === 'ctid-kev')!;
    expect(kev('T1404').count).toBeGreaterThan(0);
    expect(kev('T1404').techniquePage).toBe('https://center-for-threat-informed-defense.github.io/mappings-explorer/attack/attack-16.1/domain-mobile/techniques/T1404/');
    expect(kev('T1190').techniquePage).toBe('https://center-for-threat-informed-defense.github.io/mappings-explorer/attack/attack-16.1/domain-enterprise/techniques/T1190/');
  });

  it('T1021.004 lists exactly the ATT&CK mitigations an independent walk of `mitigates` finds, with their text', () => {
    const objs = raw('enterprise-attack');
    const target = rawTechnique('enterprise-attack', 'T1021.004').id;
    const byId = new Map(objs.map((o) => [o.id, o]));
    const expected = objs
      .filter((o) => o.type === 'relationship' && o.relationship_type === 'mitigates' && o.target_ref === target && !o.revoked && !o.x_mitre_deprecated)
      .map((r) => byId.get(r.source_ref)!)
      .filter((m) => !m.revoked && !m.x_mitre_deprecated)
      .map((m) => m.external_references!.find((x) => x.source_name === 'mitre-attack')!.external_id)
      .sort();
    expect(expected).toEqual(['M1018', 'M1032', 'M1042']);
    const block = buildPage(kb, 'T1021.004')!.sections[0]!.sources.find((s) => s.source === 'attack-mitigations')!;
    expect(block.items.map((i) => i.id).sort()).toEqual(expected);
    expect(block.items.find((i) => i.id === 'M1018')!.note).toBe('Limit which user accounts are allowed to login via SSH.');
  });

  it('a revoked id says so and names its replacement', () => {
    const page = buildPage(kb, 'T1086')!;
    expect(page.status).toBe('revoked');
    expect(page.replacedBy.map((t) => t.id)).toEqual(['T1059.001']);
    expect(renderMarkdown(page)).toContain('**Status:** revoked — replaced by [T1059.001: PowerShell](https://attack.mitre.org/techniques/T1059/001)');
  });
});

describe('the CLI', () => {
  const db = inject('kbPath');

  it('show prints the markdown page, case-insensitive', () => {
    const r = cli(['show', 't1021.004', '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('# T1021.004: SSH');
  });

  it('show --all-sources prints a block for every loaded source', () => {
    const kb = KnowledgeBase.open(db);
    const loaded = kb.sources().filter((s) => s.loaded).length;
    kb.close();
    const blocks = (args: string[]) => cli(['show', 'T1021.004', '--db', db, ...args]).stdout.split('\n').filter((l) => l.startsWith('### ')).length;
    expect(blocks(['--all-sources'])).toBe(loaded);
    expect(blocks([])).toBeLessThan(loaded);
  });

  it('an unknown id exits 2 and names close matches', () => {
    const r = cli(['show', 'T1021.040', '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown technique "T1021.040"');
    expect(r.stderr).toContain('T1021.004 (SSH)');
  });

  it('a revoked id shows its page and says what replaces it', () => {
    const r = cli(['show', 'T1086', '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('T1086 was revoked in ATT&CK; replaced by T1059.001 (PowerShell)');
  });

  it('bad input exits 2; a missing knowledge base exits 1 with a hint', () => {
    expect(cli(['show', 'T1021.004', '--format', 'pdf', '--db', db]).code).toBe(2);
    expect(cli(['frobnicate']).code).toBe(2);
    const missing = cli(['show', 'T1021.004', '--db', '/nonexistent/x.db']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('run `purplebook build` first');
  });

  it('show --format json is the page object', () => {
    const page = JSON.parse(cli(['show', 'T1021.004', '--format', 'json', '--db', db]).stdout) as Record<string, unknown>;
    expect(Object.keys(page)).toEqual(expect.arrayContaining(['id', 'name', 'domain', 'tactics', 'url', 'description', 'status', 'replacedBy', 'parent', 'subtechniques', 'sections', 'summary']));
    expect(page.id).toBe('T1021.004');
  });

  it('search ranks the technique first for its id and finds resources by words', () => {
    const byId = (JSON.parse(cli(['search', 't1021.004', '--json', '--db', db]).stdout) as { hits: { ref: string }[] }).hits;
    expect(byId[0]!.ref).toBe('T1021.004');
    const words = (JSON.parse(cli(['search', 'remote', 'ssh', '--json', '--limit', '5', '--db', db]).stdout) as { hits: { title: string }[] }).hits;
    expect(words.length).toBe(5);
    expect(words.some((h) => /ssh/i.test(h.title))).toBe(true);
  });

  it('export csv counts agree with the pages on a sample of 50 techniques', () => {
    const kb = KnowledgeBase.open(db);
    const rows = cli(['export', '--format', 'csv', '--db', db]).stdout.trim().split('\r\n').map((l) => l.split(','));
    const header = rows[0]!;
    const body = rows.slice(1).filter((r) => !r.some((c) => c.includes('"'))); // skip names with commas
    const sample = body.filter((_, i) => i % Math.floor(body.length / 50) === 0).slice(0, 50);
    expect(sample).toHaveLength(50);
    for (const row of sample) {
      const page = buildPage(kb, row[0]!)!;
      for (const src of page.sections.flatMap((s) => s.sources)) expect(Number(row[header.indexOf(src.source)]), `${row[0]} ${src.source}`).toBe(src.count);
      expect(row[header.indexOf('validation')]).toBe(page.summary.validation);
      expect(Number(row[header.indexOf('detection_volume')])).toBe(page.summary.detection_volume);
    }
    kb.close();
  });

  it('export csv has one row per active technique of every domain', () => {
    const r = cli(['export', '--format', 'csv', '--db', db]);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\r\n');
    const active = ['enterprise-attack', 'mobile-attack', 'ics-attack']
      .flatMap((d) => raw(d).filter((o) => o.type === 'attack-pattern' && !o.revoked && !o.x_mitre_deprecated)).length;
    expect(rows.length - 1).toBe(active);
  });
});
