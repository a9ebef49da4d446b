import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KnowledgeBase } from '../../src/kb/open.js';
import { buildPage } from '../../src/page/build.js';
import { renderPageBody } from '../../src/render/html.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { SITE_MARKER, SiteError, writeSite } from '../../src/site/generate.js';
import { PAGE_BUDGET } from '../../src/site/pages.js';
import { usedBy } from '../../src/site/used-by.js';
import { stripCitations } from '../../src/util/text.js';
import { DATA_DIR, cli, realSite, tempDir } from '../helpers.js';
import { expectSafeDocument, urls } from './checks.js';
import { hostileKb, type HostileKb } from './fixture.js';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

/** Local links of every HTML file resolve to a file of the site (relative links only). */
function brokenLinks(root: string): string[] {
  const broken: string[] = [];
  for (const file of walk(root).filter((f) => f.endsWith('.html'))) {
    for (const u of urls(readFileSync(file, 'utf8'))) {
      if (/^(https?:)?\/\//i.test(u) || u === '#' || u.startsWith('#')) continue;
      const target = resolve(dirname(file), u.split('#')[0]!.split('?')[0]!);
      const exists = existsSync(target) && (statSync(target).isFile() || existsSync(join(target, 'index.html')));
      if (!exists) broken.push(`${relative(root, file)} → ${u}`);
    }
  }
  return broken;
}

function dataFile<T>(file: string, global: string): T {
  const text = readFileSync(file, 'utf8');
  const prefix = `window.${global} = `;
  expect(text.startsWith(prefix)).toBe(true);
  return JSON.parse(text.slice(prefix.length).trim().replace(/;$/, '')) as T;
}

describe('the static site on a hostile fixture', () => {
  let fx: HostileKb;
  let kb: KnowledgeBase;
  let out: string;

  beforeAll(async () => {
    fx = await hostileKb();
    kb = KnowledgeBase.open(fx.dbPath);
    out = join(tempDir(), 'site');
    writeSite({ kb, outDir: out, quiet: true });
  });
  afterAll(() => kb.close());

  it('writes every page, with the markdown beside the HTML, and the shared assets', () => {
    const files = walk(out).map((f) => relative(out, f)).sort();
    for (const f of ['index.html', 'enterprise.html', 'search.html', 'sources.html', 'assets/purplebook.css', 'assets/purplebook.js',
      'data/search-techniques.js', 'data/search/s.js', 'data/matrix-enterprise.js', 'layers/enterprise-validation.json', SITE_MARKER]) expect(files).toContain(f);
    // Small pages carry their details inline: no data file per technique.
    expect(files.filter((f) => f.startsWith('data/techniques/'))).toEqual([]);
    // Only the enterprise bundle exists in the fixture: no empty mobile or ICS matrix.
    expect(files).not.toContain('mobile.html');
    const pages = files.filter((f) => f.startsWith('techniques/')).sort();
    expect(pages).toEqual(['T1021', 'T1021.004', 'T1059', 'T1059.001', 'T1086'].flatMap((id) => [`techniques/${id}.html`, `techniques/${id}.md`]).sort());
  });

  it('escapes every upstream string: injected markup stays text, dangerous links are dropped', () => {
    const html = readFileSync(join(out, 'techniques', 'T1021.004.html'), 'utf8');
    expectSafeDocument(html, 'T1021.004.html');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(html).toContain('&lt;svg onload=alert(4)&gt;');
    expect(html).toContain('&lt;/a&gt;&lt;script&gt;window.__xss=&#39;test&#39;&lt;/script&gt;');
    expect(html).toContain("&lt;script&gt;window.__xss='description'&lt;/script&gt;");
    // The description's markdown links: http(s) kept as links, javascript: reduced to its label.
    expect(html).toContain('<a href="https://attack.mitre.org/techniques/T1021/004" rel="noopener noreferrer">the real page</a>');
    expect(html).toContain('See click me and');
    expect(html).not.toContain('javascript:');
    expect(html).not.toMatch(/<(script|img|svg|iframe)\b(?![^>]*src="[^"]+\.js")/i);
    // An attribute breakout attempt in an http URL stays inside the attribute.
    expect(html).toContain('href="https://example.com/rule?&quot;onmouseover=&quot;alert(11)"');
  });

  it('every document is CSP-clean, relative-only and keyboard-reachable', () => {
    for (const file of walk(out).filter((f) => f.endsWith('.html'))) {
      const html = readFileSync(file, 'utf8');
      expectSafeDocument(html, relative(out, file));
      expect(html).toContain('<meta http-equiv="Content-Security-Policy" content="default-src \'self\';');
      expect(html).toContain('<a class="skip" href="#main">');
      expect(html).toMatch(/<h1>/);
    }
    expect(brokenLinks(out)).toEqual([]);
  });

  it('the sources page shows hostile provenance and warnings as text', () => {
    const html = readFileSync(join(out, 'sources.html'), 'utf8');
    expect(html).toContain('&quot;&gt;&lt;script&gt;window.__xss=&#39;repo&#39;&lt;/script&gt;');
    expect(html).toContain('&lt;script&gt;window.__xss=&#39;warning&#39;&lt;/script&gt;');
    expect(html).toContain('Evil &lt;b&gt;Rules&lt;/b&gt;');
    // A javascript: homepage is not a link at all.
    expect(html).toContain('<th scope="row"><span>Evil &lt;b&gt;Rules&lt;/b&gt;</span>');
  });

  it('the markdown beside each page holds no raw markup', () => {
    for (const file of walk(join(out, 'techniques')).filter((f) => f.endsWith('.md'))) {
      const md = readFileSync(file, 'utf8');
      expect(md, file).not.toMatch(/(?<!\\)<(script|img|svg|iframe)\b/i);
      // The description sits in an HTML block (<blockquote>), where markdown links are not parsed.
      const outsideDescription = md.split('\n').filter((l) => !l.startsWith('<blockquote>')).join('\n');
      expect(outsideDescription, file).not.toMatch(/\]\((javascript|data):/i);
    }
    expect(readFileSync(join(out, 'techniques', 'T1021.004.md'), 'utf8')).toContain('\\<img src=x onerror=alert(1)\\>');
  });

  it('a revoked technique has a page that names its replacement', () => {
    const html = readFileSync(join(out, 'techniques', 'T1086.html'), 'utf8');
    expect(html).toContain('<strong>Status:</strong> revoked — replaced by <a href="../techniques/T1059.001.html">T1059.001: PowerShell</a>');
    // The revoked id's mapping was carried to the replacement's page.
    expect(readFileSync(join(out, 'techniques', 'T1059.001.html'), 'utf8')).toContain('mapped via revoked T1086');
  });

  it('the matrix links every cell to its page and its data file holds every measure', () => {
    const html = readFileSync(join(out, 'enterprise.html'), 'utf8');
    const cells = [...html.matchAll(/<li class="cell( sub)?" data-tid="([^"]+)"[^>]*><a href="([^"]+)"/g)].map((m) => [m[2], m[3]]);
    expect(cells).toEqual([['T1059', 'techniques/T1059.html'], ['T1059.001', 'techniques/T1059.001.html'], ['T1021', 'techniques/T1021.html'], ['T1021.004', 'techniques/T1021.004.html']]);
    const data = dataFile<{ measures: { id: string }[]; values: Record<string, number[]> }>(join(out, 'data', 'matrix-enterprise.js'), 'PURPLEBOOK_MATRIX');
    expect(data.measures.map((m) => m.id)).toEqual(['validation', 'controls', 'detections', 'tests', 'source-evil-rules', 'source-evil-tests']);
    // T1021.004: two rules (a, b) and one test: "testable and detectable" (class 3).
    expect(data.values['T1021.004']).toEqual([3, 0, 2, 1, 2, 1]);
    expect(data.values['T1086']).toBeUndefined();
    const techniques = dataFile<{ techniques: [string, string, string, string][]; shards: Record<string, number> }>(join(out, 'data', 'search-techniques.js'), 'PURPLEBOOK_SEARCH_TECHNIQUES');
    expect(techniques.techniques.map((t) => t[0])).toEqual(['T1021', 'T1021.004', 'T1059', 'T1059.001', 'T1086']);
    // "<img src=x onerror=alert(1)>" has the words img, src, x, onerror, alert, 1: it is in the shards i, s, x, o, a and 1, and only there.
    const inShard = (key: string) => readFileSync(join(out, 'data', 'search', `${key}.js`), 'utf8').includes('"<img src=x onerror=alert(1)>"');
    expect(['i', 's', 'x', 'o', 'a', '1'].every(inShard)).toBe(true);
    expect(Object.keys(techniques.shards).filter(inShard).sort()).toEqual(['1', 'a', 'i', 'o', 's', 'x']);
  });

  it('replaces an earlier site atomically and refuses a folder it did not write', () => {
    writeFileSync(join(out, 'stale.html'), 'old');
    writeSite({ kb, outDir: out, quiet: true });
    expect(existsSync(join(out, 'stale.html'))).toBe(false);
    expect(readdirSync(dirname(out)).filter((n) => n.includes('.tmp-'))).toEqual([]);

    const foreign = join(tempDir(), 'mine');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'thesis.tex'), 'precious');
    expect(() => writeSite({ kb, outDir: foreign, quiet: true })).toThrow(SiteError);
    expect(readFileSync(join(foreign, 'thesis.tex'), 'utf8')).toBe('precious');
  });

  it('a failure half-way leaves the previous site as it was and no temporary folder', () => {
    const before = readFileSync(join(out, 'index.html'), 'utf8');
    const failing = { update: (label: string) => { if (label.startsWith('Matrices')) throw new Error('disk full'); }, log() {}, done() {} };
    expect(() => writeSite({ kb, outDir: out, progress: failing })).toThrow('disk full');
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toBe(before);
    expect(readdirSync(dirname(out)).filter((n) => n !== 'site')).toEqual([]);
  });
});

type Raw = { type?: string; revoked?: boolean; x_mitre_deprecated?: boolean; x_mitre_is_subtechnique?: boolean; external_references?: { source_name?: string; external_id?: string }[]; kill_chain_phases?: { phase_name: string }[] };

describe('the static site on the real data', () => {
  const dbPath = inject('kbPath');
  const kb = KnowledgeBase.open(dbPath);
  let out: string;
  afterAll(() => kb.close());

  beforeAll(async () => {
    const site = await realSite();
    out = site.dir;
    console.log(`site generation on the real data (purplebook site): ${site.seconds.toFixed(2)} s for ${readdirSync(join(out, 'techniques')).length / 2} technique pages`);
  });

  const bundles = ['enterprise-attack', 'mobile-attack', 'ics-attack'].map((d) => (JSON.parse(readFileSync(join(DATA_DIR, 'attack', `${d}.json`), 'utf8')) as { objects: Raw[] }).objects);
  const attackId = (o: Raw) => o.external_references?.find((r) => /^mitre(-mobile|-ics)?-attack$/.test(r.source_name ?? ''))?.external_id;

  it('has one HTML and one markdown page per ATT&CK technique of every domain, revoked and deprecated included', () => {
    const ids = new Set(bundles.flatMap((objs) => objs.filter((o) => o.type === 'attack-pattern').map(attackId).filter((x): x is string => !!x)));
    expect(ids.size).toBeGreaterThan(1000);
    const files = readdirSync(join(out, 'techniques'));
    expect(new Set(files.filter((f) => f.endsWith('.html')).map((f) => f.slice(0, -5)))).toEqual(ids);
    expect(new Set(files.filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3)))).toEqual(ids);
  });

  it('renders the same Page as `show`: the HTML body and the markdown', () => {
    const page = buildPage(kb, 'T1021.004')!;
    const html = readFileSync(join(out, 'techniques', 'T1021.004.html'), 'utf8');
    expect(html).toContain(renderPageBody(page, { base: '../', ext: '.html', usedBy: usedBy(kb, 'T1021.004'), sourcesHref: '../sources.html' }));
    const md = readFileSync(join(out, 'techniques', 'T1021.004.md'), 'utf8');
    expect(md).toBe(renderMarkdown(page, { techniqueHref: (id) => `${id}.md` }));
    const shown = cli(['show', 'T1021.004', '--db', dbPath]);
    if (shown.code === 0) expect(md.split('\n').slice(0, 2)).toEqual(shown.stdout.split('\n').slice(0, 2));
  });

  it('each matrix column holds the active techniques of its tactic, as the bundle says', () => {
    const html = readFileSync(join(out, 'enterprise.html'), 'utf8');
    const enterprise = bundles[0]!;
    for (const [tactic, shortname] of [['TA0008', 'lateral-movement'], ['TA0002', 'execution'], ['TA0043', 'reconnaissance']] as const) {
      const expected = enterprise.filter((o) => o.type === 'attack-pattern' && !o.revoked && !o.x_mitre_deprecated && !o.x_mitre_is_subtechnique
        && o.kill_chain_phases?.some((p) => p.phase_name === shortname)).map(attackId).sort();
      const column = html.split(`aria-labelledby="tactic-${tactic}"`)[1]!.split('<section class="tactic"')[0]!;
      const cells = [...column.matchAll(/<li class="cell" data-tid="([^"]+)"/g)].map((m) => m[1]).sort();
      expect(cells, tactic).toEqual(expected);
    }
  });

  it('no page shows ATT&CK markup as text: no &lt;code&gt;, and the description code spans are <code> elements', () => {
    const files = walk(join(out, 'techniques'));
    let codes = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/&lt;\/?code&gt;/i);
      if (file.endsWith('.html')) codes += (text.split('<blockquote class="description">')[1]?.split('</blockquote>')[0]?.match(/<code>/g) ?? []).length;
    }
    for (const f of ['index.html', 'search.html', 'sources.html', 'enterprise.html']) expect(readFileSync(join(out, f), 'utf8')).not.toMatch(/&lt;\/?code&gt;/i);
    // T1059.001 names Start-Process, Invoke-Command, powershell.exe and System.Management.Automation as code.
    const ps = readFileSync(join(out, 'techniques', 'T1059.001.html'), 'utf8');
    for (const c of ['Start-Process', 'Invoke-Command', 'powershell.exe', 'System.Management.Automation']) expect(ps).toContain(`<code>${c}</code>`);
    // T1021.004's backticks are code too, in HTML and in markdown.
    expect(readFileSync(join(out, 'techniques', 'T1021.004.html'), 'utf8')).toContain('<code>vim-cmd hostsvc/enable_ssh</code>');
    expect(readFileSync(join(out, 'techniques', 'T1021.004.md'), 'utf8')).toContain('`vim-cmd hostsvc/enable_ssh`');
    // At least every code span of the bundles' descriptions, counted on the raw text (each once per page).
    const raw = bundles.flat().filter((o) => o.type === 'attack-pattern').map((o) => stripCitations(String((o as { description?: string }).description ?? '')));
    const spans = raw.reduce((n, d) => n + [...d.matchAll(/<code>[\s\S]*?<\/code>/gi)].filter((m) => !/<code>[\s\S]*<code>/i.test(m[0])).length
      + [...d.replace(/<code>[\s\S]*?<\/code>/gi, '').matchAll(/`[^`]+`/g)].length, 0);
    expect(spans).toBeGreaterThan(1000);
    expect(codes).toBeGreaterThanOrEqual(spans);
  });

  it('the summary names the groups, software and campaigns ATT&CK says use the technique, and counts per source', () => {
    const html = readFileSync(join(out, 'techniques', 'T1021.004.html'), 'utf8');
    // From the bundle's `uses` relationships as the knowledge base stores them, active actors only.
    const users = kb.db.prepare(`SELECT a.kind, a.id FROM actor_uses u JOIN actors a ON a.id = u.actor WHERE u.technique = 'T1021.004' AND a.status = 'active'`)
      .all() as { kind: string; id: string }[];
    for (const [kind, title] of [['group', 'Groups'], ['software', 'Software'], ['campaign', 'Campaigns']] as const) {
      const ids = users.filter((u) => u.kind === kind).map((u) => u.id).sort();
      expect(ids.length, kind).toBeGreaterThan(0);
      const list = html.split(`<summary>${title} (${ids.length})</summary>`)[1]!.split('</ul>')[0]!;
      expect([...list.matchAll(/<span class="aid">([^<]+)<\/span>/g)].map((m) => m[1]).sort()).toEqual(ids);
    }
    const page = buildPage(kb, 'T1021.004')!;
    for (const src of page.sections.flatMap((x) => x.sources)) {
      const bar = new RegExp(`<a href="#source-${src.source}" title="[^"]*"><span class="label">[^<]*</span><span class="bar" data-w="\\d+"></span><span class="n">(\\d+)</span>`).exec(html);
      if (src.count) expect(Number(bar?.[1]), src.source).toBe(src.count);
      else expect(bar, src.source).toBeNull();
    }
  });

  it('every technique page stays within the weight budget; heavy ones leave details to a data file of the same technique', () => {
    const pages = readdirSync(join(out, 'techniques')).filter((f) => f.endsWith('.html'));
    const sizes = pages.map((f) => statSync(join(out, 'techniques', f)).size);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(PAGE_BUDGET);
    const deferred = pages.filter((f) => readFileSync(join(out, 'techniques', f), 'utf8').includes(' data-details="../data/techniques/'));
    expect(deferred.length).toBeGreaterThan(0);
    expect(readdirSync(join(out, 'data', 'techniques')).sort()).toEqual(deferred.map((f) => f.replace(/\.html$/, '.js')).sort());
    // T1059 (the heaviest page, 1.09 MB with everything inline) is one of them, and its data file holds all its items.
    expect(deferred).toContain('T1059.html');
    const data = dataFile<{ id: string; sources: Record<string, unknown[]> }>(join(out, 'data', 'techniques', 'T1059.js'), 'PURPLEBOOK_DETAILS');
    const page = buildPage(kb, 'T1059')!;
    expect(data.id).toBe('T1059');
    for (const src of page.sections.flatMap((x) => x.sources)) expect(data.sources[src.source]?.length ?? 0, src.source).toBe(src.count);
  });

  it('every generated document is CSP-clean with no broken local link', () => {
    for (const f of ['index.html', 'enterprise.html', 'mobile.html', 'ics.html', 'search.html', 'sources.html', 'techniques/T1059.001.html', 'techniques/T1086.html']) {
      expectSafeDocument(readFileSync(join(out, f), 'utf8'), f);
    }
    expect(brokenLinks(out)).toEqual([]);
  });

  it('`purplebook site` writes the site (the one these tests read); a file as --out is bad input', () => {
    expect(existsSync(join(out, 'techniques', 'T1021.004.html'))).toBe(true);
    const file = join(tempDir(), 'afile');
    writeFileSync(file, 'x');
    expect(cli(['site', '--out', file, '--db', dbPath, '--quiet']).code).toBe(2);
  });
});
