/** The document shell every site page shares, and the relative links between pages. */
import { esc } from '../render/escape.js';

/** How pages link to each other: the static site uses `.html` files, the server clean paths. */
export interface Links {
  ext: '' | '.html';
  /** The server also offers the JSON API; the static site does not. */
  api: boolean;
}

export const SITE_LINKS: Links = { ext: '.html', api: false };
export const SERVER_LINKS: Links = { ext: '', api: true };

/** A top-level page: 'index', 'search', 'sources', 'coverage' (server only) or a matrix slug. */
export type TopPage = string;

/** Link from a top-level page to another top-level page (prefix `base` from deeper pages). */
export function topHref(name: TopPage, links: Links): string {
  if (name === 'index') return links.ext ? 'index.html' : './';
  return `${name}${links.ext}`;
}

export function techniqueHref(id: string, links: Links): string {
  return `techniques/${id}${links.ext}`;
}

export const CSS_FILE = 'assets/purplebook.css';
export const JS_FILE = 'assets/purplebook.js';
export const ICON_FILE = 'assets/favicon.svg';

/** The policy the server sends as a header; the static site repeats it in a meta tag. */
export const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'";

export interface LayoutOptions {
  title: string;
  /** Prefix from this page to the site root: '' or '../'. */
  base: string;
  links: Links;
  /** `data-page` of the body: what the script does on this page. */
  page: string;
  body: string;
  /** Scripts (paths from the site root) loaded before the site script. */
  data?: string[];
  /** Whether the site script is needed at all. */
  script?: boolean;
  current?: TopPage;
  /** Navigation entries: the matrices present. */
  domains: { slug: string; title: string }[];
  footer: string;
  /** The search form in the header (off on the search page, which is one). */
  headerSearch?: boolean;
}

function nav(opts: LayoutOptions): string {
  const item = (name: TopPage, label: string) => {
    const current = opts.current === name ? ' aria-current="page"' : '';
    return `<li><a href="${esc(opts.base + topHref(name, opts.links))}"${current}>${esc(label)}</a></li>`;
  };
  return `<nav aria-label="Main"><ul>${[
    item('index', 'Purplebook'),
    ...opts.domains.map((d) => item(d.slug, `${d.title} matrix`)),
    item('search', 'Search'),
    // Coverage and the line-up need the server's API: the static site has no such pages.
    ...(opts.links.api ? [item('coverage', 'Coverage'), item('lineup', 'Line-up')] : []),
    item('sources', 'Sources'),
  ].join('')}</ul></nav>`;
}

function headerSearch(opts: LayoutOptions): string {
  if (opts.headerSearch === false) return '';
  return `<form class="header-search" role="search" method="get" action="${esc(opts.base + topHref('search', opts.links))}">`
    + '<label for="header-q">Search techniques and resources</label>'
    + '<input id="header-q" name="q" type="search" autocomplete="off" maxlength="200">'
    + '<button type="submit">Search</button></form>';
}

export function layout(opts: LayoutOptions): string {
  // The site script runs on every page (theme switch, copy buttons, filters); `script: false` leaves it out.
  const scripts = [...(opts.data ?? []), ...(opts.script === false ? [] : [JS_FILE])]
    .map((s) => `<script src="${esc(opts.base + s)}" defer></script>`).join('\n');
  const ext = opts.links.ext;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<title>${esc(opts.title)} — Purplebook</title>
<link rel="stylesheet" href="${esc(opts.base + CSS_FILE)}">
<link rel="icon" href="${esc(opts.base + ICON_FILE)}" type="image/svg+xml">
${scripts}
</head>
<body data-page="${esc(opts.page)}" data-ext="${esc(ext)}" data-base="${esc(opts.base)}">
<a class="skip" href="#main">Skip to content</a>
<header class="site">${nav(opts)}<div class="header-tools">${headerSearch(opts)}<button type="button" id="theme-toggle" class="theme-toggle" aria-pressed="false" hidden>Dark mode</button></div></header>
<main id="main" tabindex="-1">
${opts.body}
</main>
<footer class="site">${opts.footer}</footer>
</body>
</html>
`;
}
