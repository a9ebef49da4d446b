/**
 * Upstream text built to be slow: a technique description of 600 KB made of the shapes that
 * backtracking regexes choke on (long space runs, unclosed `(Citation:` markers, runs of `[`,
 * `[a](` and `[a](http://` without an end). The text helpers must give the same result as the
 * regexes they replace (checked against those regexes on small random strings), and `build`,
 * `show` and the server must get through the 600 KB description at all: with the old regexes each
 * step took minutes, far over the test timeout.
 */
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildKnowledgeBase } from '../../src/kb/build.js';
import { KnowledgeBase } from '../../src/kb/open.js';
import { buildPage } from '../../src/page/build.js';
import { dropNonHttpLinks, markdownHtmlText, markdownLinks, richText } from '../../src/render/escape.js';
import { renderHtmlPage } from '../../src/render/html.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { createServer } from '../../src/server/app.js';
import { stripCitations } from '../../src/util/text.js';
import { fixtureDir } from '../helpers.js';
import { rng, type Rand } from './damage.js';

/** Random strings over an alphabet rich in the characters the patterns care about. */
function randomTexts(seed: number, alphabet: string[], count: number, maxLength: number): string[] {
  const rand: Rand = rng(seed);
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    const length = Math.floor(rand() * maxLength);
    let s = '';
    for (let i = 0; i < length; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
    out.push(s);
  }
  return out;
}

describe('text helpers give what the old regexes gave', () => {
  it('stripCitations = /\\s*\\(Citation:[^)]*\\)/g', () => {
    const texts = randomTexts(20, ['(Citation:', '(Citation: A)', ')', ' ', '\n', '\u00a0', 'x', '('], 4000, 16);
    texts.push('Adversaries use SSH. (Citation: A) More.(Citation: B)', '', '(Citation:', '  (Citation: a) (Citation: b');
    for (const t of texts) expect(stripCitations(t), JSON.stringify(t)).toBe(t.replace(/\s*\(Citation:[^)]*\)/g, ''));
  });

  it('markdownLinks = /\\[([^\\]]{1,L})\\]\\((https?:\\/\\/[^)\\s]{1,U})\\)/g, with small L and U to reach the bounds', () => {
    const texts = randomTexts(21, ['[', ']', '(', ')', 'a', ' ', '\t', 'http://', 'https://', 'HTTP://', '](http://', '[a](https://'], 6000, 18);
    for (const t of texts) {
      const expected = [...t.matchAll(/\[([^\]]{1,3})\]\((https?:\/\/[^)\s]{1,4})\)/g)].map((m) => ({ start: m.index, end: m.index + m[0].length, label: m[1], url: m[2] }));
      expect(markdownLinks(t, 3, 4), JSON.stringify(t)).toEqual(expected);
    }
  });

  it('dropNonHttpLinks = replace(/\\[([^\\]]*)\\]\\((?!https?:\\/\\/)[^)]*\\)/gi, "$1")', () => {
    const texts = randomTexts(22, ['[', ']', '(', ')', 'a', ' ', 'http://', 'HTTPS://', 'javascript:', '](', '[a]('], 6000, 16);
    for (const t of texts) expect(dropNonHttpLinks(t), JSON.stringify(t)).toBe(t.replace(/\[([^\]]*)\]\((?!https?:\/\/)[^)]*\)/gi, '$1'));
  });
});

const N = 600_000;
/** One shape per old regex, each 600 KB: minutes of backtracking for the regex it targets. */
const SHAPES: Record<string, string> = {
  'space run': `${' '.repeat(N)}x`,
  'unclosed citations': '(Citation: '.repeat(N / 11),
  'run of [': '['.repeat(N),
  'unclosed [a](': '[a]('.repeat(N / 4),
  'unclosed [a](http://': '[a](http://'.repeat(N / 11),
};

describe('600 KB hostile strings go through each helper', () => {
  it('stripCitations keeps a text without a closed marker, drops the closed ones', () => {
    for (const [name, text] of Object.entries(SHAPES)) expect(stripCitations(text), name).toBe(text);
    expect(stripCitations(`${' '.repeat(N)}(Citation: A)x`)).toBe('x');
    expect(stripCitations('a (Citation: A)'.repeat(N / 15))).toBe('a'.repeat(N / 15));
  });

  it('richText and markdownHtmlText escape them and keep no link (none is complete)', () => {
    for (const [name, text] of Object.entries(SHAPES)) {
      expect(richText(text), name).not.toContain('<a ');
      // `[`, `(`, `:` and `/` need no escaping and no link is complete: nothing is dropped or added.
      expect(markdownHtmlText(text), name).toBe(text);
    }
    expect(richText('[a](http://x)'.repeat(N / 13))).toBe(`<p>${'<a href="http://x" rel="noopener noreferrer">a</a>'.repeat(N / 13)}</p>`);
  });
});

describe('a 600 KB technique description through build, show and serve', () => {
  /** A space run (the citation regex) then a run of `[` (both link regexes), 300 KB each. */
  const HOSTILE = `${' '.repeat(N / 2)}${'['.repeat(N / 2)}`;
  const REAL_LINK = '[the ATT&CK page](https://attack.mitre.org/techniques/T1021/004)';
  const description = `Adversaries use SSH. (Citation: Foo) See ${REAL_LINK} and [script](javascript:alert(1)).${HOSTILE}`;
  /** What build should store: the one closed citation gone with its leading space; the rest has no `)` after a marker. */
  const stored = `Adversaries use SSH. See ${REAL_LINK} and [script](javascript:alert(1)).${HOSTILE}`;

  const ref = (id: string, url?: string) => [{ source_name: 'mitre-attack', external_id: id, ...(url ? { url } : {}) }];
  const bundle = JSON.stringify({
    type: 'bundle', id: 'bundle--1', objects: [
      { type: 'x-mitre-collection', id: 'x-mitre-collection--1', name: 'Enterprise ATT&CK', x_mitre_version: '19.1' },
      { type: 'x-mitre-matrix', id: 'x-mitre-matrix--1', name: 'Enterprise ATT&CK', external_references: ref('enterprise-attack'), tactic_refs: ['x-mitre-tactic--lm'] },
      { type: 'x-mitre-tactic', id: 'x-mitre-tactic--lm', name: 'Lateral Movement', x_mitre_shortname: 'lateral-movement', external_references: ref('TA0008') },
      {
        type: 'attack-pattern', id: 'attack-pattern--t1021', name: 'Remote Services', description: 'Remote.', external_references: ref('T1021'),
        kill_chain_phases: [{ kill_chain_name: 'mitre-attack', phase_name: 'lateral-movement' }], x_mitre_platforms: ['Linux'],
      },
      {
        type: 'attack-pattern', id: 'attack-pattern--t1021-004', name: 'SSH', description, x_mitre_is_subtechnique: true,
        // A scheme browsers read as javascript: once they drop the tab; the .md page must not link it.
        external_references: ref('T1021.004', 'java\tscript:alert(document.domain)'),
        kill_chain_phases: [{ kill_chain_name: 'mitre-attack', phase_name: 'lateral-movement' }], x_mitre_platforms: ['Linux'],
      },
      { type: 'relationship', id: 'relationship--1', relationship_type: 'subtechnique-of', source_ref: 'attack-pattern--t1021-004', target_ref: 'attack-pattern--t1021' },
    ],
  });

  it('stores the description without the citation, renders markdown and HTML, and the server answers the page and /healthz', async () => {
    const dataDir = fixtureDir({ 'attack/enterprise-attack.json': bundle });
    const dbPath = `${dataDir}/kb.db`;
    await buildKnowledgeBase({ dataDir, dbPath, sources: [], quiet: true });
    const kb = KnowledgeBase.open(dbPath);
    let app: FastifyInstance | undefined;
    try {
      const page = buildPage(kb, 'T1021.004')!;
      expect(page.description).toBe(stored);

      const md = renderMarkdown(page);
      expect(md).toContain(REAL_LINK.replace('&', '&amp;'));
      // The unsafe link keeps its text only (its parenthesised target, nested parentheses included, is dropped).
      expect(md).toContain('and script.');
      expect(md).not.toMatch(/\]\(\s*java/i);
      expect(md).toContain('**MITRE ATT&CK Description**');

      const html = renderHtmlPage(page, { base: '' });
      expect(html).toContain('<a href="https://attack.mitre.org/techniques/T1021/004" rel="noopener noreferrer">the ATT&amp;CK page</a>');
      expect(html).not.toMatch(/href="[^"]*script:/i);

      app = createServer({ dbPath });
      const [mdRes, htmlRes, health] = await Promise.all([
        app.inject({ url: '/techniques/T1021.004.md' }), app.inject({ url: '/techniques/T1021.004.html' }), app.inject({ url: '/healthz' }),
      ]);
      expect(mdRes.statusCode).toBe(200);
      expect(mdRes.body).toBe(renderMarkdown(page, { techniqueHref: (x) => `${x}.md` }));
      expect(htmlRes.statusCode).toBe(200);
      expect(htmlRes.body).not.toMatch(/href="[^"]*script:/i);
      expect(health.statusCode).toBe(200);
    } finally {
      await app?.close();
      kb.close();
    }
  });
});
