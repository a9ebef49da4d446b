/**
 * The site's only script, for the browser. `purplebookClient` is serialized with
 * Function.prototype.toString into assets/purplebook.js, so it must stay self-contained: no
 * imports (but of types), no reference to anything outside its body; the search ranking, shared
 * with the CLI and the API, is serialized beside it and handed in as `createSearch`. It builds
 * DOM with textContent only (never innerHTML) and needs neither eval nor inline code, so it runs
 * under a strict CSP.
 */
import type { createSearch as CreateSearch, SearchIndex } from '../search/rank.js';

export function purplebookClient(createSearch: typeof CreateSearch): void {
  interface MatrixMeasure { id: string; label: string; kind: 'count' | 'class'; edges: number[]; legend: { label: string; key: string }[] }
  interface MatrixData { defaultMeasure: string; measures: MatrixMeasure[]; values: Record<string, number[]> }
  interface Hit { href: string; title: string; detail: string }

  const globals = window as unknown as { PURPLEBOOK_MATRIX?: MatrixData; PURPLEBOOK_SEARCH?: SearchIndex };
  const body = document.body;
  const ext = body.dataset.ext ?? '';
  const base = body.dataset.base ?? '';
  const CLASS_SHORT = ['none', 'test', 'detect', 'both'];
  const CLASS_LONG = ['neither', 'testable, no public detection', 'detectable, no public test', 'testable and detectable'];
  const COUNT_LEVELS = 6;

  function el(tag: string, className?: string, text?: string): HTMLElement {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* ------------------------------------------------------------ matrix */

  function countKey(value: number, edges: number[]): string {
    let level = 0;
    for (const e of edges) if (value >= e) level++;
    return level === 0 ? 'm0' : `m${COUNT_LEVELS - 1 - (edges.length - level)}`;
  }

  function initMatrix(): void {
    const data = globals.PURPLEBOOK_MATRIX;
    const select = document.getElementById('measure') as HTMLSelectElement | null;
    if (!data || !select) return;
    const cells = Array.from(document.querySelectorAll<HTMLElement>('li.cell[data-tid]'));
    const legend = document.getElementById('legend');
    const legendName = document.getElementById('legend-measure');
    const layerLink = document.getElementById('layer-link') as HTMLAnchorElement | null;

    function apply(id: string): void {
      const index = data!.measures.findIndex((m) => m.id === id);
      if (index < 0) return;
      const m = data!.measures[index]!;
      for (const cell of cells) {
        const value = data!.values[cell.dataset.tid ?? '']?.[index] ?? 0;
        const key = m.kind === 'class' ? `v${value}` : countKey(value, m.edges);
        cell.dataset.c = key;
        const score = cell.querySelector(':scope > .score');
        if (!score) continue;
        score.setAttribute('title', m.kind === 'class' ? CLASS_LONG[value] ?? '' : `${value} ${m.label.toLowerCase()}`);
        const label = score.querySelector('.mlabel');
        const val = score.querySelector('.val');
        if (label) label.textContent = m.label;
        if (val) val.textContent = m.kind === 'class' ? CLASS_SHORT[value] ?? '' : String(value);
      }
      if (legend) {
        legend.replaceChildren(...m.legend.map((entry) => {
          const li = el('li');
          const swatch = el('span', 'swatch');
          swatch.dataset.c = entry.key;
          li.append(swatch, document.createTextNode(entry.label));
          return li;
        }));
      }
      if (legendName) legendName.textContent = m.label;
      if (layerLink) {
        const available = (layerLink.dataset.measures ?? '').split(' ').includes(m.id);
        layerLink.hidden = !available;
        if (available) layerLink.href = base + (layerLink.dataset.href ?? '').replace('{measure}', m.id);
      }
    }

    const fromHash = /(?:^#|&)measure=([\w.-]+)/.exec(location.hash)?.[1];
    if (fromHash && data.measures.some((m) => m.id === fromHash)) select.value = fromHash;
    apply(select.value);
    select.addEventListener('change', () => {
      apply(select.value);
      try {
        history.replaceState(null, '', `#measure=${select.value}`);
      } catch {
        // Some file:// setups refuse history changes; the colours changed anyway.
      }
    });
    document.getElementById('matrix-controls')?.addEventListener('submit', (e) => e.preventDefault());
  }

  /* ------------------------------------------------------------ search */

  function initSearch(): void {
    const data = globals.PURPLEBOOK_SEARCH;
    const form = document.getElementById('search-form') as HTMLFormElement | null;
    const input = document.getElementById('search-input') as HTMLInputElement | null;
    const list = document.getElementById('search-results');
    const status = document.getElementById('search-status');
    if (!data || !form || !input || !list || !status) return;
    const MAX = 50;
    const techniqueName = new Map(data.techniques.map((t) => [t[0], t[1]]));
    const ranking = createSearch(data);
    const KIND_LABEL: Record<string, string> = { rule: 'detection rule', test: 'test', control: 'control' };
    let hits: Hit[] = [];
    let counts = '';
    let active = -1;

    const pageHref = (id: string) => `${base}techniques/${id}${ext}`;

    /** Every hit of the shared ranking (search/rank.ts), best first, as links. */
    function find(query: string): Hit[] {
      const result = ranking.search(query.slice(0, 200));
      const c = result.counts;
      const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
      counts = `${plural(c.technique, 'technique')}, ${plural(c.rule, 'rule')}, ${plural(c.test, 'test')}, ${plural(c.control, 'control')}`;
      return result.hits.map((h): Hit => {
        if (h.group === 'technique') {
          const t = data!.techniques[h.index]!;
          const status = t[3] === 'active' ? '' : ` (${t[3]})`;
          return { href: pageHref(t[0]), title: `${t[0]}: ${t[1]}`, detail: `${t[2]} technique${status}` };
        }
        const r = data!.resources[h.index]!;
        const techniques = r[3].split(' ');
        const first = techniques[0]!;
        const source = data!.sources[r[1]];
        const named = techniques.slice(0, 3).map((id) => `${id} ${techniqueName.get(id) ?? ''}`.trim()).join(', ');
        const more = techniques.length > 3 ? ` and ${techniques.length - 3} more` : '';
        return { href: `${pageHref(first)}#source-${source?.[0] ?? ''}`, title: r[0], detail: `${KIND_LABEL[h.group] ?? h.group} · ${source?.[1] ?? ''} → ${named}${more}` };
      });
    }

    function setActive(i: number): void {
      const options = list!.querySelectorAll<HTMLElement>('[role="option"]');
      options.forEach((o, j) => o.setAttribute('aria-selected', String(j === i)));
      active = i;
      const current = options[i];
      if (current) {
        input!.setAttribute('aria-activedescendant', current.id);
        current.scrollIntoView({ block: 'nearest' });
      } else input!.removeAttribute('aria-activedescendant');
    }

    function render(): void {
      const all = find(input!.value);
      hits = all.slice(0, MAX);
      list!.replaceChildren(...hits.map((h, i) => {
        const li = el('li');
        li.id = `result-${i}`;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        const a = el('a', 'title', h.title) as HTMLAnchorElement;
        a.href = h.href;
        a.tabIndex = -1;
        li.append(a, el('span', 'detail', h.detail));
        return li;
      }));
      input!.setAttribute('aria-expanded', String(hits.length > 0));
      active = -1;
      input!.removeAttribute('aria-activedescendant');
      const q = input!.value.trim();
      status!.textContent = !q ? '' : all.length === 0 ? 'No results.'
        : `${all.length} result${all.length === 1 ? '' : 's'} (${counts})${all.length > MAX ? `, showing the first ${MAX}` : ''}.`;
    }

    function open(i: number): void {
      const hit = hits[i];
      if (hit) location.href = hit.href;
    }

    input.addEventListener('input', render);
    input.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        if (hits.length) setActive((active + 1) % hits.length);
      } else if (e.key === 'ArrowUp') {
        e.preventDefault();
        if (hits.length) setActive(active <= 0 ? hits.length - 1 : active - 1);
      } else if (e.key === 'Escape') {
        input.value = '';
        render();
      }
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      open(active >= 0 ? active : 0);
    });
    const q = new URLSearchParams(location.search).get('q');
    if (q) {
      input.value = q.slice(0, 200);
      render();
    }
    input.focus();
  }

  if (body.dataset.page === 'matrix') initMatrix();
  else if (body.dataset.page === 'search') initSearch();
}
