/**
 * The import graph of a TypeScript tree, read from the text of its files: every relative
 * `import … from`, `export … from`, side-effect `import '…'` and `import('…')`, type-only ones
 * included (a type import still ties two modules together). One pass of simple regular
 * expressions per file, no parser: fast and linear, and the rules in imports.test.ts need no more.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';

export interface ImportEdge {
  /** Importing file, relative to the root, with forward slashes: `render/layer.ts`. */
  from: string;
  /** Imported file, the same way (`.js` specifiers mapped to the `.ts` file). */
  to: string;
  /** True when every import of this specifier in the file is `import type` / `export type`. */
  typeOnly: boolean;
}

export interface ImportGraph {
  files: string[];
  edges: ImportEdge[];
}

// `from '…'` ends every static import and re-export with a specifier, on whichever line it stands.
const FROM = /\bfrom\s*['"]([^'"\n]+)['"]/g;
const SIDE_EFFECT = /^\s*import\s*['"]([^'"\n]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g;
// The statement a `from` belongs to starts at the last `import`/`export` before it.
const STATEMENT_START = /\b(?:import|export)\s+(type\s+)?/g;

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTs(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const toPosix = (p: string) => p.split(sep).join('/');

/** Whether the statement that ends at `index` is type-only: the last `import`/`export` keyword before it says. */
function typeOnlyAt(text: string, index: number): boolean {
  const head = text.slice(Math.max(0, index - 4000), index);
  let typeOnly = false;
  for (const m of head.matchAll(STATEMENT_START)) typeOnly = m[1] !== undefined;
  return typeOnly;
}

export function importGraph(root: string): ImportGraph {
  const files = listTs(root).map((f) => toPosix(relative(root, f))).sort();
  const known = new Set(files);
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    const found = new Map<string, boolean>();
    const add = (spec: string, typeOnly: boolean) => {
      if (!spec.startsWith('.')) return;
      const to = posix.normalize(posix.join(posix.dirname(file), spec.replace(/\.js$/, '.ts')));
      if (!known.has(to)) throw new Error(`${file}: imports ${spec}, which is not a file of the tree`);
      found.set(to, (found.get(to) ?? true) && typeOnly);
    };
    for (const m of text.matchAll(FROM)) add(m[1]!, typeOnlyAt(text, m.index));
    for (const m of text.matchAll(SIDE_EFFECT)) add(m[1]!, false);
    for (const m of text.matchAll(DYNAMIC)) add(m[1]!, false);
    for (const [to, typeOnly] of found) edges.push({ from: file, to, typeOnly });
  }
  return { files, edges };
}

/** Strongly connected components with more than one file (or a file importing itself): each is an import cycle. */
export function cycles(graph: ImportGraph): string[][] {
  const next = new Map<string, string[]>(graph.files.map((f) => [f, []]));
  for (const e of graph.edges) next.get(e.from)!.push(e.to);
  // Tarjan's algorithm, iterative so a deep tree cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let counter = 0;
  for (const start of graph.files) {
    if (index.has(start)) continue;
    const work: { node: string; i: number }[] = [{ node: start, i: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const top = work[work.length - 1]!;
      const targets = next.get(top.node)!;
      if (top.i < targets.length) {
        const to = targets[top.i++]!;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, i: 0 });
        } else if (onStack.has(to)) {
          low.set(top.node, Math.min(low.get(top.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1]!.node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) === index.get(top.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== top.node);
        if (component.length > 1 || targets.includes(top.node)) out.push(component.sort());
      }
    }
  }
  return out;
}

/** Top folder of a file under the root (`render`), or `.` for a file at the root. */
export const folderOf = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '.');
