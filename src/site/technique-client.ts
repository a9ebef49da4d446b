/**
 * The technique page's script, serialized like the site script (Function.prototype.toString), so
 * it must stay self-contained. It filters and sorts the page's resources without a server round
 * trip, copies commands and queries to the clipboard (as text: nothing is ever run), and on heavy
 * pages loads the data file with the details and long lists the HTML left out, rendering it with
 * textContent only (links only from http(s) URLs), the same structure the server writes.
 */
export function techniqueClient(): void {
  type Inline = { t: 'text'; v: string } | { t: 'code'; v: string } | { t: 'br' } | { t: 'strong' | 'em'; c: Inline[] } | { t: 'link'; href: string; c: Inline[] };
  type DetailValue = string | { code: string } | { list: DetailValue[] } | { rows: [string, DetailValue][] } | { attack: Inline[] };
  interface ItemView {
    name: string; url: string | null; crumbs: string[]; facts: string[]; flags: string[]; code: { label: string; text: string }[];
    details: [string, DetailValue][];
    facets: { level?: string; status?: string; platforms?: string[]; logsource?: string; executors?: string[]; date?: string };
  }
  interface Details { id: string; sources: Record<string, ItemView[]> }

  const body = document.body;
  if (body.dataset.page !== 'technique') return;
  const article = document.querySelector<HTMLElement>('article.technique');
  if (!article) return;
  const globals = window as unknown as { PURPLEBOOK_DETAILS?: Details };

  function el(tag: string, className?: string, text?: string): HTMLElement {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  const safeUrl = (u: string | null | undefined) => (u && /^https?:\/\//i.test(u) ? u : null);

  /* ------------------------------------------------------------ copy */

  function showCopyButtons(root: ParentNode): void {
    for (const b of Array.from(root.querySelectorAll<HTMLButtonElement>('button.copy'))) b.hidden = false;
  }

  async function copyText(text: string): Promise<boolean> {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // No async clipboard (an insecure context, or permission refused): select a hidden copy and ask the browser.
      const area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.className = 'sr-only';
      document.body.append(area);
      area.select();
      let ok: boolean;
      try {
        ok = document.execCommand('copy');
      } catch {
        ok = false;
      }
      area.remove();
      return ok;
    }
  }

  document.addEventListener('click', (e) => {
    const button = (e.target as Element | null)?.closest?.('button.copy') as HTMLButtonElement | null;
    if (!button) return;
    const code = button.parentElement?.querySelector('pre code');
    if (!code) return;
    void copyText(code.textContent ?? '').then((ok) => {
      button.textContent = ok ? 'Copied' : 'Copy failed: select the text';
      window.setTimeout(() => {
        button.textContent = 'Copy';
      }, 2000);
    });
  });
  showCopyButtons(document);

  /* ------------------------------------------------------------ rendering item views (same structure as render/html.ts) */

  function inlineNodes(list: Inline[]): Node[] {
    return list.map((n) => {
      if (n.t === 'text') return document.createTextNode(n.v);
      if (n.t === 'code') return el('code', undefined, n.v);
      if (n.t === 'br') return el('br');
      if (n.t === 'link') {
        const url = safeUrl(n.href);
        const a = el(url ? 'a' : 'span');
        if (url) {
          (a as HTMLAnchorElement).href = url;
          (a as HTMLAnchorElement).rel = 'noopener noreferrer';
        }
        a.append(...inlineNodes(n.c));
        return a;
      }
      const x = el(n.t);
      x.append(...inlineNodes(n.c));
      return x;
    });
  }

  function detailValue(v: DetailValue): Node {
    if (typeof v === 'string') return document.createTextNode(v);
    if ('code' in v) {
      const pre = el('pre');
      pre.append(el('code', undefined, v.code));
      return pre;
    }
    if ('list' in v) {
      const ul = el('ul');
      for (const x of v.list) {
        const li = el('li');
        li.append(detailValue(x));
        ul.append(li);
      }
      return ul;
    }
    if ('attack' in v) {
      const span = el('span');
      span.append(...inlineNodes(v.attack));
      return span;
    }
    return detailRows(v.rows);
  }

  function detailRows(rows: [string, DetailValue][]): HTMLElement {
    const dl = el('dl');
    for (const [k, v] of rows) {
      const dd = el('dd');
      dd.append(detailValue(v));
      dl.append(el('dt', undefined, k), dd);
    }
    return dl;
  }

  function codeBlock(label: string, text: string): HTMLElement {
    const d = el('details', 'code');
    const box = el('div', 'code-box');
    const pre = el('pre');
    pre.append(el('code', undefined, text));
    const button = el('button', 'copy', 'Copy') as HTMLButtonElement;
    button.type = 'button';
    box.append(pre, button);
    d.append(el('summary', undefined, label), box);
    return d;
  }

  /** What the HTML deferred for one item: its commands and its details. */
  function lazyParts(v: ItemView): HTMLElement[] {
    const parts = v.code.map((c) => codeBlock(c.label, c.text));
    if (v.details.length) {
      const d = el('details', 'more');
      d.append(el('summary', undefined, 'details'), detailRows(v.details));
      parts.push(d);
    }
    return parts;
  }

  function setFacets(li: HTMLElement, v: ItemView): void {
    const f = v.facets;
    if (f.level) li.dataset.level = f.level;
    if (f.status) li.dataset.status = f.status;
    if (f.platforms) li.dataset.platforms = f.platforms.join('|');
    if (f.logsource) li.dataset.logsource = f.logsource;
    if (f.executors) li.dataset.executors = f.executors.join('|');
    if (f.date) li.dataset.date = f.date;
  }

  function itemNode(v: ItemView, index: number): HTMLElement {
    const li = el('li', 'res');
    li.dataset.i = String(index);
    setFacets(li, v);
    if (v.crumbs.length) li.append(el('span', 'crumbs', `${v.crumbs.join(' / ')} / `));
    const url = safeUrl(v.url);
    const name = el(url ? 'a' : 'span', 'item', v.name);
    if (url) {
      (name as HTMLAnchorElement).href = url;
      (name as HTMLAnchorElement).rel = 'noopener noreferrer';
    }
    li.append(name, document.createTextNode(' '));
    v.facts.forEach((f, i) => li.append(...(i ? [document.createTextNode(' ')] : []), el('span', 'fact', f)));
    for (const f of v.flags) li.append(el('span', 'flag', f));
    li.append(...lazyParts(v));
    return li;
  }

  /* ------------------------------------------------------------ the deferred data file */

  const dataHref = article.dataset.details;
  let loading: Promise<boolean> | undefined;

  function loadDetails(): Promise<boolean> {
    if (!dataHref) return Promise.resolve(true);
    loading ??= new Promise<boolean>((resolve) => {
      const done = () => resolve(hydrate());
      if (globals.PURPLEBOOK_DETAILS) return done();
      const script = document.createElement('script');
      script.src = dataHref;
      script.addEventListener('load', done);
      script.addEventListener('error', () => resolve(false));
      document.head.append(script);
    });
    return loading;
  }

  /** Puts the data file's details and items into the page; false if it does not belong to this page. */
  function hydrate(): boolean {
    const data = globals.PURPLEBOOK_DETAILS;
    if (!data || data.id !== article!.dataset.technique) return false;
    for (const section of Array.from(article!.querySelectorAll<HTMLElement>('section.source[data-source]'))) {
      const views = data.sources[section.dataset.source ?? ''];
      const list = section.querySelector<HTMLElement>('ul.items');
      if (!views || !list) continue;
      const present = new Set<number>();
      for (const li of Array.from(list.querySelectorAll<HTMLElement>(':scope > li.res'))) {
        const i = Number(li.dataset.i);
        present.add(i);
        const lazy = li.querySelector(':scope > details.lazy');
        const v = views[i];
        if (lazy && v) lazy.replaceWith(...lazyParts(v));
      }
      views.forEach((v, i) => {
        if (!present.has(i)) list.append(itemNode(v, i));
      });
      section.querySelector('.more-items')?.remove();
      showCopyButtons(section);
    }
    delete article!.dataset.details;
    article!.dataset.loaded = 'true';
    return true;
  }

  // A folded part opened before the data arrived: load it, then open what replaced it.
  document.addEventListener('toggle', (e) => {
    const d = e.target as HTMLDetailsElement;
    if (!(d instanceof HTMLDetailsElement) || !d.classList.contains('lazy') || !d.open) return;
    const li = d.closest('li');
    void loadDetails().then((ok) => {
      const first = li?.querySelector<HTMLDetailsElement>(':scope > details');
      if (ok && first) first.open = true;
      else if (!ok) d.querySelector('.loading')!.textContent = 'Could not load the details: open the markdown page.';
    });
  }, true);

  for (const b of Array.from(article.querySelectorAll<HTMLButtonElement>('button.show-all'))) {
    b.hidden = false;
    b.addEventListener('click', () => {
      b.disabled = true;
      b.textContent = 'Loading…';
      void loadDetails().then((ok) => {
        if (!ok) b.textContent = 'Could not load: open the markdown page';
      });
    });
  }
  for (const s of Array.from(article.querySelectorAll<HTMLElement>('.no-script'))) s.hidden = true;

  /* ------------------------------------------------------------ filters and sorting */

  const form = document.getElementById('item-filters') as HTMLFormElement | null;
  if (!form) return;
  form.hidden = false;
  const status = form.querySelector<HTMLElement>('.filter-status');
  const LEVELS = ['critical', 'high', 'medium', 'low', 'informational'];
  const FACETS = ['level', 'status', 'platforms', 'logsource', 'executors'] as const;

  function value(name: string): string {
    return (form!.elements.namedItem(name) as HTMLSelectElement | null)?.value ?? '';
  }

  function matches(li: HTMLElement, want: Record<string, string>): boolean {
    for (const f of FACETS) {
      const w = want[f];
      if (!w) continue;
      const have = li.dataset[f];
      if (have === undefined) return false;
      if (f === 'platforms' || f === 'executors' ? !`|${have}|`.includes(`|${w}|`) : have !== w) return false;
    }
    return true;
  }

  function sortKey(li: HTMLElement, by: string): string | number {
    if (by === 'level') {
      const i = LEVELS.indexOf(li.dataset.level ?? '');
      return i < 0 ? LEVELS.length : i;
    }
    if (by === 'date') return li.dataset.date ?? '';
    if (by === 'name') return (li.querySelector('.item')?.textContent ?? '').toLowerCase();
    return Number(li.dataset.i);
  }

  function compare(by: string): (a: HTMLElement, b: HTMLElement) => number {
    return (a, b) => {
      const ka = sortKey(a, by);
      const kb = sortKey(b, by);
      // Newest first for dates; items without a date last.
      if (by === 'date' && ka !== kb) return ka === '' ? 1 : kb === '' ? -1 : ka < kb ? 1 : -1;
      if (ka !== kb) return ka < kb ? -1 : 1;
      return Number(a.dataset.i) - Number(b.dataset.i);
    };
  }

  function apply(): void {
    const want: Record<string, string> = {};
    for (const f of FACETS) want[f] = value(f);
    const source = value('source');
    const by = value('sort');
    const active = !!source || FACETS.some((f) => want[f]);
    let shown = 0;
    let total = 0;
    for (const section of Array.from(article!.querySelectorAll<HTMLElement>('section.source[data-source]'))) {
      const list = section.querySelector<HTMLElement>('ul.items');
      const items = list ? Array.from(list.querySelectorAll<HTMLElement>(':scope > li.res')) : [];
      let visible = 0;
      for (const li of items) {
        const ok = (!source || section.dataset.source === source) && matches(li, want);
        li.hidden = !ok;
        if (ok) visible++;
      }
      total += items.length;
      shown += visible;
      section.hidden = active && visible === 0;
      if (list) for (const li of items.slice().sort(compare(by))) list.append(li);
    }
    for (const p of Array.from(article!.querySelectorAll<HTMLElement>('.empty-sources'))) p.hidden = active;
    if (status) status.textContent = active ? `${shown} of ${total} resources shown.` : by ? `${total} resources, sorted.` : '';
  }

  let pending = false;
  function onChange(): void {
    // Filters apply to every item, so a page with deferred items loads them first.
    if (article!.dataset.details && !pending) {
      pending = true;
      if (status) status.textContent = 'Loading every resource of this page…';
      void loadDetails().then(() => {
        pending = false;
        apply();
      });
      return;
    }
    if (!pending) apply();
  }
  form.addEventListener('change', onChange);
  form.addEventListener('submit', (e) => e.preventDefault());
  form.addEventListener('reset', () => window.setTimeout(onChange, 0));
}
