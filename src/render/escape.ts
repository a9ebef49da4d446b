/** HTML escaping and sanitizing for untrusted upstream text (titles, descriptions, commands). */
import sanitizeHtml from 'sanitize-html';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text → HTML text or attribute value. Everything upstream goes through this or `safeHref`. */
export function esc(value: string | number | boolean | null | undefined): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** Link schemes a rendered page may point to; everything else (javascript:, data:, vbscript:, file:) is dropped. */
const ALLOWED_SCHEMES = new Set(['http', 'https', 'mailto']);
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

/** C0 controls and the space: what the URL parser trims from both ends. */
const isC0OrSpace = (code: number) => code <= 0x20;

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * The URL as a browser reads it, or undefined when it must not become a link. Browsers trim C0
 * controls and spaces from both ends and delete tabs and newlines anywhere before they look at
 * the scheme, so `java<TAB>script:` and `\x01javascript:` are `javascript:` to them: the scheme
 * test has to see what they see. Allowed: http, https, mailto and relative URLs; refused too:
 * protocol-relative `//host` (also spelled with backslashes) and any other control character.
 */
export function linkTarget(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  let start = 0;
  let end = url.length;
  while (start < end && isC0OrSpace(url.charCodeAt(start))) start++;
  while (end > start && isC0OrSpace(url.charCodeAt(end - 1))) end--;
  const u = url.slice(start, end).replace(/[\t\n\r]/g, '');
  if (!u || hasControl(u)) return undefined;
  const scheme = SCHEME.exec(u);
  if (scheme) return ALLOWED_SCHEMES.has(scheme[1]!.toLowerCase()) ? u : undefined;
  if (/^[/\\]{2}/.test(u)) return undefined;
  return u;
}

/** An escaped href for `linkTarget(url)`, or "#" when the URL is refused. */
export function safeHref(url: string | null | undefined): string {
  const u = linkTarget(url);
  return u === undefined ? '#' : esc(u);
}

/**
 * A link when the URL is safe, else the label alone: a dead `href="#"` would look clickable.
 * `labelHtml` must already be escaped.
 */
export function linkOrText(url: string | null | undefined, labelHtml: string, attrs = ''): string {
  const href = safeHref(url);
  const extra = attrs ? ` ${attrs}` : '';
  return href === '#' ? `<span${extra}>${labelHtml}</span>` : `<a href="${href}"${extra} rel="noopener noreferrer">${labelHtml}</a>`;
}

/* ------------------------------------------------------------------ markdown links in upstream text */

/** What `\s` matches in a JavaScript regex. */
function isSpace(code: number): boolean {
  return (code >= 0x09 && code <= 0x0d) || code === 0x20 || code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a)
    || code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff;
}

export interface LinkMatch {
  /** Index of the `[` and one past the `)`. */
  start: number;
  end: number;
  label: string;
  url: string;
}

/**
 * The `[label](http(s)://url)` links of a text, left to right: what
 * `/\[([^\]]{1,maxLabel})\]\((https?:\/\/[^)\s]{1,maxUrl})\)/g` finds, in one pass. The regex
 * tries up to `maxLabel` characters at every `[` and `maxUrl` at every `](http`, so hostile text
 * (600 KB of `[`) cost it close to a second per render; here every character is looked at a
 * bounded number of times.
 */
export function markdownLinks(text: string, maxLabel = 300, maxUrl = 500): LinkMatch[] {
  const out: LinkMatch[] = [];
  /** First `)` or space at or after the URL being checked: only ever moves forward. */
  let stop = 0;
  let from = 0;
  for (;;) {
    const open = text.indexOf('[', from);
    if (open < 0) break;
    const close = text.indexOf(']', open + 1);
    if (close < 0) break;
    // Every `[` between `open` and `close` ends its label at `close`: the leftmost one whose label
    // fits is the only candidate, and the ranges looked at here never overlap between rounds.
    let start = Math.max(open, close - 1 - maxLabel);
    while (start < close - 1 && text.charCodeAt(start) !== 0x5b) start++;
    const url = close + 2;
    const scheme = text.startsWith('(https://', close + 1) ? 8 : text.startsWith('(http://', close + 1) ? 7 : 0;
    if (start < close - 1 && scheme) {
      const rest = url + scheme;
      if (stop < rest) stop = rest;
      while (stop < text.length && text.charCodeAt(stop) !== 0x29 && !isSpace(text.charCodeAt(stop))) stop++;
      const length = stop - rest;
      if (stop < text.length && text.charCodeAt(stop) === 0x29 && length >= 1 && length <= maxUrl) {
        out.push({ start, end: stop + 1, label: text.slice(start + 1, close), url: text.slice(url, stop) });
        from = stop + 1;
        continue;
      }
    }
    from = close + 1;
  }
  return out;
}

/**
 * ATT&CK descriptions use markdown links `[text](url)`; keep them as links (http(s) only) and
 * escape everything else. The result is then passed through sanitize-html as a second net.
 */
export function richText(text: string): string {
  const parts: string[] = [];
  let last = 0;
  for (const m of markdownLinks(text)) {
    parts.push(esc(text.slice(last, m.start)));
    parts.push(`<a href="${esc(m.url)}" rel="noopener noreferrer">${esc(m.label)}</a>`);
    last = m.end;
  }
  parts.push(esc(text.slice(last)));
  const html = parts.join('').split(/\n{2,}/).map((p) => `<p>${p.replace(/\n/g, '<br>')}</p>`).join('');
  return sanitizeHtml(html, {
    allowedTags: ['p', 'br', 'a', 'code'],
    allowedAttributes: { a: ['href', 'rel'] },
    allowedSchemes: ['http', 'https'],
  });
}

/**
 * Markdown `[text](url)` links whose URL is not http(s) replaced by their text: what
 * `/\[([^\]]*)\]\((?!https?:\/\/)[^)]*\)/gi` does, in one pass (that regex scans to the end of the
 * text from every unclosed `[`: 600 KB of `[` blocked `show` and the server for half a minute).
 */
export function dropNonHttpLinks(text: string): string {
  const parts: string[] = [];
  let last = 0;
  let from = 0;
  for (;;) {
    const open = text.indexOf('[', from);
    if (open < 0) break;
    const close = text.indexOf(']', open + 1);
    // Without a `]` (or, below, a `)`) after this `[`, no later `[` can complete a link either.
    if (close < 0) break;
    if (text.charCodeAt(close + 1) === 0x28 && !/^https?:\/\//i.test(text.slice(close + 2, close + 10))) {
      const end = text.indexOf(')', close + 2);
      if (end < 0) break;
      parts.push(text.slice(last, open), text.slice(open + 1, close));
      last = end + 1;
      from = end + 1;
      continue;
    }
    // Every `[` up to `close` shares this `]` and fails the same way.
    from = close + 1;
  }
  if (last === 0) return text;
  parts.push(text.slice(last));
  return parts.join('');
}

/** A description for inside an HTML element of a markdown page: markup neutralized, only http(s) markdown links kept. */
export function markdownHtmlText(s: string): string {
  return dropNonHttpLinks(s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
}
