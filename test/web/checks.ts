/** Checks every served or generated HTML document must pass, whatever the data. */
import { expect } from 'vitest';

/** Every href/src/action of a document, entities decoded the way a browser would for these attributes. */
export function urls(html: string): string[] {
  return [...html.matchAll(/\s(?:href|src|action)="([^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"'));
}

/** No inline script or style, no event handler attribute, no script URL, no absolute local path. */
export function expectSafeDocument(html: string, file: string): void {
  expect(html, file).toMatch(/^<!doctype html>\n<html lang="en">/);
  for (const tag of html.match(/<script\b[^>]*>[\s\S]*?<\/script>/gi) ?? []) {
    expect(tag, `${file}: only external scripts`).toMatch(/^<script src="[^"]+\.js" defer><\/script>$/);
  }
  expect(html, `${file}: no inline style`).not.toMatch(/<style|\sstyle\s*=/i);
  expect(html, `${file}: no event handler attribute on a real tag`).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i);
  for (const u of urls(html)) {
    expect(u.trim(), `${file}: dangerous URL scheme`).not.toMatch(/^(javascript|data|vbscript):/i);
    expect(u.startsWith('/') && !u.startsWith('//'), `${file}: absolute path ${u} breaks sub-path hosting and file://`).toBe(false);
  }
}
