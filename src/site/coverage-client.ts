/**
 * The coverage page's script (server only). Like the site script it is serialized with
 * Function.prototype.toString into assets/coverage.js, so it must stay self-contained: no
 * imports, nothing from outside its body. Rule files are read with the File API and sent as JSON;
 * every answer is rendered with textContent (rule titles and file names are untrusted), and links
 * are made only from http(s) URLs.
 */
export function coverageClient(): void {
  interface Actor { id: string; kind: 'group' | 'software' | 'campaign'; name: string; aliases: string[]; matched?: string; techniques: number }
  interface TextFile { name: string; content: string }
  interface SourceCount { source: string; title: string; count: number }
  interface OwnRuleRef { key: string; file: string; title: string }
  interface CoverageTechnique {
    id: string; name: string; tactics: string[]; status: 'covered' | 'partial' | 'gap'; ownRules: OwnRuleRef[]; ownViaSubtechniques: number;
    threats: string[]; detections: SourceCount[]; tests: SourceCount[]; detectionVolume: number; testVolume: number; validation: string; priority?: number;
  }
  interface Report {
    domain: string; threats?: { id: string; name: string; kind: string; techniques: number }[];
    techniques: CoverageTechnique[]; gaps: string[];
    summary: { total: number; covered: number; partial: number; gaps: number; byTactic: { id: string; name: string; total: number; covered: number; partial: number }[] };
    rules: {
      total: number; files: number; deprecated: number; mapped: number; inScope: number; unmapped: { file: string; title: string }[];
      idsNotCounted?: { file: string; title: string }[]; skipped?: { file: string; reason: string; detail?: string }[];
      unknownIds: { file: string; raw: string; reason: string }[]; warnings: { file: string; reason: string }[];
    };
  }
  interface PlanItem {
    name?: string; title?: string; source?: string; sourceTitle: string; key?: string; url: string | null; id: string | null; number?: string; platforms?: string[];
    kind?: string; file?: string;
  }
  interface PlanTechnique { id: string; name: string; threats: string[]; tests: PlanItem[]; detections: PlanItem[]; moreDetections: number; controls: PlanItem[]; moreControls: number; publicDetections: number }
  interface Plan {
    title: string; platforms: string[]; tactics: { id: string; name: string; techniques: PlanTechnique[] }[];
    untested: { id: string; name: string }[]; summary: { techniques: number; tested: number; tests: number; withOwnRule: number; withPublicDetection: number };
    /** Controls buildPlan left out: they cannot apply to the chosen platforms. */
    droppedControls?: number;
  }

  const body = document.body;
  if (body.dataset.page !== 'coverage') return;
  const base = body.dataset.base ?? '';
  const ext = body.dataset.ext ?? '';
  const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T | null;
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const form = $<HTMLFormElement>('coverage-form');
  const input = $<HTMLInputElement>('threat-input');
  const options = $('threat-options');
  const chosenList = $('threat-chosen');
  const status = $('coverage-status');
  const rulesStatus = $('rules-status');
  if (!form || !input || !options || !chosenList || !status || !rulesStatus) return;
  const maxBytes = Number(form.dataset.maxBytes) || 5 * 1024 * 1024;
  const MAX_GAPS_SHOWN = 100;
  const KEYS: Record<string, string> = { covered: 'v3', partial: 'v1', gap: 'v0', out: 'm0' };

  function el(tag: string, className?: string, text?: string): HTMLElement {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** A link only for http(s) URLs; anything else (javascript:, data:) stays text. */
  function link(text: string, url: string | null | undefined): HTMLElement {
    if (!url || !/^https?:\/\//i.test(url)) return el('span', undefined, text);
    const a = el('a', undefined, text) as HTMLAnchorElement;
    a.href = url;
    a.rel = 'noopener noreferrer';
    return a;
  }

  function techniqueLink(id: string, name?: string): HTMLAnchorElement {
    const a = el('a', undefined, name ? `${id} ${name}` : id) as HTMLAnchorElement;
    a.href = `${base}techniques/${id}${ext}`;
    return a;
  }

  function say(text: string, error = false): void {
    status!.textContent = text;
    status!.classList.toggle('error', error);
  }

  const kb = (n: number) => (n < 1024 * 1024 ? `${Math.max(1, Math.round(n / 1024))} KB` : `${(n / (1024 * 1024)).toFixed(1)} MB`);

  /* ------------------------------------------------------------ threat picker */

  const chosen: Actor[] = [];
  let matches: Actor[] = [];
  let active = -1;
  let timer = 0;
  let asked = 0;

  function showMatches(list: Actor[]): void {
    matches = list;
    active = -1;
    options!.replaceChildren(...list.map((a, i) => {
      const li = el('li');
      li.id = `threat-opt-${i}`;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', 'false');
      li.dataset.id = a.id;
      li.append(el('span', 'title', `${a.name} (${a.id})`),
        el('span', 'detail', `${a.kind} · ${count(a.techniques, 'technique')}${a.matched ? ` · also known as ${a.matched}` : ''}`));
      // mousedown, not click: the input keeps the focus, so the list does not close first.
      li.addEventListener('mousedown', (e) => {
        e.preventDefault();
        choose(i);
      });
      return li;
    }));
    options!.hidden = !list.length;
    input!.setAttribute('aria-expanded', String(list.length > 0));
    input!.removeAttribute('aria-activedescendant');
  }

  function setActive(i: number): void {
    active = i;
    options!.querySelectorAll('[role="option"]').forEach((o, j) => o.setAttribute('aria-selected', String(j === i)));
    const current = $(`threat-opt-${i}`);
    if (current) {
      input!.setAttribute('aria-activedescendant', current.id);
      current.scrollIntoView({ block: 'nearest' });
    }
  }

  async function lookup(): Promise<void> {
    const q = input!.value.trim();
    const mine = ++asked;
    if (!q) return showMatches([]);
    try {
      const r = await fetch(`${base}api/actors?q=${encodeURIComponent(q)}&limit=12`, { headers: { accept: 'application/json' } });
      const data = r.ok ? (await r.json()) as { hits: Actor[] } : { hits: [] };
      // A slower answer to an older query must not replace a newer one.
      if (mine === asked) showMatches(data.hits);
    } catch {
      if (mine === asked) showMatches([]);
    }
  }

  function renderChosen(): void {
    chosenList!.replaceChildren(...chosen.map((a, i) => {
      const li = el('li', 'chip');
      li.dataset.id = a.id;
      const remove = el('button', 'remove', '×') as HTMLButtonElement;
      remove.type = 'button';
      remove.setAttribute('aria-label', `Remove ${a.name} (${a.id})`);
      remove.addEventListener('click', () => {
        chosen.splice(i, 1);
        renderChosen();
        input!.focus();
      });
      li.append(el('span', undefined, `${a.name} (${a.id}, ${a.kind})`), remove);
      return li;
    }));
  }

  function choose(i: number): void {
    const a = matches[i];
    if (!a) return;
    if (!chosen.some((c) => c.id === a.id)) chosen.push(a);
    // A lookup still on its way (typed before the choice) must not reopen the list.
    window.clearTimeout(timer);
    asked++;
    input!.value = '';
    showMatches([]);
    renderChosen();
    input!.focus();
  }

  input.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void lookup(), 120);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      if (matches.length) setActive((active + 1) % matches.length);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      if (matches.length) setActive(active <= 0 ? matches.length - 1 : active - 1);
    } else if (e.key === 'Enter') {
      // Enter picks a threat; it never submits the form from this field.
      e.preventDefault();
      if (matches.length) choose(active >= 0 ? active : 0);
    } else if (e.key === 'Escape') {
      showMatches([]);
    }
  });
  input.addEventListener('blur', () => window.setTimeout(() => showMatches([]), 150));

  /* ------------------------------------------------------------ files */

  const picked: Record<string, TextFile[]> = { 'rules-files': [], 'rules-folder': [] };
  let techniqueFile: TextFile | undefined;
  let skipped = 0;

  /** Text files of an input; hidden folders (.git), node_modules, binary and over-size files are left out, as the CLI does. */
  async function readFiles(list: FileList | null): Promise<{ files: TextFile[]; skipped: number }> {
    const files: TextFile[] = [];
    let left = 0;
    for (const f of Array.from(list ?? [])) {
      const name = (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
      if (name.split('/').some((seg) => seg.startsWith('.') || seg === 'node_modules') || f.size > maxBytes || f.size === 0) {
        left++;
        continue;
      }
      const content = await f.text();
      if (content.includes('\u0000')) {
        left++;
        continue;
      }
      files.push({ name, content });
    }
    return { files, skipped: left };
  }

  const ruleFiles = () => [...picked['rules-files']!, ...picked['rules-folder']!];

  function describeRules(): void {
    const files = ruleFiles();
    const bytes = files.reduce((n, f) => n + f.content.length, 0);
    const parts = [files.length ? `${files.length} file${files.length === 1 ? '' : 's'} ready (${kb(bytes)})` : 'No rule file chosen.'];
    if (skipped) parts.push(`${skipped} left out (hidden folders, binary, empty or too large)`);
    rulesStatus!.textContent = parts.join('; ');
  }

  for (const id of Object.keys(picked)) {
    const fileInput = $<HTMLInputElement>(id);
    fileInput?.addEventListener('change', () => {
      rulesStatus.textContent = 'Reading…';
      void readFiles(fileInput.files).then((r) => {
        picked[id] = r.files;
        skipped = r.skipped;
        describeRules();
      });
    });
  }
  const techniquesInput = $<HTMLInputElement>('techniques-file');
  techniquesInput?.addEventListener('change', () => {
    const f = techniquesInput.files?.[0];
    if (!f) {
      techniqueFile = undefined;
      return;
    }
    void f.text().then((content) => {
      techniqueFile = { name: f.name, content };
    });
  });

  /* ------------------------------------------------------------ requests */

  /** Threat-profile fields of the request body and the inputs that fill them. */
  const PROFILE_FIELDS = [
    ['motivation', 'profile-motivation'], ['victimIndustry', 'profile-victim-industry'],
    ['victimCountry', 'profile-victim-country'], ['originCountry', 'profile-origin-country'],
  ] as const;

  function request(): Record<string, unknown> {
    const out: Record<string, unknown> = { domain: ($<HTMLSelectElement>('coverage-domain')?.value) || 'enterprise' };
    for (const kind of ['group', 'software', 'campaign'] as const) {
      const ids = chosen.filter((a) => a.kind === kind).map((a) => a.id);
      if (ids.length) out[kind] = ids;
    }
    for (const [field, input] of PROFILE_FIELDS) {
      const words = ($<HTMLInputElement>(input)?.value ?? '').split(',').map((w) => w.trim()).filter(Boolean);
      if (words.length) out[field] = words;
    }
    if (techniqueFile) {
      out.techniqueList = techniqueFile.content;
      out.techniqueListName = techniqueFile.name;
    }
    const files = ruleFiles();
    // No files: the server's own rules folder, if it has one.
    if (files.length) out.rules = files;
    return out;
  }

  async function post(path: string, payload: Record<string, unknown>): Promise<Response> {
    const text = JSON.stringify(payload);
    const size = new Blob([text]).size;
    if (size > maxBytes) throw new Error(`the request is ${kb(size)}, over this server's limit of ${kb(maxBytes)}: choose fewer rule files`);
    const r = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: text });
    if (!r.ok) {
      let message = `${r.status} ${r.statusText}`;
      try {
        message = ((await r.json()) as { message?: string }).message ?? message;
      } catch {
        // Not JSON: keep the status line.
      }
      throw new Error(message);
    }
    return r;
  }

  const buttons = () => Array.from(document.querySelectorAll<HTMLButtonElement>('#coverage-form button, .downloads button'));

  async function busy<T>(what: string, work: () => Promise<T>): Promise<T | undefined> {
    say(what);
    for (const b of buttons()) b.disabled = true;
    try {
      return await work();
    } catch (e) {
      say(`Failed: ${(e as Error).message}`, true);
      return undefined;
    } finally {
      for (const b of buttons()) b.disabled = false;
    }
  }

  function save(blob: Blob, file: string): void {
    const a = el('a') as HTMLAnchorElement;
    a.href = URL.createObjectURL(blob);
    a.download = file;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
  }

  /* ------------------------------------------------------------ coverage */

  let lastCoverage: Record<string, unknown> | undefined;
  let lastPlan: Record<string, unknown> | undefined;

  interface CellStatus { key: string; text: string; title: string }

  function statusText(t: CoverageTechnique | undefined): CellStatus {
    if (!t) return { key: KEYS.out!, text: '–', title: 'not used by the selected threats' };
    if (t.status === 'covered') return { key: KEYS.covered!, text: String(t.ownRules.length), title: `covered by ${t.ownRules.length} own rule${t.ownRules.length === 1 ? '' : 's'}` };
    if (t.status === 'partial') return { key: KEYS.partial!, text: 'sub', title: `partial: ${t.ownViaSubtechniques} own rules on sub-techniques only` };
    return { key: KEYS.gap!, text: 'gap', title: `gap: no own rule (priority ${t.priority ?? '?'})` };
  }

  /** "Only this threat's techniques": cells outside the report, and tactic columns left empty, are hidden. */
  function applyHeatmapFilter(): void {
    const only = !!$<HTMLInputElement>('heatmap-only')?.checked;
    for (const grid of Array.from(document.querySelectorAll<HTMLElement>('.heatmap'))) {
      grid.classList.toggle('only-threat', only);
      for (const column of Array.from(grid.querySelectorAll<HTMLElement>('section.tactic'))) {
        column.hidden = only && !column.querySelector('li.cell:not([data-status="out"])');
      }
    }
  }
  $('heatmap-only')?.addEventListener('change', applyHeatmapFilter);

  /**
   * Shows the heatmap of `domain` among the `selector` grids (the others hidden) and gives each of
   * its cells the colour key, score and tooltip `look` finds for the cell's technique entry.
   */
  function paintCells<T extends { id: string }>(selector: string, domain: string, techniques: T[], look: (t: T | undefined, cell: HTMLElement) => CellStatus): void {
    const byId = new Map(techniques.map((t) => [t.id, t]));
    for (const grid of Array.from(document.querySelectorAll<HTMLElement>(selector))) {
      grid.hidden = grid.dataset.domain !== domain;
      if (grid.hidden) continue;
      for (const cell of Array.from(grid.querySelectorAll<HTMLElement>('li.cell[data-tid]'))) {
        const s = look(byId.get(cell.dataset.tid ?? ''), cell);
        cell.dataset.c = s.key;
        const score = cell.querySelector(':scope > .score');
        score?.setAttribute('title', s.title);
        const val = score?.querySelector('.val');
        if (val) val.textContent = s.text;
      }
    }
  }

  function paintHeatmap(r: Report): void {
    paintCells('.heatmap', r.domain, r.techniques, (t, cell) => {
      cell.dataset.status = t ? t.status : 'out';
      return statusText(t);
    });
    applyHeatmapFilter();
  }

  /** Counts per source as compact chips ("SigmaHQ 12"), a dash when there are none. */
  function chips(list: SourceCount[]): HTMLElement {
    const td = el('td');
    if (!list.length) {
      td.textContent = '–';
      return td;
    }
    const ul = el('ul', 'source-chips');
    ul.append(...list.map((x) => el('li', undefined, `${x.title} ${x.count}`)));
    td.append(ul);
    return td;
  }

  function problems(r: Report): HTMLElement {
    const box = el('div');
    const block = (title: string, items: string[]) => {
      if (!items.length) return;
      const d = el('details');
      d.append(el('summary', undefined, `${title} (${items.length})`));
      const ul = el('ul');
      ul.append(...items.slice(0, 200).map((x) => el('li', undefined, x)));
      if (items.length > 200) ul.append(el('li', undefined, `… and ${items.length - 200} more (download the report)`));
      d.append(ul);
      box.append(d);
    };
    block('Own rules without an ATT&CK technique', r.rules.unmapped.map((u) => `${u.file} — ${u.title}`));
    block('Own rules whose ATT&CK ids did not count', (r.rules.idsNotCounted ?? []).map((u) => `${u.file} — ${u.title}`));
    block('Technique ids that did not count', r.rules.unknownIds.map((u) => `${u.file}: ${u.raw} — ${u.reason}`));
    block('Files skipped', (r.rules.skipped ?? []).map((f) => `${f.file}: ${f.reason}${f.detail ? ` — ${f.detail}` : ''}`));
    block('Rule-file warnings', r.rules.warnings.map((w) => `${w.file}: ${w.reason}`));
    return box;
  }

  /** The rules read, accounted for: read = mapped + without id + deprecated + ids that did not count; files = with rules + skipped. */
  function rulesAccount(x: Report['rules']): string {
    const notCounted = x.idsNotCounted?.length ?? 0;
    const skipped = x.skipped?.length ?? 0;
    return `${x.total} own rules read = ${x.mapped} mapped + ${x.unmapped.length} without ATT&CK id + ${x.deprecated} deprecated + ${notCounted} whose ids did not count; `
      + `${x.files} files = ${x.files - skipped} with rules + ${skipped} skipped. ${x.inScope} of the mapped map to techniques of this report.`;
  }

  function renderReport(r: Report): void {
    const s = r.summary;
    const pct = s.total ? ` (${((100 * s.covered) / s.total).toFixed(1)}%)` : '';
    const who = r.threats?.length ? r.threats.map((t) => (t.kind === 'list' ? t.name : `${t.name} (${t.id})`)).join(', ') : 'every technique of the domain';
    $('coverage-summary')!.textContent = `${who}: ${s.covered} of ${s.total} techniques covered by own rules${pct}, ${s.partial} partially (sub-techniques only), `
      + `${s.gaps} without an own rule. ${rulesAccount(r.rules)}`;
    $('tactic-table')!.querySelector('tbody')!.replaceChildren(...s.byTactic.map((t) => {
      const tr = el('tr');
      const th = el('th', undefined, `${t.name} (${t.id})`);
      th.setAttribute('scope', 'row');
      tr.append(th, el('td', undefined, String(t.covered)), el('td', undefined, String(t.partial)), el('td', undefined, String(t.total)),
        el('td', undefined, t.total ? `${((100 * t.covered) / t.total).toFixed(1)}%` : '–'));
      return tr;
    }));
    paintHeatmap(r);
    const byId = new Map(r.techniques.map((t) => [t.id, t]));
    $('gap-table')!.querySelector('tbody')!.replaceChildren(...r.gaps.slice(0, MAX_GAPS_SHOWN).map((id) => {
      const t = byId.get(id)!;
      const tr = el('tr');
      const name = el('td');
      name.append(techniqueLink(t.id, t.name));
      tr.append(el('td', undefined, String(t.priority ?? '')), name, el('td', undefined, String(t.threats.length)),
        el('td', undefined, t.status === 'partial' ? `partial (${t.ownViaSubtechniques} on sub-techniques)` : '0'),
        chips(t.detections), chips(t.tests), el('td', undefined, t.validation));
      return tr;
    }));
    $('gaps-more')!.textContent = r.gaps.length > MAX_GAPS_SHOWN ? `… and ${r.gaps.length - MAX_GAPS_SHOWN} more: download the CSV or the report for all.` : '';
    const covered = r.techniques.filter((t) => t.status === 'covered');
    $('covered-list')!.replaceChildren(...(covered.length ? covered.map((t) => {
      const li = el('li');
      li.append(techniqueLink(t.id, t.name), document.createTextNode(': '));
      const rules = el('ul');
      rules.append(...t.ownRules.slice(0, 10).map((x) => el('li', 'rule', `${x.title} — ${x.file}`)));
      if (t.ownRules.length > 10) rules.append(el('li', undefined, `… and ${t.ownRules.length - 10} more`));
      li.append(rules);
      return li;
    }) : [el('li', undefined, 'none')]));
    $('rule-problems')!.replaceChildren(problems(r));
    $('coverage-result')!.hidden = false;
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const payload = request();
    void busy('Computing coverage…', async () => {
      const r = (await (await post('api/coverage', { ...payload, format: 'json' })).json()) as Report;
      lastCoverage = payload;
      renderReport(r);
      say(`Coverage computed: ${r.summary.covered} of ${r.summary.total} techniques covered.`);
      $('result-title')?.scrollIntoView({ block: 'start' });
    });
  });

  /** Each download asks the server again with the same request (nothing is kept there between requests). */
  function download(id: string, format: string, file: string, type: string, last: () => Record<string, unknown> | undefined, path = 'api/coverage'): void {
    $(id)?.addEventListener('click', () => {
      const payload = last();
      if (!payload) return;
      void busy(`Preparing ${file}…`, async () => {
        const extra = format === 'layer' ? { pageBase: new URL(base || './', location.href).href } : {};
        const text = await (await post(path, { ...payload, ...extra, format })).text();
        save(new Blob([text], { type }), file);
        say(`Downloaded ${file}.`);
      });
    });
  }
  download('dl-layer', 'layer', 'purplebook-coverage-layer.json', 'application/json', () => lastCoverage);
  download('dl-csv', 'csv', 'purplebook-coverage.csv', 'text/csv', () => lastCoverage);
  download('dl-markdown', 'markdown', 'purplebook-coverage.md', 'text/markdown', () => lastCoverage);
  download('dl-plan', 'markdown', 'purplebook-plan.md', 'text/markdown', () => lastPlan, 'api/plan');

  /* ------------------------------------------------------------ plan */

  /* The plan's ticks live in this browser, per plan (its title) and item: a reload keeps them. */
  let planKey = '';
  let outcome: { technique: string; tactic: string; part: string; item: PlanItem; box: HTMLInputElement }[] = [];
  const tickKey = (technique: string, part: string, it: PlanItem) => `${technique}|${part}|${it.source ?? it.kind ?? ''}|${it.key ?? it.id ?? it.name ?? it.title ?? ''}`;
  function loadTicks(): Record<string, boolean> {
    try {
      return JSON.parse(localStorage.getItem(planKey) ?? '{}') as Record<string, boolean>;
    } catch {
      return {};
    }
  }
  function saveTick(key: string, on: boolean): void {
    const ticks = loadTicks();
    if (on) ticks[key] = true;
    else delete ticks[key];
    try {
      localStorage.setItem(planKey, JSON.stringify(ticks));
    } catch {
      // Storage refused: the tick lasts while the page is open.
    }
  }

  /** Atomic's `T1059.001-3` → 3; tests keep their source order, numbered ones by number. */
  const testNumber = (it: PlanItem) => {
    const n = Number(/-(\d+)$/.exec(it.number ?? '')?.[1]);
    return Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER;
  };
  function orderedTests(tests: PlanItem[]): PlanItem[] {
    const sources = [...new Set(tests.map((t) => t.source ?? t.sourceTitle))];
    return [...tests].sort((a, b) => sources.indexOf(a.source ?? a.sourceTitle) - sources.indexOf(b.source ?? b.sourceTitle) || testNumber(a) - testNumber(b));
  }

  function itemList(title: string, items: PlanItem[], more: number, empty: string, where: { technique: string; tactic: string; part: string }): HTMLElement {
    const box = el('div', 'plan-list');
    box.append(el('h5', undefined, title));
    const ul = el('ul');
    if (!items.length) ul.append(el('li', undefined, empty));
    const ticks = loadTicks();
    for (const it of items) {
      const li = el('li');
      const label = it.kind === 'own' ? `${it.title ?? ''} — ${it.file ?? ''}` : it.name ?? it.title ?? '';
      // VERIS and ATT&CK mitigations often use the id as the name: say it once.
      const ids = [it.number, it.id].filter((x) => x && x !== label).join(' ');
      const key = tickKey(where.technique, where.part, it);
      const check = el('input') as HTMLInputElement;
      check.type = 'checkbox';
      check.checked = !!ticks[key];
      check.setAttribute('aria-label', `done: ${label}`);
      check.addEventListener('change', () => saveTick(key, check.checked));
      outcome.push({ ...where, item: it, box: check });
      li.append(check, document.createTextNode(' '), el('span', 'source', `${it.kind === 'own' ? 'own rule' : it.sourceTitle}${ids ? ` ${ids}` : ''}: `), link(label, it.url));
      if (it.platforms?.length) li.append(document.createTextNode(` (${it.platforms.join(', ')})`));
      ul.append(li);
    }
    if (more) ul.append(el('li', undefined, `… and ${more} more on the technique page`));
    box.append(ul);
    return box;
  }

  function renderPlan(p: Plan): void {
    const s = p.summary;
    planKey = `purplebook-plan:${p.title}`;
    outcome = [];
    $('plan-title')!.textContent = p.title;
    $('plan-summary')!.textContent = `${count(s.techniques, 'technique')} · ${s.tested} with a public test (${count(s.tests, 'test')}) · ${s.withOwnRule} with an own rule · `
      + `${s.withPublicDetection} with a public detection · ${p.untested.length} without a public test`
      + (p.droppedControls ? ` · ${count(p.droppedControls, 'control')} of cloud providers or product vulnerabilities left out: they do not apply to ${p.platforms.join(', ')}` : '');
    const out = $('plan-body')!;
    out.replaceChildren();
    p.tactics.forEach((tac, i) => {
      const section = el('section', 'plan-tactic');
      section.append(el('h3', undefined, `${i + 1}. ${tac.name}${tac.id ? ` (${tac.id})` : ''}`));
      for (const t of tac.techniques) {
        const d = el('details', 'plan-technique');
        d.dataset.tid = t.id;
        const own = t.detections.filter((x) => x.kind === 'own').length;
        const controls = t.controls;
        const summary = el('summary');
        summary.append(el('span', 'tid', t.id), document.createTextNode(` ${t.name} — ${count(t.tests.length, 'test')}, `
          + `${own ? count(own, 'own rule') : count(t.publicDetections, 'public detection')}, ${count(controls.length + t.moreControls, 'control')}`));
        const page = el('p');
        const pageLink = techniqueLink(t.id);
        pageLink.textContent = 'Technique page';
        page.append(pageLink, document.createTextNode(` · used by ${t.threats.join(', ') || '–'}`));
        const where = (part: string) => ({ technique: t.id, tactic: tac.name, part });
        d.append(summary, page,
          itemList('Tests to run', orderedTests(t.tests), 0, 'no public test for these platforms', where('test')),
          itemList(own ? 'Own detections that should fire' : `Public detection candidates (${t.publicDetections} in all)`,
            t.detections, t.moreDetections, 'none: a detection must be written', where('detection')),
          itemList('Controls to check', controls, t.moreControls, 'none listed', where('control')));
        section.append(d);
      }
      out.append(section);
    });
    $('plan-result')!.hidden = false;
  }

  /** The outcome sheet: one CSV row per plan item with its tick, for the exercise report. */
  function outcomeCsv(): string {
    const cell = (v: string) => (/[",\r\n]/.test(v) || /^[=+\-@\t]/.test(v) ? `"${(/^[=+\-@\t]/.test(v) ? `'${v}` : v).replace(/"/g, '""')}"` : v);
    const rows = [['technique', 'tactic', 'part', 'source', 'id', 'name', 'url', 'done']];
    for (const o of outcome) {
      const it = o.item;
      rows.push([o.technique, o.tactic, o.part, it.kind === 'own' ? 'own rule' : it.sourceTitle, [it.number, it.id].filter(Boolean).join(' '),
        it.kind === 'own' ? `${it.title ?? ''} (${it.file ?? ''})` : it.name ?? it.title ?? '', it.url ?? '', o.box.checked ? 'yes' : 'no']);
    }
    return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
  }
  $('dl-outcome')?.addEventListener('click', () => {
    if (!outcome.length) return;
    save(new Blob([outcomeCsv()], { type: 'text/csv' }), 'purplebook-outcome.csv');
    say('Downloaded purplebook-outcome.csv.');
  });

  // Printing the plan shows every technique's lists, not only the summaries.
  window.addEventListener('beforeprint', () => {
    for (const d of Array.from(document.querySelectorAll<HTMLDetailsElement>('details.plan-technique'))) d.open = true;
  });

  /* ------------------------------------------------------------ telemetry */

  interface TelemetryAnswer {
    domain: string;
    techniques: { id: string; name: string; detectable: boolean; runnable: unknown[]; blocked: unknown[]; unknown: unknown[] }[];
    next: { label: string; profileEntry: string; techniques: number; rules: number }[];
    summary: { techniques: number; detectable: number; rules: number; runnable: number; blocked: number; unknown: number };
  }
  const MAX_NEXT_SHOWN = 25;

  $<HTMLInputElement>('telemetry-file')?.addEventListener('change', () => {
    const file = $<HTMLInputElement>('telemetry-file')?.files?.[0];
    const area = $<HTMLTextAreaElement>('telemetry-profile');
    if (!file || !area) return;
    if (file.size > 1024 * 1024) {
      say(`${file.name} is over 1 MB: not a profile`, true);
      return;
    }
    void file.text().then((text) => {
      area.value = text;
    });
  });

  function renderTelemetry(a: TelemetryAnswer): void {
    const section = $('telemetry-result');
    if (!section) return;
    section.hidden = false;
    const s = a.summary;
    const summary = $('telemetry-summary');
    if (summary) {
      summary.textContent = `${s.detectable} / ${s.techniques} techniques detectable with this telemetry. Public rules on these techniques: ${s.rules} = `
        + `${s.runnable} runnable + ${s.blocked} blocked by missing telemetry + ${s.unknown} whose telemetry is unknown.`;
    }
    const tbody = document.querySelector('#telemetry-next tbody');
    if (tbody) {
      tbody.replaceChildren(...a.next.slice(0, MAX_NEXT_SHOWN).map((n, i) => {
        const tr = el('tr');
        const entry = el('td');
        entry.append(el('code', undefined, n.profileEntry));
        tr.append(el('td', undefined, String(i + 1)), el('td', undefined, n.label), entry, el('td', undefined, `+${n.techniques}`), el('td', undefined, `+${n.rules}`));
        return tr;
      }));
    }
    paintCells('.telemetry-heatmap', a.domain, a.techniques, (t) => {
      const n = t?.runnable.length ?? 0;
      return {
        key: !t ? KEYS.out! : n ? 'v3' : t.blocked.length ? 'v1' : 'v0',
        text: !t ? '–' : n ? String(n) : t.blocked.length ? '0' : 'none',
        title: !t ? 'not used by the selected threats' : `${n} runnable, ${t.blocked.length} blocked, ${t.unknown.length} unknown telemetry`,
      };
    });
  }

  $('run-telemetry')?.addEventListener('click', () => {
    const { rules: _rules, ...payload } = request();
    const profile = $<HTMLTextAreaElement>('telemetry-profile')?.value ?? '';
    void busy('Matching your telemetry…', async () => {
      const a = (await (await post('api/telemetry', { ...payload, profile, format: 'json' })).json()) as TelemetryAnswer;
      renderTelemetry(a);
      say(`Telemetry: ${a.summary.detectable} of ${a.summary.techniques} techniques detectable.`);
      $('telemetry-title')?.scrollIntoView({ block: 'start' });
    });
  });

  $('run-plan')?.addEventListener('click', () => {
    const payload = request();
    const platforms = ($<HTMLInputElement>('plan-platforms')?.value ?? '').split(',').map((x) => x.trim()).filter(Boolean);
    if (platforms.length) payload.platforms = platforms;
    void busy('Building the test plan…', async () => {
      const p = (await (await post('api/plan', { ...payload, format: 'json' })).json()) as Plan;
      lastPlan = payload;
      renderPlan(p);
      say(`Test plan built: ${p.summary.techniques} techniques, ${p.summary.tests} tests.`);
      $('plan-title')?.scrollIntoView({ block: 'start' });
    });
  });

  describeRules();
  const serverRules = Number($('server-rules')?.dataset.rules ?? 0);
  if (serverRules) rulesStatus.textContent = `No file chosen: the server's ${serverRules} rules will be used.`;
}
