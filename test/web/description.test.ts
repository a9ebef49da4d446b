/**
 * ATT&CK's description markup, rendered as HTML (technique pages) and as markdown (`show`): small
 * hand-written cases for each construct and each hostile input, then every description of the
 * real bundles, checked against code spans found independently in the raw text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { descriptionHtml, descriptionMarkdown } from '../../src/render/description.js';
import { stripCitations } from '../../src/util/text.js';
import { DATA_DIR } from '../helpers.js';

describe('ATT&CK description markup as HTML', () => {
  it('renders <code>, backticks, entities and placeholders as code, and keeps placeholders as text', () => {
    expect(descriptionHtml('the <code>Start-Process</code> cmdlet')).toBe('<p>the <code>Start-Process</code> cmdlet</p>');
    expect(descriptionHtml('via `vim-cmd hostsvc/enable_ssh` or')).toBe('<p>via <code>vim-cmd hostsvc/enable_ssh</code> or</p>');
    // Entities inside <code> are decoded once, then escaped again for HTML: the reader sees <username>.
    expect(descriptionHtml('<code>C:\\Users\\&lt;username&gt;\\AppData</code>')).toBe('<p><code>C:\\Users\\&lt;username&gt;\\AppData</code></p>');
    expect(descriptionHtml('<code>C:&#92;Users&#92;</code> and <code>&lbrace;x&rbrace;</code>')).toBe('<p><code>C:\\Users\\</code> and <code>{x}</code></p>');
    // A placeholder is not a tag, inside or outside code.
    expect(descriptionHtml('in `C:\\Users\\<username>\\Documents` and <target binary>')).toBe('<p>in <code>C:\\Users\\&lt;username&gt;\\Documents</code> and &lt;target binary&gt;</p>');
    expect(descriptionHtml('<code>...\\Image File Execution Options\\<executable></code>')).toBe('<p><code>...\\Image File Execution Options\\&lt;executable&gt;</code></p>');
    // T1156 writes <code>x<code> for <code>x</code>: the second opener closes the first.
    expect(descriptionHtml('uses the <code>~/.zshrc<code> to configure. Upon exiting, <code>/etc/zlogout</code> runs'))
      .toBe('<p>uses the <code>~/.zshrc</code> to configure. Upon exiting, <code>/etc/zlogout</code> runs</p>');
    // A code span holding a backtick uses a longer fence.
    expect(descriptionHtml('run `` a`b `` now')).toBe('<p>run <code>a`b</code> now</p>');
  });

  it('renders links (http(s) only), bold, line breaks, headings, paragraphs and lists', () => {
    expect(descriptionHtml('[Valid Accounts](https://attack.mitre.org/techniques/T1078) and [x](javascript:alert(1)) and [y](/relative)'))
      .toBe('<p><a href="https://attack.mitre.org/techniques/T1078" rel="noopener noreferrer">Valid Accounts</a> and x and y</p>');
    expect(descriptionHtml('[wiki](https://en.wikipedia.org/wiki/Foo_(bar))')).toBe('<p><a href="https://en.wikipedia.org/wiki/Foo_(bar)" rel="noopener noreferrer">wiki</a></p>');
    expect(descriptionHtml('**Note:** a <b>Direct</b> and <i>soft</i> case')).toBe('<p><strong>Note:</strong> a <strong>Direct</strong> and <em>soft</em> case</p>');
    expect(descriptionHtml('location:<br>\n<code>Normal.dotm</code>')).toBe('<p>location:<br />\n<code>Normal.dotm</code></p>');
    expect(descriptionHtml('Intro\n\n### Windows\nText')).toBe('<p>Intro</p><p class="subhead"><strong>Windows</strong></p><p>Text</p>');
    expect(descriptionHtml('Kinds:\n\n* one `a`\n* two\n    * two-a\n* three\ncontinued\n\n1. first\n2. second'))
      .toBe('<p>Kinds:</p><ul><li>one <code>a</code></li><li>two<ul><li>two-a</li></ul></li><li>three\ncontinued</li></ul><ol><li>first</li><li>second</li></ol>');
    // A literal star or bracket stays text.
    expect(descriptionHtml('keys on * nix systems, [known as ADS] streams')).toBe('<p>keys on * nix systems, [known as ADS] streams</p>');
  });

  it('never lets markup through: script, event handlers, unclosed tags, attribute breakouts', () => {
    const hostile = [
      '<script>alert(1)</script>', '<img src=x onerror=alert(2)>', '<a href="javascript:alert(3)">x</a>', '<code onclick=alert(4)>x</code>',
      '<b>unclosed bold', '**unclosed', '`unclosed code', '<code>unclosed', '[a [b](javascript:x)](javascript:y)',
      '[t](https://e.com/"onmouseover="alert(5))', '<svg/onload=alert(6)>', '&#0; &#xD800; &#1114112; &bogus;', '<style>*{}</style>',
    ];
    for (const text of hostile) {
      const html = descriptionHtml(text);
      expect(html, text).not.toMatch(/<(script|img|svg|style|iframe)\b/i);
      expect(html, text).not.toMatch(/<[a-z]+[^>]*\son[a-z]+=/i);
      expect(html, text).not.toMatch(/<a\s[^>]*href="(?!https?:)/i);
    }
    expect(descriptionHtml('<script>alert(1)</script>')).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect(descriptionHtml('<b>unclosed bold')).toBe('<p><strong>unclosed bold</strong></p>');
    expect(descriptionHtml('`unclosed code')).toBe('<p>`unclosed code</p>');
    expect(descriptionHtml('&#0; &#xD800; &bogus;')).toBe('<p>&amp;#0; &amp;#xD800; &amp;bogus;</p>');
    // Thousands of unclosed openers of every kind still render, and only as code elements and text.
    const flood = `${'`'.repeat(3)}${'[a'.repeat(5000)}${'**'.repeat(3)}${'&#'.repeat(5000)}${'<b>'.repeat(3000)}${'<code>'.repeat(5001)}`;
    const html = descriptionHtml(flood);
    expect(html.match(/<code>/g)).toHaveLength(2500);
    expect(html.replace(/<\/?(p|code|strong)>/g, '')).not.toMatch(/<[a-z]/i);
  });
});

describe('ATT&CK description markup as markdown (show)', () => {
  it('turns ATT&CK HTML into markdown and keeps markdown as written', () => {
    expect(descriptionMarkdown('the <code>Start-Process</code> cmdlet and `b`')).toBe('the `Start-Process` cmdlet and `b`');
    expect(descriptionMarkdown('a <b>Direct</b> case, **Note:** [x](https://e.com/a)')).toBe('a **Direct** case, **Note:** [x](https://e.com/a)');
    expect(descriptionMarkdown('One\n\n* a\n* b\n\n### Head\nText')).toBe('One\n\n* a\n* b\n\n**Head**\n\nText');
    expect(descriptionMarkdown('run `` a`b `` now')).toBe('run `` a`b `` now');
  });

  it('leaves nothing a markdown viewer would turn into a tag or a script link', () => {
    // The description sits in a <blockquote>: <, > and & are entities, code spans included.
    expect(descriptionMarkdown('<script>x</script> `<script>`')).toBe('&lt;script&gt;x&lt;/script&gt; `&lt;script&gt;`');
    expect(descriptionMarkdown('<code>C:\\Users\\&lt;username&gt;</code>')).toBe('`C:\\Users\\&lt;username&gt;`');
    // A dropped link leaves its label; brackets left over cannot assemble a new link.
    expect(descriptionMarkdown('[a](javascript:alert(1))')).toBe('a');
    expect(descriptionMarkdown('[a [b](javascript:x)](javascript:y)')).toBe('\\[a b\\](javascript:y)');
  });
});

type Raw = { type?: string; description?: string; external_references?: { source_name?: string; external_id?: string }[] };

describe('every ATT&CK technique description of the real bundles', () => {
  const techniques = ['enterprise-attack', 'mobile-attack', 'ics-attack']
    .flatMap((d) => (JSON.parse(readFileSync(join(DATA_DIR, 'attack', `${d}.json`), 'utf8')) as { objects: Raw[] }).objects)
    .filter((o) => o.type === 'attack-pattern' && o.description)
    .map((o) => ({ id: o.external_references?.find((r) => /^mitre/.test(r.source_name ?? ''))?.external_id ?? '?', text: stripCitations(o.description!) }));

  it('renders each code span, found independently in the raw text, as a <code> element', () => {
    expect(techniques.length).toBeGreaterThan(1000);
    const decode = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#92;/g, '\\').replace(/&lbrace;/g, '{').replace(/&rbrace;/g, '}').replace(/&amp;/g, '&');
    const fromHtml = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
    let spans = 0;
    let withCode = 0;
    for (const t of techniques) {
      const html = descriptionHtml(t.text);
      // <code>…</code> elements (not those with a stray opener inside: the T1156 typo is tested above) and `…` spans.
      const tags = [...t.text.matchAll(/<code>([\s\S]*?)<\/code>/gi)].map((m) => m[1]!).filter((c) => !/<code>/i.test(c)).map(decode);
      const ticks = [...t.text.replace(/<code>[\s\S]*?<\/code>/gi, '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
      const rendered = [...html.matchAll(/<code>([^<]*)<\/code>/g)].map((m) => fromHtml(m[1]!));
      for (const code of [...tags, ...ticks]) expect(rendered, `${t.id}: ${code}`).toContain(code);
      spans += tags.length + ticks.length;
      if (tags.length + ticks.length) withCode++;
      expect(html, t.id).not.toMatch(/&lt;\/?code&gt;/i);
      expect(html, t.id).not.toMatch(/`[^`<>\n]+`/);
      expect(descriptionMarkdown(t.text), t.id).not.toMatch(/&lt;\/?code&gt;/i);
    }
    // ATT&CK 19.1: thousands of code spans in hundreds of descriptions.
    expect(spans).toBeGreaterThan(1000);
    expect(withCode).toBeGreaterThan(250);
  });
});
