/**
 * ATT&CK's description markup, read once into a small tree and written out as safe HTML or as
 * markdown. ATT&CK mixes markdown (links, backticks, `**bold**`, `* ` lists, `### ` headings) with
 * a little HTML (`<code>`, `<b>`, `<br>`) and entities (`&lt;`), and also writes placeholders such
 * as `<username>` that are not tags. Only the constructs below are recognised; everything else is
 * text. The reader makes one left-to-right pass (no backtracking regex), so hostile text costs
 * linear time, and the HTML goes through sanitize-html as a second net.
 */
import sanitizeHtml from 'sanitize-html';
import { esc } from './escape.js';

export type Inline =
  | { t: 'text'; v: string }
  | { t: 'code'; v: string }
  | { t: 'br' }
  | { t: 'strong' | 'em'; c: Inline[] }
  | { t: 'link'; href: string; c: Inline[] };

export interface ListItem {
  c: Inline[];
  sub?: ListBlock;
}
export interface ListBlock {
  t: 'list';
  ordered: boolean;
  items: ListItem[];
}
export type Block = { t: 'p' | 'h'; c: Inline[] } | ListBlock;

/** Longest text read: ATT&CK's longest description is ~10 KB; anything far beyond is not a description. */
export const MAX_DESCRIPTION_CHARS = 200_000;

const NAMED: Record<string, string> = {
  lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: '\u00a0', lbrace: '{', rbrace: '}', lsqb: '[', rsqb: ']', bsol: '\\', num: '#',
  lpar: '(', rpar: ')', ast: '*', lowbar: '_', grave: '`', verbar: '|', hellip: '…', ndash: '–', mdash: '—', rsquo: '’', lsquo: '‘',
  ldquo: '“', rdquo: '”',
};

/** One entity at `i` (which holds '&'): its text and length, or undefined. */
function entityAt(s: string, i: number): { v: string; n: number } | undefined {
  const m = /&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});/y;
  m.lastIndex = i;
  const r = m.exec(s);
  if (!r) return undefined;
  const name = r[1]!;
  if (name.startsWith('#')) {
    const cp = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    if (!cp || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    return { v: String.fromCodePoint(cp), n: r[0].length };
  }
  const v = NAMED[name.toLowerCase()];
  return v === undefined ? undefined : { v, n: r[0].length };
}

/** Entities decoded; anything else kept as written (the inside of a `<code>` element). */
function decodeEntities(s: string): string {
  let out = '';
  let last = 0;
  for (let i = s.indexOf('&'); i >= 0; i = s.indexOf('&', i + 1)) {
    const e = entityAt(s, i);
    if (!e) continue;
    out += s.slice(last, i) + e.v;
    last = i + e.n;
    i = last - 1;
  }
  return out + s.slice(last);
}

const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9]{0,15})\s*\/?>/y;
/** `[label](url)`: a label without brackets, a URL without spaces and with at most one level of parentheses. */
const LINK = /\[([^[\]\n]{1,500})\]\(((?:[^()\s]|\([^()\s]{0,500}\)){1,2000})\)/y;
const SPECIAL = /[`<*[&\n]/g;
/** Where a `<code>` element ends: its `</code>`, or a second `<code>` (ATT&CK's typo for the close, on T1156). */
const CODE_END = /<\/?code>/gi;

interface Frame {
  kind: 'strong' | 'em';
  /** How it was opened: `**`, `b`, `strong`, `i` or `em`; only the same spelling closes it. */
  by: string;
  c: Inline[];
}

/** Inline markup of one paragraph, list item or link label. */
export function parseInline(s: string, depth = 0): Inline[] {
  const root: Inline[] = [];
  const stack: Frame[] = [];
  const out = () => (stack.length ? stack[stack.length - 1]!.c : root);
  const text = (v: string) => {
    if (!v) return;
    const c = out();
    const last = c[c.length - 1];
    if (last?.t === 'text') last.v += v;
    else c.push({ t: 'text', v });
  };
  const open = (kind: Frame['kind'], by: string) => stack.push({ kind, by, c: [] });
  const close = () => {
    const f = stack.pop()!;
    out().push({ t: f.kind, c: f.c });
  };
  const closes = (by: string) => stack.length > 0 && stack[stack.length - 1]!.by === by;

  // Next closing `</code>` and next run of each backtick fence at or after a position, found once and
  // reused: an unclosed opener must not make every later one rescan the rest (quadratic time).
  let codeClose = -2;
  const fences = new Map<number, number>();
  const nextFrom = (cached: number, needle: RegExp | string, from: number) => {
    if (cached === -1 || cached >= from) return cached;
    if (typeof needle === 'string') return s.indexOf(needle, from);
    needle.lastIndex = from;
    return needle.exec(s)?.index ?? -1;
  };

  let i = 0;
  while (i < s.length) {
    SPECIAL.lastIndex = i;
    const m = SPECIAL.exec(s);
    if (!m) {
      text(s.slice(i));
      break;
    }
    text(s.slice(i, m.index));
    i = m.index;
    const ch = s[i]!;
    if (ch === '\n') {
      // A soft line break inside a paragraph: a space in HTML, kept as a newline in markdown.
      text('\n');
      i++;
    } else if (ch === '`') {
      let ticks = 1;
      while (s[i + ticks] === '`') ticks++;
      const fence = '`'.repeat(ticks);
      const end = ticks > 3 ? -1 : nextFrom(fences.get(ticks) ?? -2, fence, i + ticks);
      if (ticks <= 3) fences.set(ticks, end);
      if (end < 0) {
        text(fence);
        i += ticks;
      } else {
        const v = s.slice(i + ticks, end);
        out().push({ t: 'code', v: ticks > 1 ? v.trim() : v });
        i = end + ticks;
      }
    } else if (ch === '*') {
      if (s[i + 1] === '*') {
        if (closes('**')) close();
        else if (s.indexOf('**', i + 2) > 0) open('strong', '**');
        else text('**');
        i += 2;
      } else {
        text('*');
        i++;
      }
    } else if (ch === '&') {
      const e = entityAt(s, i);
      if (e) {
        text(e.v);
        i += e.n;
      } else {
        text('&');
        i++;
      }
    } else if (ch === '[') {
      LINK.lastIndex = i;
      const l = depth === 0 ? LINK.exec(s) : null;
      if (l) {
        const label = parseInline(l[1]!, depth + 1);
        const href = l[2]!;
        if (/^https?:\/\//i.test(href)) out().push({ t: 'link', href, c: label });
        else for (const x of label) out().push(x); // javascript:, data:, relative: the label alone
        i += l[0].length;
      } else {
        text('[');
        i++;
      }
    } else {
      // '<': one of the few tags ATT&CK writes, else literal text (`<username>` is a placeholder).
      TAG.lastIndex = i;
      const t = TAG.exec(s);
      const name = t?.[2]!.toLowerCase();
      const closing = t?.[1] === '/';
      if (t && name === 'code' && !closing) {
        codeClose = nextFrom(codeClose, CODE_END, i + t[0].length);
        const end = codeClose;
        if (end >= 0) {
          out().push({ t: 'code', v: decodeEntities(s.slice(i + t[0].length, end)) });
          i = end + (s[end + 1] === '/' ? '</code>' : '<code>').length;
          continue;
        }
        text(t[0]);
        i += t[0].length;
      } else if (t && name === 'br') {
        out().push({ t: 'br' });
        i += t[0].length;
      } else if (t && (name === 'b' || name === 'strong' || name === 'i' || name === 'em')) {
        const kind = name === 'b' || name === 'strong' ? 'strong' : 'em';
        if (!closing) open(kind, name);
        else if (closes(name)) close();
        i += t[0].length;
      } else {
        text('<');
        i++;
      }
    }
  }
  while (stack.length) close();
  return root;
}

const ITEM = /^( *)([*-]|\d{1,3}[.)])[ \t]+(.*)$/;
const HEADING = /^#{1,6}[ \t]+(.*?)[ \t#]*$/;

/** Blocks of a description: paragraphs, `###` headings, and `*`/`-`/`1.` lists (one level of nesting). */
export function parseDescription(raw: string): Block[] {
  const text = raw.length > MAX_DESCRIPTION_CHARS ? `${raw.slice(0, MAX_DESCRIPTION_CHARS)}…` : raw;
  const blocks: Block[] = [];
  let para: string[] = [];
  let list: ListBlock | undefined;
  /** The item that continuation lines extend: the last top-level item, or its last nested one. */
  let item: { c: string[]; target: ListItem } | undefined;
  const pending: { target: ListItem; lines: string[] }[] = [];

  const flushPara = () => {
    if (para.length) blocks.push({ t: 'p', c: parseInline(para.join('\n')) });
    para = [];
  };
  const endList = () => {
    list = undefined;
    item = undefined;
  };
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (!line.trim()) {
      flushPara();
      endList();
      continue;
    }
    const h = HEADING.exec(line);
    if (h) {
      flushPara();
      endList();
      blocks.push({ t: 'h', c: parseInline(h[1]!) });
      continue;
    }
    const li = ITEM.exec(line);
    if (li) {
      flushPara();
      const ordered = /\d/.test(li[2]!);
      const nested = li[1]!.length >= 2 && list !== undefined && list.items.length > 0;
      const entry: ListItem = { c: [] };
      const lines = [li[3]!];
      pending.push({ target: entry, lines });
      if (nested) {
        const parent = list!.items[list!.items.length - 1]!;
        parent.sub ??= { t: 'list', ordered, items: [] };
        parent.sub.items.push(entry);
      } else {
        if (!list || list.ordered !== ordered) {
          list = { t: 'list', ordered, items: [] };
          blocks.push(list);
        }
        list.items.push(entry);
      }
      item = { c: lines, target: entry };
      continue;
    }
    if (item) item.c.push(line.trim());
    else para.push(line);
  }
  flushPara();
  for (const p of pending) p.target.c = parseInline(p.lines.join('\n'));
  return blocks;
}

/* ------------------------------------------------------------------ HTML */

function inlineHtml(nodes: Inline[]): string {
  let out = '';
  for (const n of nodes) {
    if (n.t === 'text') out += esc(n.v);
    else if (n.t === 'code') out += `<code>${esc(n.v)}</code>`;
    else if (n.t === 'br') out += '<br>';
    else if (n.t === 'link') out += `<a href="${esc(n.href)}" rel="noopener noreferrer">${inlineHtml(n.c)}</a>`;
    else out += `<${n.t}>${inlineHtml(n.c)}</${n.t}>`;
  }
  return out;
}

function listHtml(l: ListBlock): string {
  const tag = l.ordered ? 'ol' : 'ul';
  return `<${tag}>${l.items.map((i) => `<li>${inlineHtml(i.c)}${i.sub ? listHtml(i.sub) : ''}</li>`).join('')}</${tag}>`;
}

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'a', 'code', 'strong', 'em', 'ul', 'ol', 'li'],
  allowedAttributes: { a: ['href', 'rel'], p: ['class'] },
  allowedClasses: { p: ['subhead'] },
  allowedSchemes: ['http', 'https'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'escape',
};

/** A description as HTML blocks (`<p>`, `<ul>`, …): every text escaped, then sanitized. */
export function descriptionHtml(raw: string): string {
  const html = parseDescription(raw).map((b) => {
    if (b.t === 'list') return listHtml(b);
    if (b.t === 'h') return `<p class="subhead"><strong>${inlineHtml(b.c)}</strong></p>`;
    return `<p>${inlineHtml(b.c)}</p>`;
  }).join('');
  return sanitizeHtml(html, SANITIZE);
}

/** Inline ATT&CK markup (a mitigation's note, already parsed) as sanitized HTML. */
export function attackInlineHtml(nodes: Inline[]): string {
  return sanitizeHtml(inlineHtml(nodes), SANITIZE);
}

/* ------------------------------------------------------------------ markdown */

/**
 * Text for markdown that sits inside an HTML element (the page's `<blockquote>`): `&`, `<`, `>`
 * as entities, so nothing becomes a tag, and brackets escaped, so no link can be assembled from
 * pieces (a dropped `javascript:` link leaves only its label).
 */
function mdEscape(s: string): string {
  return s.replace(/[&<>[\]]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : `\\${c}`));
}

function codeMd(v: string): string {
  const text = v.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;')).replace(/\n/g, ' ');
  let fence = '`';
  while (text.includes(fence)) fence += '`';
  const pad = fence.length > 1 || text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

function inlineMd(nodes: Inline[]): string {
  let out = '';
  for (const n of nodes) {
    if (n.t === 'text') out += mdEscape(n.v);
    else if (n.t === 'code') out += codeMd(n.v);
    else if (n.t === 'br') out += '  \n';
    else if (n.t === 'link') out += `[${inlineMd(n.c)}](${n.href.replace(/[<>"]/g, (c) => encodeURIComponent(c))})`;
    else if (n.t === 'strong') out += `**${inlineMd(n.c)}**`;
    else out += `*${inlineMd(n.c)}*`;
  }
  return out;
}

function listMd(l: ListBlock, indent = ''): string[] {
  return l.items.flatMap((i, k) => {
    const marker = l.ordered ? `${k + 1}.` : '*';
    const lines = [`${indent}${marker} ${inlineMd(i.c).replace(/\n/g, `\n${indent}  `)}`];
    if (i.sub) lines.push(...listMd(i.sub, `${indent}    `));
    return lines;
  });
}

/** A description as markdown: ATT&CK's HTML (`<code>`, `<b>`) turned into markdown, paragraphs and lists kept. */
export function descriptionMarkdown(raw: string): string {
  return parseDescription(raw).map((b) => {
    if (b.t === 'list') return listMd(b).join('\n');
    if (b.t === 'h') return `**${inlineMd(b.c)}**`;
    return inlineMd(b.c);
  }).join('\n\n');
}
