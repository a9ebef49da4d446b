/**
 * The link filter of every rendered page: URLs are judged the way a browser parses them, so
 * control characters and whitespace a browser drops cannot hide a `javascript:` scheme.
 */
import { describe, expect, it } from 'vitest';
import { linkOrText, safeHref } from '../../src/render/escape.js';

/** Each is `javascript:` (or another script scheme) once a browser has cleaned it up. */
const HIDDEN_SCRIPTS = [
  'javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'java\tscript:alert(1)', 'java\nscript:alert(1)', 'java\r\nscript:alert(1)',
  '\x01javascript:alert(1)', '\x00javascript:alert(1)', ' \x1f javascript:alert(1)', 'javascript:alert(1)\x07 ',
  '\tj\ta\tv\ta\ts\tc\tr\ti\tp\tt\t:alert(1)', '\u0000 \n javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>', 'vbscript:msgbox(1)', 'da\nta:text/html,x', 'file:///etc/passwd',
];

describe('safeHref', () => {
  it.each(HIDDEN_SCRIPTS)('refuses %j', (url) => {
    expect(safeHref(url)).toBe('#');
    expect(linkOrText(url, 'label')).toBe('<span>label</span>');
  });

  it('refuses protocol-relative links, however the slashes are written', () => {
    for (const url of ['//evil.example/x', '\\\\evil.example/x', '/\\evil.example/x', '\t//evil.example', '/\t/evil.example']) expect(safeHref(url), url).toBe('#');
  });

  it('refuses a control character a browser would keep (it is no link anyone meant)', () => {
    expect(safeHref('https://example.com/a\x00b')).toBe('#');
    expect(safeHref('page\x7f.html')).toBe('#');
  });

  it('keeps http, https, mailto and relative links, cleaned as the browser would and escaped', () => {
    expect(safeHref('https://attack.mitre.org/techniques/T1021/004')).toBe('https://attack.mitre.org/techniques/T1021/004');
    expect(safeHref(' HTTP://example.com/?a=1&b="2" ')).toBe('HTTP://example.com/?a=1&amp;b=&quot;2&quot;');
    expect(safeHref('https://exa\tmple.com/')).toBe('https://example.com/');
    expect(safeHref('mailto:soc@example.com')).toBe('mailto:soc@example.com');
    expect(safeHref('../techniques/T1021.html')).toBe('../techniques/T1021.html');
    expect(safeHref('techniques/T1021:004')).toBe('techniques/T1021:004');
    expect(safeHref('#section')).toBe('#section');
    expect(safeHref('')).toBe('#');
    expect(safeHref(undefined)).toBe('#');
  });
});
