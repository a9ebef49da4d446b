/**
 * Sigma rules, one per file or several in a rule collection (`action: global|reset|repeat`
 * documents), read with the Sigma connector's own helpers so that an own rule and a SigmaHQ rule
 * are understood the same way: ATT&CK ids from `tags: attack.tNNNN[.NNN]`, `status: deprecated`.
 * A correlation rule (`correlation:` instead of `detection:`) keeps the ids or names of the rules
 * it correlates (`correlation.rules`); the set-wide step gives it their techniques when it has none.
 */
import { isRecord } from '../../sources/lib/documents.js';
import { parseProblem, parseYamlDocuments } from '../../sources/lib/parse.js';
import { sigmaCollection, sigmaTags } from '../../sources/sigma.js';
import { str, titleText, uniqueIds, type FormatContext, type RuleDraft } from './common.js';

/** `correlation.rules`: one rule id or name, or a list of them. */
function correlatedRules(v: unknown): string[] {
  const list = Array.isArray(v) ? v : [v];
  return [...new Set(list.map(str).filter((x): x is string => !!x))];
}

export function readSigma(text: string, ctx: FormatContext): RuleDraft[] {
  let docs: unknown[];
  try {
    docs = parseYamlDocuments(text, ctx.limits);
  } catch (e) {
    ctx.warn(`Sigma YAML: ${parseProblem(e)}`);
    return [];
  }
  const several = docs.length > 1;
  const which = (n: number) => (several ? `document ${n}` : 'the document');
  const out: RuleDraft[] = [];
  for (const { docNumber, doc } of sigmaCollection(docs, (n, problem) => ctx.warn(`${which(n)} ${problem}`))) {
    const title = titleText(doc.title);
    if (!title || (!isRecord(doc.detection) && !isRecord(doc.correlation))) {
      ctx.warn(`${which(docNumber)} is not a Sigma rule: it has no ${title ? '`detection` mapping' : '`title`'}`);
      continue;
    }
    let ids: string[] = [];
    if (Array.isArray(doc.tags)) ids = sigmaTags(doc.tags).techniques;
    else if (doc.tags !== undefined && doc.tags !== null) ctx.warn(`${which(docNumber)}: \`tags\` is not a list: no ATT&CK ids read`);
    const id = str(doc.id);
    const name = str(doc.name);
    const correlates = isRecord(doc.correlation) ? correlatedRules(doc.correlation.rules) : [];
    if (isRecord(doc.correlation) && !correlates.length) ctx.warn(`${which(docNumber)}: correlation rule with no \`correlation.rules\` list: no rule to take techniques from`);
    out.push({
      ...(id ? { id } : {}),
      ...(name ? { name } : {}),
      ...(correlates.length ? { correlates } : {}),
      title,
      deprecated: str(doc.status)?.toLowerCase() === 'deprecated',
      techniqueIds: uniqueIds(ids, ctx, which(docNumber)),
    });
  }
  return out;
}
