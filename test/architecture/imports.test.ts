/**
 * Who may import whom in src/ (docs/architecture.md, "Imports"): no import cycles, nothing below
 * the views imports an entry point, connectors stand alone, views neither parse nor query. The
 * graph is read from the files' text (import-graph.ts); small fixture trees prove each rule fails.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, tempDir } from '../helpers.js';
import { cycles, folderOf, importGraph, type ImportEdge, type ImportGraph } from './import-graph.js';

/** Entry points: they wire the rest together and nothing else imports them. */
const ENTRY_POINTS = new Set(['cli', 'server', 'mcp', 'site', 'bench']);
/** Which entry point may use which (the CLI starts the server, the site generator and the MCP server; both servers serve site pages). */
const ENTRY_MAY_USE: Record<string, readonly string[]> = {
  cli: ['server', 'mcp', 'site'],
  server: ['site'],
  // The MCP server reuses the HTTP server's knowledge-base holder and the CLI's listings (see the report's note).
  mcp: ['server', 'cli', 'site'],
  site: [],
  bench: ['cli', 'server', 'mcp', 'site'],
};
/** The bottom: shared vocabulary and helpers that import nothing above them. */
const BOTTOM: Record<string, readonly string[]> = {
  core: ['core'],
  util: ['util', 'core'],
  // attack/read.ts reads a bundle with the connectors' capped reader (sources/lib), the one shared file kit.
  attack: ['attack', 'core', 'util', 'sources/lib'],
};
/** The list of connectors: a connector is a file it imports (a connector's own helper file is not one). */
const REGISTRY = 'sources/registry.ts';
/** What turns upstream files into a knowledge base: never a view's business. */
const BUILD_CODE = /^(kb\/(build|read-sources|parse-[a-z-]+|schema|temp-files|provenance)\.ts|sources\/(?!types\.ts$).+|sync\/.+)$/;
/** kb/ modules a view may take values from: pure helpers that run no query. */
const VIEW_SAFE_KB = new Set(['kb/stack.ts']);

const within = (file: string, area: string) => file === area || file.startsWith(`${area}/`) || folderOf(file) === area;

/**
 * Folders below the entry points that import each other's code (type-only imports aside): the
 * layers then no longer stack. Entry points have their own rule (ENTRY_MAY_USE).
 */
function folderLoops(graph: ImportGraph): string[] {
  const first = new Map<string, ImportEdge>();
  for (const e of graph.edges) {
    const from = folderOf(e.from);
    const to = folderOf(e.to);
    if (e.typeOnly || from === to || ENTRY_POINTS.has(from) || ENTRY_POINTS.has(to)) continue;
    if (!first.has(`${from}>${to}`)) first.set(`${from}>${to}`, e);
  }
  const out: string[] = [];
  for (const [key, e] of first) {
    const [from, to] = key.split('>') as [string, string];
    const back = first.get(`${to}>${from}`);
    if (back && from < to) out.push(`folders import each other: ${from}/ ↔ ${to}/ (${e.from} → ${e.to}; ${back.from} → ${back.to})`);
  }
  return out;
}

/** Every broken rule, one line each. */
export function violations(graph: ImportGraph): string[] {
  const out: string[] = [];
  const say = (e: ImportEdge, why: string) => out.push(`${e.from} → ${e.to}: ${why}`);
  const connectors = new Set(graph.edges.filter((e) => e.from === REGISTRY && /^sources\/[^/]+\.ts$/.test(e.to) && e.to !== 'sources/types.ts').map((e) => e.to));
  const isConnector = (f: string) => connectors.has(f);
  for (const c of cycles(graph)) out.push(`import cycle: ${c.join(' → ')}`);
  out.push(...folderLoops(graph));
  for (const e of graph.edges) {
    const from = folderOf(e.from);
    const to = folderOf(e.to);
    if (from === to) {
      if (isConnector(e.from) && isConnector(e.to)) say(e, 'a connector imports another connector');
      if (isConnector(e.from) && (e.to === REGISTRY || e.to === 'sources/collect.ts')) say(e, 'a connector imports the registry or the collector');
      continue;
    }
    if (ENTRY_POINTS.has(to) && !(ENTRY_MAY_USE[from] ?? []).includes(to)) say(e, `${from}/ may not import the entry point ${to}/`);
    const bottom = BOTTOM[from];
    if (bottom && !bottom.some((area) => within(e.to, area))) say(e, `${from}/ stays at the bottom: it may import ${bottom.join(', ')} only`);
    if (isConnector(e.from) && (to !== 'core' && to !== 'attack' && to !== 'util' && to !== '.')) say(e, 'a connector imports only the contract, its kit, core/, attack/, util/ and resolve.ts');
    if (from === 'render' || from === 'site') {
      if (BUILD_CODE.test(e.to)) say(e, 'a view imports build or parse code');
    }
    if (from === 'render' && to === 'kb' && !e.typeOnly && !VIEW_SAFE_KB.has(e.to)) say(e, 'a view queries the knowledge base (import its types only; the caller reads the data)');
  }
  return out;
}

function tree(files: Record<string, string>): string {
  const root = tempDir('purplebook-imports-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('imports in src/', () => {
  const graph = importGraph(join(REPO, 'src'));

  it('reads the whole tree', () => {
    expect(graph.files.length).toBeGreaterThan(150);
    expect(graph.edges.length).toBeGreaterThan(graph.files.length);
    // A known edge of each kind: a value import across lines, a type-only import, a re-export.
    expect(graph.edges).toContainEqual({ from: 'cli/run.ts', to: 'cli/common.ts', typeOnly: false });
    expect(graph.edges).toContainEqual({ from: 'kb/layer-context.ts', to: 'kb/open.ts', typeOnly: true });
    expect(graph.edges).toContainEqual({ from: 'sources/types.ts', to: 'core/types.ts', typeOnly: false });
    expect(graph.edges.filter((e) => e.from === REGISTRY).length).toBeGreaterThan(20);
  });

  it('has no import cycle and breaks no import rule', () => {
    expect(violations(graph)).toEqual([]);
  });
});

describe('the import rules fail on what they forbid', () => {
  it('finds a cycle, through type-only imports too, and a file importing itself', () => {
    const g = importGraph(tree({
      'a/x.ts': "import { y } from '../b/y.js';\nexport const x = y;\n",
      'b/y.ts': "import type {\n  X,\n} from '../a/z.js';\nexport const y = 1 as unknown as X;\n",
      'a/z.ts': "export type X = number;\nexport { x } from './x.js';\n",
      'c/self.ts': "export * from './self.js';\n",
      'c/lazy.ts': "export const load = () => import('./self.js');\n",
    }));
    expect(cycles(g)).toEqual([['a/x.ts', 'a/z.ts', 'b/y.ts'], ['c/self.ts']]);
    expect(g.edges).toContainEqual({ from: 'b/y.ts', to: 'a/z.ts', typeOnly: true });
    expect(g.edges).toContainEqual({ from: 'c/lazy.ts', to: 'c/self.ts', typeOnly: false });
  });

  it('names each forbidden import', () => {
    const g = importGraph(tree({
      'cli/main.ts': 'export {};\n',
      'site/page.ts': "import { build } from '../kb/build.js';\nexport const page = build;\n",
      'kb/build.ts': "import { main } from '../cli/main.js';\nexport const build = main;\n",
      'kb/open.ts': 'export class KnowledgeBase {}\n',
      'render/view.ts': "import { KnowledgeBase } from '../kb/open.js';\nexport const v = KnowledgeBase;\n",
      'sources/types.ts': 'export type Source = object;\n',
      'sources/sigma.ts': "import type { Source } from './types.js';\nimport { elastic } from './elastic.js';\nexport const sigma: Source = elastic;\n",
      'sources/elastic.ts': "import { terms } from './elastic-terms.js';\nexport const elastic = terms;\n",
      'sources/elastic-terms.ts': 'export const terms = {};\n',
      'sources/collect.ts': 'export const collect = 1;\n',
      'sources/splunk.ts': "import { collect } from './collect.js';\nimport { build } from '../kb/build.js';\nexport const splunk = [collect, build];\n",
      'sources/registry.ts': "import { sigma } from './sigma.js';\nimport { elastic } from './elastic.js';\nimport { splunk } from './splunk.js';\nexport const ALL = [sigma, elastic, splunk];\n",
      'core/types.ts': "import type { Source } from '../sources/types.js';\nexport type S = Source;\n",
    }));
    expect(violations(g)).toEqual([
      'core/types.ts → sources/types.ts: core/ stays at the bottom: it may import core only',
      'kb/build.ts → cli/main.ts: kb/ may not import the entry point cli/',
      'render/view.ts → kb/open.ts: a view queries the knowledge base (import its types only; the caller reads the data)',
      'site/page.ts → kb/build.ts: a view imports build or parse code',
      'sources/sigma.ts → sources/elastic.ts: a connector imports another connector',
      'sources/splunk.ts → sources/collect.ts: a connector imports the registry or the collector',
      'sources/splunk.ts → kb/build.ts: a connector imports only the contract, its kit, core/, attack/, util/ and resolve.ts',
    ]);
  });

  it('finds two folders importing each other, not through type-only imports', () => {
    const g = importGraph(tree({
      'render/view.ts': "import { cells } from '../results/cells.js';\nexport const view = cells;\n",
      'render/csv.ts': 'export const csv = 1;\n',
      'results/cells.ts': "import { csv } from '../render/csv.js';\nexport const cells = csv;\n",
      'coverage/report.ts': "import type { Sheet } from '../results/sheet.js';\nexport type Report = Sheet;\n",
      'results/sheet.ts': 'export type Sheet = { rows: number };\n',
      'results/plan-sheet.ts': "import type { Plan } from '../coverage/plan.js';\nexport type PlanSheet = { plan?: Plan };\n",
      'coverage/plan.ts': 'export type Plan = { tests: number };\n',
    }));
    expect(violations(g)).toEqual(['folders import each other: render/ ↔ results/ (render/view.ts → results/cells.ts; results/cells.ts → render/csv.ts)']);
  });

  it('refuses an import of a file that is not there rather than skipping it', () => {
    expect(() => importGraph(tree({ 'a.ts': "import { b } from './b.js';\n" }))).toThrow('a.ts: imports ./b.js, which is not a file of the tree');
  });
});
