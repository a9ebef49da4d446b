/**
 * The site's only script, for the browser. `purplebookClient` is serialized with
 * Function.prototype.toString into assets/purplebook.js, so it must stay self-contained: no
 * imports (but of types), no reference to anything outside its body; the search ranking, shared
 * with the CLI and the API, is serialized beside it and handed in as `createSearch`, with
 * `searchPieces` and `assembleSearchIndex` (search-assemble.ts) that choose and join the index's
 * pieces for it. It builds DOM with textContent only (never innerHTML) and needs neither eval nor
 * inline code, so it runs under a strict CSP.
 */
import type { createSearch as CreateSearch, SearchIndex } from '../search/rank.js';
import type { assembleSearchIndex as AssembleSearchIndex, searchPieces as SearchPiecesOf, SearchPieces } from './search-assemble.js';
import type { CountFile, ResourceShard, SearchList, WordFile } from './search-files.js';

export function purplebookClient(createSearch: typeof CreateSearch, assembleSearchIndex: typeof AssembleSearchIndex, searchPieces: typeof SearchPiecesOf): void {
  interface MatrixMeasure { id: string; label: string; kind: 'count' | 'class' | 'outcome'; edges: number[]; legend: { label: string; key: string }[]; short?: string[] }
  interface MatrixData { defaultMeasure: string; measures: MatrixMeasure[]; values: Record<string, number[]> }
  interface Hit { href: string; title: string; detail: string }

  const globals = window as unknown as {
    PURPLEBOOK_MATRIX?: MatrixData; PURPLEBOOK_SEARCH_TECHNIQUES?: SearchList;
    PURPLEBOOK_SEARCH_SHARDS?: Record<string, ResourceShard>; PURPLEBOOK_SEARCH_WORDS?: Record<string, WordFile>;
    PURPLEBOOK_SEARCH_COUNTS?: Record<string, CountFile>;
    PURPLEBOOK_SEARCH_UUIDS?: Record<string, ResourceShard>;
  };
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

  /** A data script (file:// forbids fetch), loaded once; resolves false when it fails. */
  const scripts = new Map<string, Promise<boolean>>();
  function loadScript(src: string): Promise<boolean> {
    let p = scripts.get(src);
    if (!p) {
      p = new Promise<boolean>((resolve) => {
        const script = document.createElement('script');
        script.src = src;
        script.addEventListener('load', () => resolve(true));
        script.addEventListener('error', () => resolve(false));
        document.head.append(script);
      });
      scripts.set(src, p);
    }
    return p;
  }

  function stored(key: string): string | null {
    try {
      return localStorage.getItem(key);
    } catch {
      return null;
    }
  }
  function store(key: string, value: string): void {
    try {
      localStorage.setItem(key, value);
    } catch {
      // Storage refused (private mode, file:// policy): the choice lasts for this page only.
    }
  }

  /* ------------------------------------------------------------ theme */

  /** Light or dark: the reader's choice if made, else the system's (prefers-color-scheme, which the stylesheet follows). */
  function initTheme(): void {
    const root = document.documentElement;
    const saved = stored('purplebook-theme');
    if (saved === 'light' || saved === 'dark') root.dataset.theme = saved;
    const button = document.getElementById('theme-toggle') as HTMLButtonElement | null;
    if (!button) return;
    const dark = () => root.dataset.theme === 'dark' || (root.dataset.theme !== 'light' && matchMedia('(prefers-color-scheme: dark)').matches);
    const label = () => {
      button.setAttribute('aria-pressed', String(dark()));
      button.textContent = dark() ? 'Light mode' : 'Dark mode';
    };
    button.hidden = false;
    label();
    button.addEventListener('click', () => {
      root.dataset.theme = dark() ? 'light' : 'dark';
      store('purplebook-theme', root.dataset.theme);
      label();
    });
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', label);
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
        // Outcome measures (results) carry their own keys and words, indexed by the value.
        const key = m.kind === 'outcome' ? m.legend[value]?.key ?? '' : m.kind === 'class' ? `v${value}` : countKey(value, m.edges);
        cell.dataset.c = key;
        const score = cell.querySelector(':scope > .score');
        if (!score) continue;
        score.setAttribute('title', m.kind === 'outcome' ? m.legend[value]?.label ?? '' : m.kind === 'class' ? CLASS_LONG[value] ?? '' : `${value} ${m.label.toLowerCase()}`);
        const label = score.querySelector('.mlabel');
        const val = score.querySelector('.val');
        if (label) label.textContent = m.label;
        if (val) val.textContent = m.kind === 'outcome' ? m.short?.[value] ?? '' : m.kind === 'class' ? CLASS_SHORT[value] ?? '' : String(value);
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

    // Compact columns fit the whole matrix on a laptop screen; wide ones show names on fewer lines.
    const matrix = document.querySelector<HTMLElement>('.matrix');
    const density = document.getElementById('matrix-density') as HTMLButtonElement | null;
    if (matrix && density) {
      const set = (compact: boolean) => {
        matrix.classList.toggle('compact', compact);
        density.setAttribute('aria-pressed', String(compact));
      };
      set(stored('purplebook-matrix') !== 'wide');
      density.hidden = false;
      density.addEventListener('click', () => {
        const compact = !matrix.classList.contains('compact');
        set(compact);
        store('purplebook-matrix', compact ? 'compact' : 'wide');
      });
    }
  }

  /* ------------------------------------------------------------ search */

  function initSearch(): void {
    const form = document.getElementById('search-form') as HTMLFormElement | null;
    const input = document.getElementById('search-input') as HTMLInputElement | null;
    const list = document.getElementById('search-results');
    const status = document.getElementById('search-status');
    if (!form || !input || !list || !status) return;
    const MAX = 50;
    const KIND_LABEL: Record<string, string> = { rule: 'detection rule', test: 'test', control: 'control' };
    const dataBase = form.dataset.index ?? `${base}data/`;
    let techniques: SearchList | undefined;
    let techniqueName = new Map<string, string>();
    let failed = false;
    /** Rankings by the pieces they were assembled from: the shared ranking over the list plus those pieces. */
    const rankings = new Map<string, { index: SearchIndex; search: ReturnType<typeof createSearch> }>();
    const SHOWN_TECHNIQUES = 3;
    let hits: Hit[] = [];
    let counts = '';
    let active = -1;

    const pageHref = (id: string) => `${base}techniques/${id}${ext}`;
    /** A loaded search file of this build (one of an older build, still cached, is not used). */
    const ofThisBuild = <F extends { build: string }>(files: Record<string, F> | undefined, key: string) => {
      const file = files?.[key];
      return file && file.build === techniques?.build ? file : undefined;
    };
    const shardFor = (key: string) => ofThisBuild(globals.PURPLEBOOK_SEARCH_SHARDS, key);
    const wordsFor = (key: string) => ofThisBuild(globals.PURPLEBOOK_SEARCH_WORDS, key);
    const countsFor = (key: string) => ofThisBuild(globals.PURPLEBOOK_SEARCH_COUNTS, key);
    const uuidsFor = (key: string) => ofThisBuild(globals.PURPLEBOOK_SEARCH_UUIDS, key);
    /** A UUID as the ranking compares ids (search-files.ts isUuidQuery): only a resource with that id can match. */
    const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    /** The ranking's terms of a query (it reads the first 200 characters). */
    const termsOf = createSearch({ sources: [], techniques: [], resources: [], stop: [] }).terms;
    /**
     * What a query needs (search-assemble.ts): one resource file, the description-word and count
     * files of its terms; for a UUID, the resources whose id starts with its first two characters.
     */
    const needs = (query: string, orRequested: boolean): SearchPieces & { uuid?: string } => {
      const q = query.trim();
      if (UUID.test(q)) return { words: [], counts: [], uuid: q.slice(0, 2).toLowerCase() };
      // A file on its way serves as well as a loaded one (no second file while the first loads), but only a loaded one ranks.
      const inHand = (key: string) => shardFor(key) !== undefined || (orRequested && scripts.has(`${dataBase}search/${key}.js`));
      return searchPieces(techniques!, termsOf(query.slice(0, 200)), inHand);
    };

    function load(src: string, loaded: () => boolean): void {
      void loadScript(src).then((ok) => {
        if (!ok || !loaded()) failed = true;
        render();
      });
    }

    /** Loads what the query needs: the technique list first, then its pieces; true when all are here. */
    function ensure(query: string): boolean {
      if (!techniques) {
        void loadScript(`${dataBase}search-techniques.js`).then((ok) => {
          techniques = globals.PURPLEBOOK_SEARCH_TECHNIQUES;
          if (!ok || !techniques) failed = true;
          else techniqueName = new Map(techniques.techniques.map((t) => [t[0], t[1]]));
          render();
        });
        return false;
      }
      const need = needs(query, true);
      let ready = true;
      const want = (file: string, loaded: () => boolean) => {
        if (loaded()) return;
        load(`${dataBase}search/${file}.js`, loaded);
        ready = false;
      };
      const uuid = need.uuid;
      if (uuid && techniques.uuids.includes(uuid)) want(`uuid-${uuid}`, () => uuidsFor(uuid) !== undefined);
      const shard = need.shard;
      if (shard) want(shard, () => shardFor(shard) !== undefined);
      for (const key of need.words) want(`words-${key}`, () => wordsFor(key) !== undefined);
      for (const key of need.counts) want(`counts-${key}`, () => countsFor(key) !== undefined);
      return ready;
    }

    /** The shared ranking (search/rank.ts) over the list and the loaded pieces the query needs: the order of the whole index. */
    function rankingFor(query: string) {
      const need = needs(query, false);
      const uuidKey = need.uuid && uuidsFor(need.uuid) ? need.uuid : '';
      const shardKey = need.shard && shardFor(need.shard) ? need.shard : '';
      const wordKeys = need.words.filter((k) => wordsFor(k));
      const countKeys = need.counts.filter((k) => countsFor(k));
      const key = uuidKey ? `uuid-${uuidKey}` : `${shardKey}|${wordKeys.join(' ')}|${countKeys.join(' ')}`;
      let r = rankings.get(key);
      if (!r) {
        const resources = uuidKey ? uuidsFor(uuidKey) : shardKey ? shardFor(shardKey) : undefined;
        const index = assembleSearchIndex(techniques!, resources, wordKeys.map((k) => wordsFor(k)!), countKeys.map((k) => countsFor(k)!));
        r = { index, search: createSearch(index) };
        // Each ranking holds its pieces' words: keep the few a reader is moving between.
        if (rankings.size >= 8) rankings.clear();
        rankings.set(key, r);
      }
      return r;
    }

    /** Every hit of the shared ranking, best first, as links. */
    function find(query: string): Hit[] {
      if (!techniques || !query.trim()) return [];
      const { index, search } = rankingFor(query);
      const result = search.search(query.slice(0, 200));
      const c = result.counts;
      const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
      counts = `${plural(c.technique, 'technique')}, ${plural(c.rule, 'rule')}, ${plural(c.test, 'test')}, ${plural(c.control, 'control')}`;
      return result.hits.map((h): Hit => {
        if (h.group === 'technique') {
          const t = index.techniques[h.index]!;
          const state = t[3] === 'active' ? '' : ` (${t[3]})`;
          return { href: pageHref(t[0]), title: `${t[0]}: ${t[1]}`, detail: `${t[2]} technique${state}` };
        }
        const r = index.resources[h.index]!;
        const ids = r[3].split(' ');
        const source = index.sources[r[1]];
        const named = ids.slice(0, SHOWN_TECHNIQUES).map((id) => `${id} ${techniqueName.get(id) ?? ''}`.trim()).join(', ');
        const more = ids.length > SHOWN_TECHNIQUES ? ` and ${ids.length - SHOWN_TECHNIQUES} more` : '';
        return { href: `${pageHref(ids[0]!)}#source-${source?.[0] ?? ''}`, title: r[0], detail: `${KIND_LABEL[h.group] ?? h.group} · ${source?.[1] ?? ''} → ${named}${more}` };
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
      const q = input!.value.trim();
      const ready = !q || ensure(q);
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
      const counted = `${all.length} result${all.length === 1 ? '' : 's'} (${counts})${all.length > MAX ? `, showing the first ${MAX}` : ''}`;
      status!.textContent = !q ? '' : failed ? 'The search index could not be loaded.'
        : !ready ? (all.length ? `${counted}; loading the rest of the index…` : 'Loading the search index…')
          : all.length === 0 ? 'No results.' : `${counted}.`;
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

  initTheme();
  if (body.dataset.page === 'matrix') initMatrix();
  else if (body.dataset.page === 'search') initSearch();
}
