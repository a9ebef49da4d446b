/**
 * `purplebook mcp` as an MCP client sees it: the compiled CLI (run `npm run build` first) started as a
 * child process and driven over stdio by the SDK's own Client. Every tool answer is compared with the
 * CLI's JSON for the same question, pages concatenated; expected counts come from the knowledge base's tables.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { COVERAGE_TECHNIQUES, GAP_ROWS, SIDE_LIST_MAX, TECHNIQUE_ITEMS } from '../../src/mcp/limits.js';
import { cli, fixtureDir, REPO, tempDir } from '../helpers.js';
import { groupScope, openDb } from '../coverage/sql.js';
import { McpChild, type Structured } from './client.js';

/** A rule tagged with `n` technique ids from `from` on, none of which ATT&CK has (T19xx). */
const bogusRule = (from: number, n: number) => `title: Rule With Made-Up Techniques ${from}
status: test
logsource:
  product: linux
detection:
  selection:
    foo: bar
  condition: selection
tags:
${Array.from({ length: n }, (_, i) => `  - attack.t${from + i}`).join('\n')}
`;

/** Own rules of the server: two in APT29's scope (T1059.001, T1003); four on 121 ids ATT&CK does not have (more than a report lists). */
const RULES = {
  'sigma/bogus_a.yml': bogusRule(1900, 40),
  'sigma/bogus_b.yml': bogusRule(1940, 40),
  'sigma/bogus_c.yml': bogusRule(1960, 40),
  'sigma/encoded_powershell.yml': `title: Encoded PowerShell Command Line
id: 6a1f5a3e-2b8c-4a2d-9a77-0c6c4a1e9e01
status: test
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    CommandLine|contains: ' -enc '
  condition: selection
tags:
  - attack.execution
  - attack.t1059.001
level: high
`,
  'sigma/credential_dumping.yml': `title: Credential Dumping Tool
id: 0b9e7c1a-3d2f-4e5a-8b6c-7d8e9f0a1b2c
status: test
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    Image|endswith: '\\procdump.exe'
  condition: selection
tags:
  - attack.credential-access
  - attack.t1003
level: high
`,
  'sigma/unknown_id.yml': `title: Rule With A Made-Up Technique
id: 1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f
status: test
logsource:
  product: linux
detection:
  selection:
    foo: bar
  condition: selection
tags:
  - attack.t1999
`,
};

const TOOLS = ['coverage', 'gaps', 'get_technique', 'layer', 'list_sources', 'plan', 'search', 'threat_techniques', 'translate'];

type Page = { sections: { pillar: string; sources: { source: string; items: unknown[] }[] }[] };
type Plan = { tactics: { shortname: string; techniques: unknown[] }[] };

/** Pages of a list answer (data is the list) as one list. */
const concat = (pages: Structured[]) => pages.flatMap((p) => p.data as unknown[]);

/** Pages whose `data.<key>` is the paged list, as one object. */
function joinedOn(pages: Structured[], key: string): Record<string, unknown> {
  const first = pages[0]!.data as Record<string, unknown>;
  return { ...first, [key]: pages.flatMap((p) => (p.data as Record<string, unknown[]>)[key]!) };
}

describe('purplebook mcp over stdio, with the SDK client', () => {
  const kbPath = inject('kbPath');
  const db = openDb(kbPath);
  const rulesDir = fixtureDir(RULES);
  const json = (...args: string[]) => {
    const r = cli([...args, '--db', kbPath]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as unknown;
  };
  let mcp: McpChild;
  let bare: McpChild;

  beforeAll(async () => {
    mcp = await McpChild.start(['--db', kbPath, '--rules', rulesDir]);
    bare = await McpChild.start(['--db', kbPath]);
  });
  afterAll(async () => {
    await mcp?.close();
    await bare?.close();
    db.close();
  });

  it('initializes as purplebook and lists its tools, resources and prompts', async () => {
    expect(mcp.client.getServerVersion()?.name).toBe('purplebook');
    const caps = mcp.client.getServerCapabilities()!;
    expect(Object.keys(caps)).toEqual(expect.arrayContaining(['tools', 'resources', 'prompts']));
    const tools = (await mcp.client.listTools()).tools;
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    for (const t of tools) {
      expect(t.description!.length).toBeGreaterThan(80);
      expect(t.annotations?.readOnlyHint).toBe(true);
      expect(t.annotations?.openWorldHint).toBe(false);
      // A misspelt field must be refused, never read as "no threat".
      expect(t.inputSchema.additionalProperties).toBe(false);
      expect(t.outputSchema?.properties).toHaveProperty('data');
    }
    expect((await mcp.client.listResources()).resources.map((r) => r.uri).sort()).toEqual(['purplebook://sources', 'purplebook://stats']);
    expect((await mcp.client.listResourceTemplates()).resourceTemplates.map((r) => r.uriTemplate)).toEqual(['purplebook://technique/{id}']);
    expect((await mcp.client.listPrompts()).prompts.map((p) => p.name).sort()).toEqual(['assess_coverage', 'purple_team_exercise']);
  });

  it('get_technique: pages of items per source add up to `show --format json`; by name too', async () => {
    const expected = json('show', 'T1021.004', '--format', 'json') as Page;
    const pages = await mcp.pages('get_technique', { id: 't1021.004', limit: 7 });
    expect(pages.length).toBe(Math.ceil(Math.max(...expected.sections.flatMap((s) => s.sources.map((x) => x.items.length))) / 7));
    const joined = structuredClone(pages[0]!.data) as Page;
    joined.sections.forEach((s, i) => s.sources.forEach((src, j) => {
      src.items = pages.flatMap((p) => (p.data as Page).sections[i]!.sources[j]!.items);
    }));
    expect(joined).toEqual(expected);

    const byName = await mcp.ok('get_technique', { id: 'Remote Services: SSH', pillar: 'test', limit: 1000 });
    expect(byName.paging).toMatchObject({ limit: TECHNIQUE_ITEMS.maxLimit, requestedLimit: 1000 });
    const page = byName.data as Page & { id: string };
    expect(page.id).toBe('T1021.004');
    expect(page.sections.map((s) => s.pillar)).toEqual(['test']);
    expect(page.sections[0]).toEqual({ ...expected.sections.find((s) => s.pillar === 'test')!, sources: expect.any(Array) });
  });

  it('get_technique: unknown ids and ambiguous names are tool errors that name the candidates', async () => {
    const unknown = await mcp.fails('get_technique', { id: 'T1021.009' });
    expect(unknown).toMatch(/^unknown technique "T1021.009" in ATT&CK [\d.]+; did you mean .*T1021\.00\d/);
    const locals = db.prepare("SELECT id FROM techniques WHERE lower(name) = 'local account' AND status = 'active' ORDER BY id").pluck().all() as string[];
    expect(locals.length).toBeGreaterThan(1);
    const ambiguous = await mcp.fails('get_technique', { id: 'local account' });
    expect(ambiguous).toContain(`names ${locals.length} techniques`);
    for (const id of locals) expect(ambiguous).toContain(id);
    expect(await mcp.fails('get_technique', { id: 'Lateral Movment Over Carrier Pigeon' })).toMatch(/^no technique named/);
  });

  it('get_technique: a revoked id answers its page with what replaced it', async () => {
    const revoked = db.prepare("SELECT id, revoked_by FROM techniques WHERE status = 'revoked' AND revoked_by <> '[]' ORDER BY id LIMIT 1").get() as { id: string; revoked_by: string };
    const page = (await mcp.ok('get_technique', { id: revoked.id })).data as { status: string; replacedBy: { id: string }[] };
    expect(page.status).toBe('revoked');
    expect(page.replacedBy.map((t) => t.id)).toEqual(expect.arrayContaining(JSON.parse(revoked.revoked_by) as string[]));
  });

  it('invalid input is a tool error and the server keeps answering', async () => {
    expect(await mcp.fails('get_technique', {})).toMatch(/Input validation error/);
    expect(await mcp.fails('get_technique', { id: 'T1021.004', groups: ['G0016'] })).toMatch(/Unrecognized key/);
    expect(await mcp.fails('get_technique', { id: 'T1021.004', limit: 0 })).toMatch(/Input validation error/);
    expect(await mcp.fails('get_technique', { id: 'T1021.004', limit: 'all' })).toMatch(/Input validation error/);
    expect(await mcp.fails('get_technique', { id: 'x'.repeat(201) })).toMatch(/Input validation error/);
    expect(await mcp.fails('get_technique', { id: 'T1021.004', cursor: 'not-a-cursor' })).toMatch(/^invalid cursor/);
    expect(await mcp.fails('search', { query: '   ' })).toBe('nothing to search for');
    expect(await mcp.fails('coverage', { group: ['APT2999'] })).toMatch(/^no ATT&CK group "APT2999"; did you mean .*G0016/);
    expect(await mcp.fails('coverage', { techniques: ['not an id'] })).toMatch(/Input validation error/);
    expect(await mcp.fails('coverage', { motivation: ['no-such-motivation-anywhere'] })).toMatch(/^empty threat selection: motivation "no-such-motivation-anywhere"/);
    expect(await mcp.fails('plan', { platform: ['windows'] })).toMatch(/^plan needs a threat/);
    expect(await mcp.fails('layer', { measure: 'bananas' })).toMatch(/^unknown measure "bananas"; valid: validation, controls, detections, tests, .*sigma.*own, threat/);
    expect(await mcp.fails('layer', { measure: 'threat' })).toMatch(/^measure threat needs a threat/);
    expect(await bare.fails('layer', { measure: 'own' })).toMatch(/^measure own needs own rules/);
    expect(await mcp.fails('layer', { page_base: 'javascript:alert(1)' })).toMatch(/Input validation error/);
    // Still alive and answering after all of that.
    expect((await mcp.ok('search', { query: 'T1021.004', limit: 1 })).data).toMatchObject({ hits: [{ kind: 'technique' }] });
  });

  it('search: the CLI ranking, paged; the last page has no cursor', async () => {
    type Answer = { total: number; offset: number; limit: number; hits: unknown[] };
    const expected = json('search', 'ssh', '--json', '--limit', '30') as Answer;
    expect(expected.hits).toHaveLength(30);
    const first = await mcp.ok('search', { query: 'ssh', limit: 15 });
    expect(first.paging!.nextCursor).toBeDefined();
    const second = await mcp.ok('search', { query: 'ssh', limit: 15, cursor: first.paging!.nextCursor });
    expect([...(first.data as Answer).hits, ...(second.data as Answer).hits]).toEqual(expected.hits);
    expect(second.data).toEqual(json('search', 'ssh', '--json', '--limit', '15', '--offset', '15'));
    // Fewer hits than asked for: the whole list, and no cursor.
    const few = json('search', 'ssh', 'authorized', 'keys', '--json', '--limit', '50') as Answer;
    expect(few.total).toBeLessThan(50);
    const all = await mcp.ok('search', { query: 'ssh authorized keys', limit: 50 });
    expect(all.data).toEqual(few);
    expect(all.paging!.nextCursor).toBeUndefined();
    expect((await mcp.ok('search', { query: 'ssh', limit: 5000 })).paging).toMatchObject({ limit: 200, requestedLimit: 5000 });
    expect((await mcp.ok('search', { query: 'mimikatz', kind: ['test'], source: ['atomic-red-team'], limit: 5 })).data)
      .toEqual(json('search', 'mimikatz', '--json', '--kind', 'test', '--source', 'atomic-red-team', '--limit', '5'));
    expect(await mcp.fails('search', { query: 'ssh', source: ['sigmaa'] })).toMatch(/^unknown source "sigmaa"/);
  });

  it('list_sources and gaps: the CLI JSON, paged', async () => {
    expect(concat(await mcp.pages('list_sources', { limit: 7 }))).toEqual(json('sources', '--json'));
    const gaps = await mcp.pages('gaps', { pillar: 'test', domain: 'ics', limit: 9 });
    expect(concat(gaps)).toEqual(json('gaps', '--json', '--pillar', 'test', '--domain', 'ics'));
    expect(gaps[0]!.paging).toMatchObject({ offset: 0, limit: 9, total: concat(gaps).length });
    const clamped = await mcp.ok('gaps', { limit: 10 ** 9 });
    expect(clamped.paging).toMatchObject({ limit: GAP_ROWS.maxLimit, requestedLimit: 10 ** 9, returned: GAP_ROWS.maxLimit });
    expect(clamped.data).toHaveLength(GAP_ROWS.maxLimit);
  });

  it('a control stack counts only its sources, as --stack does', async () => {
    const stack = ['sigma', 'atomic-red-team'];
    expect(concat(await mcp.pages('gaps', { pillar: 'detection', domain: 'enterprise', stack, limit: 500 })))
      .toEqual(json('gaps', '--json', '--pillar', 'detection', '--domain', 'enterprise', '--stack', stack.join(',')));
    const expected = json('coverage', '--group', 'G0016', '--rules', rulesDir, '--format', 'json', '--stack', stack.join(',')) as { techniques: unknown[] };
    const pages = await mcp.pages('coverage', { group: ['G0016'], stack, limit: 200 });
    expect((joinedOn(pages, 'techniques') as { techniques: unknown[] }).techniques).toEqual(expected.techniques);
    expect(await mcp.fails('gaps', { stack: ['sigmaa'] })).toMatch(/^--stack: unknown source "sigmaa"/);
  });

  it('translate: ids and a layer from an older ATT&CK, as `translate --format json`', async () => {
    const ids = ['T1562.001', 'attack.t1070.001', 'T1059.001', 'T9999'];
    const r = cli(['translate', '-', '--format', 'json', '--db', kbPath], {}, ids.join('\n'));
    expect(r.code).toBe(4);
    const byIds = await mcp.ok('translate', { ids });
    expect(byIds.data).toEqual({ ...(JSON.parse(r.stdout) as object), input: 'ids' });
    const layer = { name: 'old', versions: { attack: '18' }, domain: 'enterprise-attack', techniques: [{ techniqueID: 'T1562.001', tactic: 'defense-evasion', score: 2 }] };
    const file = join(fixtureDir({}), 'layer.json');
    writeFileSync(file, JSON.stringify(layer));
    const cliLayer = JSON.parse(cli(['translate', file, '--format', 'json', '--db', kbPath]).stdout) as object;
    expect((await mcp.ok('translate', { layer })).data).toEqual({ ...cliLayer, input: 'layer' });
    expect(await mcp.fails('translate', {})).toBe('give either ids or layer');
    expect(await mcp.fails('translate', { layer: { name: 'x' } })).toBe('not an ATT&CK Navigator layer (no "techniques" list)');
  });

  it('threat_techniques: a group by alias, and a threat profile, as `threats --json`', async () => {
    const byAlias = await mcp.ok('threat_techniques', { group: ['Cozy Bear'] });
    expect(byAlias.data).toEqual(json('threats', '--group', 'G0016', '--json'));
    const uses = db.prepare('SELECT DISTINCT technique FROM actor_uses WHERE actor = ?').pluck().all('G0016') as string[];
    const withParents = [...new Set(uses.flatMap((id) => (id.includes('.') ? [id, id.split('.')[0]!] : [id])))].sort();
    expect((byAlias.data as { threats: { techniques: string[] }[] }).threats[0]!.techniques).toEqual(withParents);
    const profile = await mcp.pages('threat_techniques', { origin_country: ['KP'], limit: 2 });
    expect(joinedOn(profile, 'threats')).toEqual(json('threats', '--origin-country', 'KP', '--json'));
  });

  it("coverage: the server's rules against APT29, as `coverage --rules DIR --format json`; long side lists cut", async () => {
    const expected = json('coverage', '--group', 'G0016', '--rules', rulesDir, '--format', 'json') as { techniques: unknown[]; rules: { unknownIds: unknown[] } };
    const pages = await mcp.pages('coverage', { group: ['APT29'], limit: 40 });
    expect(pages.length).toBe(Math.ceil(expected.techniques.length / 40));
    expect(expected.rules.unknownIds).toHaveLength(121);
    expect(joinedOn(pages, 'techniques')).toEqual({ ...expected, rules: { ...expected.rules, unknownIds: expected.rules.unknownIds.slice(0, SIDE_LIST_MAX) } });
    expect(pages[0]!.notes).toEqual([`data.rules.unknownIds: the first ${SIDE_LIST_MAX} of 121 (the CLI's JSON lists all)`]);
    const scope = groupScope(db, 'G0016');
    const report = pages[0]!.data as { summary: { total: number; covered: number }; gaps: string[]; rules: { total: number } };
    expect(report.summary.total).toBe(scope.length);
    expect(report.summary.covered).toBe(['T1059.001', 'T1003'].filter((id) => scope.includes(id)).length);
    // Uncovered (gap or partial) ids, whole on every page, in priority order.
    expect(report.gaps).toHaveLength(scope.length - report.summary.covered);
    expect(report.rules.total).toBe(6);

    const big = await mcp.ok('coverage', { limit: 100000 });
    expect(big.paging).toMatchObject({ limit: COVERAGE_TECHNIQUES.maxLimit, requestedLimit: 100000 });
    // Without --rules the answer says why everything is a gap.
    const none = await bare.ok('coverage', { group: ['G0016'], limit: 1 });
    expect(none.notes?.[0]).toMatch(/without --rules/);
    expect((none.data as { summary: { gaps: number } }).summary.gaps).toBe(scope.length);
  });

  it('plan: pages of techniques across tactics add up to `plan --format json`', async () => {
    const expected = json('plan', '--group', 'G0016', '--platform', 'windows', '--rules', rulesDir, '--format', 'json') as Plan;
    const pages = await mcp.pages('plan', { group: ['G0016'], platform: ['windows'], limit: 30 });
    const joined = structuredClone(pages[0]!.data) as Plan;
    joined.tactics.forEach((t, i) => { t.techniques = pages.flatMap((p) => (p.data as Plan).tactics[i]!.techniques); });
    expect(joined).toEqual(expected);
    expect(pages[0]!.paging!.total).toBe(expected.tactics.reduce((n, t) => n + t.techniques.length, 0));
  });

  it('layer: a source measure for a threat, and the own-rules layer, as `layer`', async () => {
    const sigma = await mcp.pages('layer', { measure: 'sigma', group: ['G0016'], page_base: 'https://pb.example.org/site', limit: 150 });
    expect(joinedOn(sigma, 'techniques')).toEqual(json('layer', '--measure', 'sigma', '--group', 'G0016', '--page-base', 'https://pb.example.org/site'));
    const own = await mcp.pages('layer', { measure: 'own', group: ['G0016'], limit: 1000 });
    expect(own).toHaveLength(1);
    expect(own[0]!.data).toEqual(json('layer', '--measure', 'own', '--group', 'G0016', '--rules', rulesDir));
  });

  it('resources: the technique page as `show`, the catalog as `sources --json`, the stats as `stats --json`', async () => {
    const page = await mcp.client.readResource({ uri: 'purplebook://technique/T1021.004' });
    expect(page.contents[0]).toMatchObject({ mimeType: 'text/markdown', text: cli(['show', 'T1021.004', '--db', kbPath]).stdout });
    const sources = await mcp.client.readResource({ uri: 'purplebook://sources' });
    expect(JSON.parse((sources.contents[0] as { text: string }).text)).toEqual(json('sources', '--json'));
    const stats = await mcp.client.readResource({ uri: 'purplebook://stats' });
    expect(JSON.parse((stats.contents[0] as { text: string }).text)).toEqual(json('stats', '--json'));
    await expect(mcp.client.readResource({ uri: 'purplebook://technique/T1021.009' })).rejects.toMatchObject({ code: -32002, message: expect.stringContaining('did you mean') });
    const completion = await mcp.client.complete({ ref: { type: 'ref/resource', uri: 'purplebook://technique/{id}' }, argument: { name: 'id', value: 't1021.00' } });
    const subs = db.prepare("SELECT id FROM techniques WHERE id LIKE 'T1021.00%' AND status <> 'revoked' ORDER BY id").pluck().all() as string[];
    expect(completion.completion.values.sort()).toEqual(subs);
  });

  it('prompts: the two workflows name the group as ATT&CK does; an unknown group is refused', async () => {
    const techniques = (json('threats', '--group', 'G0016', '--json') as { techniques: number }).techniques;
    const assess = await mcp.client.getPrompt({ name: 'assess_coverage', arguments: { group: 'cozy bear' } });
    const text = (assess.messages[0]!.content as { text: string }).text;
    expect(text).toContain(`APT29 (G0016), which uses ${techniques} techniques`);
    expect(text).toContain('6 own rules loaded');
    expect(text).toContain('`coverage` with group ["G0016"]');
    const exercise = await bare.client.getPrompt({ name: 'purple_team_exercise', arguments: { group: 'G0016', platform: 'linux' } });
    const sheet = (exercise.messages[0]!.content as { text: string }).text;
    expect(sheet).toContain('`plan` with group ["G0016"], platform ["linux"]');
    expect(sheet).toContain('started without --rules');
    await expect(mcp.client.getPrompt({ name: 'assess_coverage', arguments: { group: 'APT2999' } })).rejects.toThrow(/did you mean/);
  });

  it('answers from a rebuilt knowledge base once `build` has renamed it over the old file', async () => {
    const dir = tempDir();
    const live = join(dir, 'live.db');
    copyFileSync(kbPath, live);
    const child = await McpChild.start(['--db', live]);
    try {
      const name = (await child.ok('threat_techniques', { group: ['G0016'] })).data as { threats: { name: string }[] };
      expect(name.threats[0]!.name).toBe('APT29');
      // What `build` does: a new file, then a rename over the old one.
      const next = join(dir, 'next.db');
      copyFileSync(kbPath, next);
      const w = new Database(next);
      w.prepare("UPDATE actors SET name = 'APT29 (rebuilt)' WHERE id = 'G0016'").run();
      w.close();
      renameSync(next, live);
      // The server looks at the file at most once a second.
      await new Promise((r) => setTimeout(r, 1200));
      const after = (await child.ok('threat_techniques', { group: ['G0016'] })).data as { threats: { name: string }[] };
      expect(after.threats[0]!.name).toBe('APT29 (rebuilt)');
    } finally {
      await child.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a line that is not JSON-RPC does not stop the server', async () => {
    const child = spawn(process.execPath, [join(REPO, 'dist', 'cli', 'main.js'), 'mcp', '--db', kbPath], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stdin.write('this is not json\n{"jsonrpc":"2.0","id":"x","method":"no/such/method"}\n');
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } })}\n`);
    await new Promise<void>((resolve) => { child.stdout.on('data', () => { if (out.includes('"id":1')) resolve(); }); });
    child.stdin.end();
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const replies = out.trim().split('\n').map((l) => JSON.parse(l) as { id: unknown; error?: { code: number }; result?: { serverInfo: { name: string } } });
    expect(replies.find((r) => r.id === 'x')?.error?.code).toBe(-32601);
    expect(replies.find((r) => r.id === 1)?.result?.serverInfo.name).toBe('purplebook');
    expect(code).toBe(0);
  });

  it('bad command lines fail before serving: a missing rules folder is bad input, a missing knowledge base a failure', () => {
    const rules = cli(['mcp', '--db', kbPath, '--rules', join(rulesDir, 'no-such-folder')]);
    expect(rules.code).toBe(2);
    expect(rules.stderr).toContain('no-such-folder: no such file or folder');
    const db = cli(['mcp', '--db', join(rulesDir, 'missing.db')]);
    expect(db.code).toBe(1);
    expect(db.stderr).toMatch(/no knowledge base at .*missing\.db/);
    expect(db.stdout).toBe('');
  });
});
