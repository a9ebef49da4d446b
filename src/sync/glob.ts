/** Repository-relative globs (`rules/**\/*.yml`, `atomics/T*\/T*.yaml`, `{a,b}`) as anchored regexes. */

function escapeChar(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

/** Translate one glob to a regex source (no anchors). `**` spans folders; `*` and `?` stay inside one name. */
function globSource(glob: string): string {
  let out = '';
  let i = 0;
  let braces = 0;
  while (i < glob.length) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const slashAfter = glob[i + 2] === '/';
        if (atStart && slashAfter) {
          out += '(?:[^/]+/)*'; // `**/`: zero or more whole folders
          i += 3;
          continue;
        }
        out += '.*';
        i += 2;
        continue;
      }
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) out += '\\[';
      else {
        let body = glob.slice(i + 1, close);
        const negate = body.startsWith('!') || body.startsWith('^');
        if (negate) body = body.slice(1);
        out += `[${negate ? '^/' : ''}${body.replace(/\\/g, '\\\\').replace(/]/g, '\\]')}]`;
        i = close + 1;
        continue;
      }
    } else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) {
      out += '|';
    } else out += escapeChar(c);
    i++;
  }
  if (braces > 0) throw new Error(`unbalanced "{" in glob "${glob}"`);
  return out;
}

/** A predicate true for repository paths matched by any of the globs. */
export function globMatcher(globs: readonly string[]): (path: string) => boolean {
  if (!globs.length) return () => false;
  const re = new RegExp(`^(?:${globs.map((g) => globSource(g.replace(/^\.?\/+/, ''))).join('|')})$`);
  return (path) => re.test(path);
}
