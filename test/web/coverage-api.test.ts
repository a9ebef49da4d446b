/**
 * The coverage API of the server on the real knowledge base: POST /api/coverage and /api/plan
 * with rules in the body (or the server's rules folder), the threat picker's /api/actors, the
 * limits and validation, and the server-only coverage page. Expected values come from SQL on the
 * knowledge base, not from the coverage code.
 */
import Database from 'better-sqlite3';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createServer } from '../../src/server/app.js';
import { cli, fixtureDir } from '../helpers.js';
import { expectSafeDocument } from './checks.js';
import { hostileKb } from './fixture.js';

type Json = Record<string, unknown>;

const sigma = (title: string, tags: string[]) => `title: ${title}
logsource:
  product: linux
detection:
  selection:
    program: sshd
  condition: selection
${tags.length ? `tags:\n${tags.map((t) => `  - ${t}`).join('\n')}\n` : ''}`;

const XSS_TITLE = '<img src=x onerror=alert(1)> SSH brute force';
const SSH_RULE = { name: 'linux/ssh.yml', content: sigma(XSS_TITLE, ['attack.lateral-movement', 'attack.t1021.004']) };
const CLOUD_RULE = { name: 'cloud/cloud-services.yml', content: sigma('Cloud services logon', ['attack.t1021.007']) };
const UNMAPPED_RULE = { name: 'misc/no-tags.yml', content: sigma('Rule without ATT&CK tags', []) };

interface Technique { id: string; status: string; ownRules: { title: string; file: string }[]; ownViaSubtechniques: number; detectionVolume: number; testVolume: number; tactics: string[] }
interface Report {
  domain: string;
  techniques: Technique[];
  gaps: string[];
  threats?: { id: string }[];
  summary: { total: number; covered: number; partial: number; gaps: number; byTactic: { shortname: string; total: number; covered: number; partial: number }[] };
  rules: { total: number; files: number; unmapped: { file: string }[] };
}

describe('POST /api/coverage and /api/plan on the real data', () => {
  const dbPath = inject('kbPath');
  let app: FastifyInstance;
  let db: Database.Database;

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) => app.inject({
    method: 'POST', url, headers: { 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  } as InjectOptions);

  beforeAll(async () => {
    app = createServer({ dbPath });
    await app.ready();
    db = new Database(dbPath, { readonly: true });
  });
  afterAll(async () => {
    db.close();
    await app.close();
  });

  /** A group's techniques by its `uses` rows plus the parents of sub-techniques, active enterprise only. */
  function groupScope(group: string): string[] {
    const used = db.prepare('SELECT technique FROM actor_uses WHERE actor = ?').pluck().all(group) as string[];
    const ids = new Set(used.flatMap((id) => (id.includes('.') ? [id, id.split('.')[0]!] : [id])));
    const active = new Set(db.prepare("SELECT id FROM techniques WHERE status = 'active' AND domain = 'enterprise-attack'").pluck().all() as string[]);
    return [...ids].filter((id) => active.has(id)).sort();
  }

  const detections = (id: string) => db.prepare(`SELECT COUNT(DISTINCT r.id) FROM mappings m JOIN resources r ON r.id = m.resource JOIN sources s ON s.name = r.source
    WHERE m.technique = ? AND r.deprecated = 0 AND s.loaded = 1 AND s.pillar = 'detection' AND r.kind = 'rule'`).pluck().get(id) as number;
  const tacticsOf = (id: string) => JSON.parse(db.prepare('SELECT tactics FROM techniques WHERE id = ?').pluck().get(id) as string) as string[];

  it('G0016 with uploaded Sigma rules: its techniques, T1021.007 covered, T1021 partial, counts as SQL says', async () => {
    const r = await post('/api/coverage', { group: ['G0016'], rules: [SSH_RULE, CLOUD_RULE, UNMAPPED_RULE] });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['x-purplebook-rules']).toBe('uploaded');
    expect(r.headers['cache-control']).toBe('no-store');
    const report = r.json<Report>();
    const scope = groupScope('G0016');
    expect(scope.length).toBeGreaterThan(50);
    expect(report.techniques.map((t) => t.id)).toEqual(scope);
    const byId = new Map(report.techniques.map((t) => [t.id, t]));
    expect(byId.get('T1021.007')).toMatchObject({ status: 'covered', ownRules: [{ title: 'Cloud services logon', file: 'cloud/cloud-services.yml' }] });
    // APT29 does not use SSH: the SSH rule counts for the parent only, as a sub-technique rule.
    expect(scope).not.toContain('T1021.004');
    expect(byId.has('T1021.004')).toBe(false);
    expect(byId.get('T1021')).toMatchObject({ status: 'partial', ownRules: [] });
    expect(report.summary).toMatchObject({ total: scope.length, covered: 1, partial: 1, gaps: scope.length - 1 });
    expect(report.gaps).toHaveLength(scope.length - 1);
    expect(report.rules).toMatchObject({ total: 3, files: 3, unmapped: [{ file: 'misc/no-tags.yml' }] });
    for (const id of ['T1021.007', 'T1059.001', 'T1078']) expect(byId.get(id)!.detectionVolume, id).toBe(detections(id));
    const lateral = report.summary.byTactic.find((t) => t.shortname === 'lateral-movement')!;
    expect(lateral.total).toBe(scope.filter((id) => tacticsOf(id).includes('lateral-movement')).length);
    expect([lateral.covered, lateral.partial]).toEqual([1, 1]);
  });

  it('a Sigma rule for T1021.004 covers it once the threat uses it (G0016 plus a technique list)', async () => {
    const report = (await post('/api/coverage', { group: ['G0016'], techniques: ['T1021.004'], rules: [SSH_RULE] })).json<Report>();
    const scope = [...new Set([...groupScope('G0016'), 'T1021.004'])].sort();
    expect(report.techniques.map((t) => t.id)).toEqual(scope);
    const ssh = report.techniques.find((t) => t.id === 'T1021.004')!;
    expect(ssh).toMatchObject({ status: 'covered', ownRules: [{ title: XSS_TITLE, file: 'linux/ssh.yml' }] });
    expect(ssh.detectionVolume).toBe(detections('T1021.004'));
    expect(report.summary).toMatchObject({ total: scope.length, covered: 1, partial: 1 });
    expect(report.threats!.map((t) => t.id)).toEqual(['G0016', 'list']);
  });

  it('without a threat: every active technique of the domain', async () => {
    const report = (await post('/api/coverage', { rules: [SSH_RULE] })).json<Report>();
    const active = db.prepare("SELECT COUNT(*) FROM techniques WHERE status = 'active' AND domain = 'enterprise-attack'").pluck().get() as number;
    expect(report.summary).toMatchObject({ total: active, covered: 1, partial: 1, gaps: active - 1 });
    const ics = (await post('/api/coverage', { domain: 'ics' })).json<Report>();
    expect(ics.domain).toBe('ics-attack');
    expect(ics.summary.total).toBe(db.prepare("SELECT COUNT(*) FROM techniques WHERE status = 'active' AND domain = 'ics-attack'").pluck().get());
    expect(ics.summary.covered).toBe(0);
  });

  it('CSV, Navigator layer and markdown of the same request', async () => {
    const body = { group: ['APT29'], rules: [SSH_RULE, CLOUD_RULE] };
    const scope = groupScope('G0016');
    const csv = await post('/api/coverage', { ...body, format: 'csv' });
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe('attachment; filename="purplebook-coverage.csv"');
    const lines = csv.body.trimEnd().split('\r\n');
    expect(lines[0]!.startsWith('id,name,domain,tactics,parent,status,')).toBe(true);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(scope);
    expect(lines.find((l) => l.startsWith('T1021.007,'))).toMatch(/,covered,/);

    const layer = (await post('/api/coverage', { ...body, format: 'layer', pageBase: 'https://pb.example/site' })).json<{
      versions: { layer: string }; domain: string; techniques: { techniqueID: string; score?: number; enabled: boolean; links: { url: string }[] }[];
    }>();
    expect(layer.versions.layer).toBe('4.5');
    expect(layer.domain).toBe('enterprise-attack');
    const active = db.prepare("SELECT id FROM techniques WHERE status = 'active' AND domain = 'enterprise-attack' ORDER BY id").pluck().all() as string[];
    expect(layer.techniques.map((t) => t.techniqueID).sort()).toEqual(active);
    const entry = (id: string) => layer.techniques.find((t) => t.techniqueID === id)!;
    expect(entry('T1021.007')).toMatchObject({ score: 1, enabled: true });
    expect(entry('T1021.007').links[0]!.url).toBe('https://pb.example/site/techniques/T1021.007.html');
    expect(entry('T1021.004').enabled).toBe(false);
    expect(layer.techniques.filter((t) => t.enabled).map((t) => t.techniqueID).sort()).toEqual(scope);

    const md = await post('/api/coverage', { ...body, techniques: ['T1021.004'], format: 'markdown' });
    expect(md.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(md.body).toContain('# Own-rule coverage: APT29 (G0016), technique list');
    expect(md.body).toContain('\\<img src=x onerror=alert(1)\\> SSH brute force');
    expect(md.body).not.toMatch(/(?<!\\)<img/);
  });

  it('an uploaded rule title stays data: JSON as sent, markdown escaped, never HTML', async () => {
    const r = await post('/api/coverage', { techniques: ['T1021.004'], rules: [SSH_RULE, { name: '<script>alert(2)</script>.yml', content: CLOUD_RULE.content }] });
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['content-security-policy']).toContain("default-src 'self'");
    const report = r.json<Report>();
    expect(report.techniques.find((t) => t.id === 'T1021.004')!.ownRules[0]!.title).toBe(XSS_TITLE);
    const md = (await post('/api/coverage', { techniques: ['T1021.004'], rules: [SSH_RULE], format: 'markdown' })).body;
    expect(md).not.toMatch(/(?<!\\)<(img|script)/);
  });

  it('the plan of G0016 on Windows: its techniques, own rules listed first', async () => {
    const r = await post('/api/plan', { group: ['G0016'], platforms: ['windows'], rules: [CLOUD_RULE] });
    expect(r.statusCode, r.body).toBe(200);
    const plan = r.json<{ platforms: string[]; summary: { techniques: number; withOwnRule: number }; tactics: { techniques: { id: string; detections: { kind: string; title: string }[] }[] }[] }>();
    expect(plan.platforms).toEqual(['windows']);
    expect(plan.summary).toMatchObject({ techniques: groupScope('G0016').length, withOwnRule: 1 });
    const cloud = plan.tactics.flatMap((t) => t.techniques).find((t) => t.id === 'T1021.007')!;
    expect(cloud.detections).toEqual([expect.objectContaining({ kind: 'own', title: 'Cloud services logon' })]);
    // The JSON, like the markdown, has no control of a cloud provider or a product CVE on Windows (T1595 has an Ivanti CVE mapped).
    const controls = (r.json<{ tactics: { techniques: { id: string; controls: { source: string; name: string }[] }[] }[] }>()).tactics.flatMap((t) => t.techniques);
    expect(controls.flatMap((t) => t.controls).filter((c) => /^ctid-(aws|azure|gcp|m365|kev)$/.test(c.source))).toEqual([]);
    expect(controls.find((t) => t.id === 'T1595')!.controls.map((c) => c.name).join(' ')).not.toMatch(/Ivanti/);
    expect(r.json<{ droppedControls: number }>().droppedControls).toBeGreaterThan(0);
    const md = await post('/api/plan', { techniques: ['T1021.004'], rules: [SSH_RULE], format: 'markdown' });
    expect(md.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(md.body).toContain('\\<img src=x onerror=alert(1)\\>');
    expect(md.body).not.toMatch(/(?<!\\)<img/);
    const none = await post('/api/plan', {});
    expect(none.statusCode).toBe(400);
    expect(none.json<Json>().message).toMatch(/a plan needs a threat/);
  });

  it('an unknown threat is a 400 that names it, with near matches', async () => {
    const r = await post('/api/coverage', { group: ['G9999'] });
    expect(r.statusCode).toBe(400);
    expect(r.json<Json>()).toMatchObject({ statusCode: 400, error: 'Bad Request', message: 'no ATT&CK group "G9999"' });
    const near = (await post('/api/coverage', { group: ['Cozy Bearz'] })).json<Json>();
    expect(near.message).toMatch(/^no ATT&CK group "Cozy Bearz"; did you mean .*G0016 \(APT29\)/);
    expect((await post('/api/plan', { software: ['NoSuchMalware'] })).statusCode).toBe(400);
    expect((await post('/api/coverage', { motivation: ['no-such-motivation-at-all'] })).json<Json>().message)
      .toMatch(/^empty threat selection: motivation "no-such-motivation-at-all" matches no group/);
  });

  it('refuses a malformed body with a 400 JSON error, never a 500', async () => {
    const bad: [string, unknown][] = [
      ['/api/coverage', { groups: ['G0016'] }],
      ['/api/coverage', { format: 'pdf' }],
      ['/api/coverage', { domain: 'mars' }],
      ['/api/coverage', { rules: [{ name: 'a.yml' }] }],
      ['/api/coverage', { rules: [{ name: '', content: 'x' }] }],
      ['/api/coverage', { rules: [{ name: 'a\nb.yml', content: 'x' }] }],
      ['/api/coverage', { rules: 'title: x' }],
      ['/api/coverage', { rules: [{ name: 'a.yml', content: { nested: true } }] }],
      ['/api/coverage', { techniques: ['T1', 'T1021.004'] }],
      ['/api/coverage', { techniques: ['T1021.004'], techniqueList: 'T1059' }],
      ['/api/coverage', { group: [''] }],
      ['/api/coverage', { pageBase: 'javascript:alert(1)', format: 'layer' }],
      ['/api/coverage', { baseline: 'not json' }],
      ['/api/coverage', { baseline: '{"name": "no techniques"}' }],
      ['/api/coverage', []],
      ['/api/coverage', 'null'],
      ['/api/coverage', '{"group": ['],
      ['/api/plan', { group: ['G0016'], platforms: ['<script>'] }],
      ['/api/plan', { group: ['G0016'], maxDetections: 0 }],
      ['/api/plan', { group: ['G0016'], format: 'csv' }],
    ];
    for (const [url, payload] of bad) {
      const r = await post(url, payload);
      const what = `${url} ${JSON.stringify(payload)}`;
      expect(r.statusCode, what).toBe(400);
      expect(r.headers['content-type'], what).toMatch(/^application\/json/);
      expect(r.json<Json>(), what).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
    const unknownField = (await post('/api/coverage', { groups: ['G0016'] })).json<Json>();
    expect(unknownField.message).toMatch(/^unknown field "groups" in the body; known fields: group, software, campaign/);
    const notJson = await post('/api/coverage', 'group=G0016', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(notJson.statusCode).toBe(415);
    expect((await app.inject({ method: 'GET', url: '/api/coverage' })).statusCode).toBe(404);
  });

  it('refuses a body over the limit with a 413 (5 MB by default)', async () => {
    const big = JSON.stringify({ rules: [{ name: 'big.yml', content: 'x'.repeat(5 * 1024 * 1024) }] });
    const r = await post('/api/coverage', big);
    expect(r.statusCode).toBe(413);
    expect(r.json<Json>()).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
    expect((await post('/api/plan', big)).statusCode).toBe(413);
    // Just under the limit is read (and the text, not a rule, is skipped without a word).
    const under = JSON.stringify({ techniques: ['T1021.004'], rules: [{ name: 'notes.txt', content: 'x'.repeat(5 * 1024 * 1024 - 200) }] });
    const ok = await post('/api/coverage', under);
    expect(ok.statusCode).toBe(200);
    expect(ok.json<Report>().rules).toMatchObject({ total: 0, files: 1 });
  });

  it('/api/actors finds groups, software and campaigns by id, name or alias', async () => {
    const get = async (q: string) => (await app.inject({ method: 'GET', url: `/api/actors?${q}` })).json<{ hits: { id: string; kind: string; name: string; matched?: string; techniques: number }[] }>().hits;
    const apt29 = db.prepare('SELECT COUNT(*) FROM actor_uses WHERE actor = ?').pluck().get('G0016') as number;
    expect((await get('q=APT29'))[0]).toMatchObject({ id: 'G0016', kind: 'group', name: 'APT29', techniques: apt29 });
    expect((await get('q=g0016'))[0]!.id).toBe('G0016');
    const cozy = await get('q=cozy%20bear');
    expect(cozy[0]).toMatchObject({ id: 'G0016', matched: 'Cozy Bear' });
    const software = await get('q=cobalt&kind=software');
    expect(software.length).toBeGreaterThan(0);
    expect(new Set(software.map((h) => h.kind))).toEqual(new Set(['software']));
    expect(software.map((h) => h.name)).toContain('Cobalt Strike');
    // Every hit matches the query in its id, name or an alias.
    const aliases = new Map((db.prepare("SELECT id, name, aliases FROM actors WHERE status = 'active'").all() as { id: string; name: string; aliases: string }[])
      .map((a) => [a.id, [a.id, a.name, ...(JSON.parse(a.aliases) as string[])].map((x) => x.toLowerCase())]));
    const apt = await get('q=apt&limit=1000');
    expect(apt.map((h) => h.id).sort()).toEqual([...aliases].filter(([, names]) => names.some((x) => x.includes('apt'))).map(([id]) => id).sort());
    // Names that start with the query come before names and aliases that only contain it.
    const prefixed = apt.map((h) => h.name.toLowerCase().startsWith('apt'));
    expect(prefixed.indexOf(false)).toBe(prefixed.filter(Boolean).length);
    // The limit is capped at 50.
    expect(await get('q=a&limit=1000')).toHaveLength(50);
    expect((await app.inject({ method: 'GET', url: '/api/actors' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: `/api/actors?q=${'a'.repeat(101)}` })).statusCode).toBe(400);
    expect(await get('q=zzzzzzzz')).toEqual([]);
  });

  it('the coverage page: CSP-clean, its own script, a heatmap cell for every active technique', async () => {
    const r = await app.inject({ method: 'GET', url: '/coverage' });
    expect(r.statusCode).toBe(200);
    expectSafeDocument(r.body, '/coverage');
    expect(r.body).toContain('<script src="assets/coverage.js" defer></script>');
    expect(r.body).toContain('<a href="coverage" aria-current="page">Coverage</a>');
    for (const domain of ['enterprise-attack', 'mobile-attack', 'ics-attack']) {
      const grid = r.body.split(`<div class="matrix heatmap" data-domain="${domain}"`)[1]!.split('</div>')[0]!;
      const cells = new Set([...grid.matchAll(/<li class="cell(?: sub)?" data-tid="([^"]+)"/g)].map((m) => m[1]));
      const active = db.prepare('SELECT id FROM techniques WHERE status = ? AND domain = ? ORDER BY id').pluck().all('active', domain) as string[];
      expect([...cells].sort(), domain).toEqual(active);
    }
    const js = await app.inject({ method: 'GET', url: '/assets/coverage.js' });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).not.toMatch(/innerHTML|eval\(|new Function/);
    // Every page of the server links to it; the static site has no such page.
    expect((await app.inject({ method: 'GET', url: '/' })).body).toContain('<a href="coverage">Coverage</a>');
  });

  it('the OpenAPI document describes both POST bodies', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{ paths: Record<string, { post?: { requestBody: { content: Record<string, { schema: { properties: Json; additionalProperties: boolean } }> }; responses: Json } }> }>();
    const coverage = doc.paths['/api/coverage']!.post!;
    const schema = coverage.requestBody.content['application/json']!.schema;
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['group', 'software', 'campaign', 'techniques', 'rules', 'domain', 'format', 'baseline']));
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(coverage.responses)).toEqual(['200', '400', '413', '415', '422', '503']);
    expect(Object.keys(doc.paths['/api/plan']!.post!.requestBody.content['application/json']!.schema.properties)).toContain('platforms');
  });
});

describe('`serve --rules`: the server\'s own rules folder', () => {
  it('is used when a request uploads none, and re-read when the knowledge base is rebuilt', async () => {
    const fx = await hostileKb();
    const rulesDir = fixtureDir({ 'ssh.yml': SSH_RULE.content, 'README.md': '# not a rule\n' });
    const app = createServer({ dbPath: fx.dbPath, rules: [rulesDir], checkIntervalMs: 0 });
    const run = async (payload: Json = {}) => {
      const r = await app.inject({ method: 'POST', url: '/api/coverage', payload });
      expect(r.statusCode, r.body).toBe(200);
      const report = r.json<Report>();
      return { origin: r.headers['x-purplebook-rules'], covered: report.techniques.filter((t) => t.status === 'covered').map((t) => t.id), rules: report.rules.total };
    };
    try {
      expect(app.purplebookRules).toMatchObject({ rules: 1, files: 2 });
      expect(await run()).toEqual({ origin: 'server', covered: ['T1021.004'], rules: 1 });
      // An upload, even an empty one, replaces the server's rules for that request.
      expect(await run({ rules: [] })).toEqual({ origin: 'uploaded', covered: [], rules: 0 });
      const page = (await app.inject({ method: 'GET', url: '/coverage' })).body;
      expect(page).toContain('<p id="server-rules" data-rules="1">This server has its own rules folder: 1 rules in 2 files.');
      expect(page).not.toContain(rulesDir);

      writeFileSync(join(rulesDir, 'powershell.yml'), sigma('PowerShell', ['attack.t1059']));
      expect((await run()).rules).toBe(1);
      await fx.rebuild('SSH');
      // The request that notices the rebuild starts re-reading the folder (in a worker) and gets the rules read before.
      expect((await run()).rules).toBe(1);
      await app.purplebookRulesSettled();
      expect(await run()).toEqual({ origin: 'server', covered: ['T1021.004', 'T1059'], rules: 2 });
    } finally {
      await app.close();
    }
  });

  it('a missing rules folder fails at startup', () => {
    expect(() => createServer({ dbPath: inject('kbPath'), rules: ['/nonexistent/rules'] })).toThrow(/no such file or folder/);
  });

  it('`purplebook serve --rules` refuses a missing folder as bad input', () => {
    const r = cli(['serve', '--port', '0', '--db', inject('kbPath'), '--rules', '/nonexistent/rules']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--rules /nonexistent/rules: no such file or folder');
  });
});
