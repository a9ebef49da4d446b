/** HTML escaping and sanitizing for untrusted upstream text (titles, descriptions, commands). */
import sanitizeHtml from 'sanitize-html';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text → HTML text or attribute value. Everything upstream goes through this or `safeHref`. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** Only http(s) and relative links survive; javascript:, data:, vbscript: … become "#". */
export function safeHref(url: string | null | undefined): string {
  if (!url) return '#';
  const u = url.trim();
  if (/^https?:\/\//i.test(u)) return esc(u);
  if (/^[a-z][a-z0-9+.-]*:/i.test(u) || u.startsWith('//')) return '#';
  return esc(u);
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

/**
 * ATT&CK descriptions use markdown links `[text](url)`; keep them as links (http(s) only) and
 * escape everything else. The result is then passed through sanitize-html as a second net.
 */
export function richText(text: string): string {
  const parts: string[] = [];
  let last = 0;
  const re = /\[([^\]]{1,300})\]\((https?:\/\/[^)\s]{1,500})\)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    parts.push(esc(text.slice(last, m.index)));
    parts.push(`<a href="${esc(m[2])}" rel="noopener noreferrer">${esc(m[1])}</a>`);
    last = m.index + m[0].length;
  }
  parts.push(esc(text.slice(last)));
  const html = parts.join('').split(/\n{2,}/).map((p) => `<p>${p.replace(/\n/g, '<br>')}</p>`).join('');
  return sanitizeHtml(html, {
    allowedTags: ['p', 'br', 'a', 'code'],
    allowedAttributes: { a: ['href', 'rel'] },
    allowedSchemes: ['http', 'https'],
  });
}
