/**
 * Sigma rules, one per file or several in a rule collection (`action: global|reset|repeat`
 * documents), read with the Sigma connector's own helpers so that an own rule and a SigmaHQ rule
 * are understood the same way: ATT&CK ids from `tags: attack.tNNNN[.NNN]`, `status: deprecated`.
 */
import { isRecord } from '../../sources/lib/documents.js';
import { parseYamlDocuments, reason } from '../../sources/lib/parse.js';
import { sigmaCollection, sigmaTags } from '../../sources/sigma.js';
import { str, titleText, uniqueIds, type FormatContext, type RuleDraft } from './common.js';

export function readSigma(text: string, ctx: FormatContext): RuleDraft[] {
  let docs: unknown[];
  try {
    docs = parseYamlDocuments(text, ctx.limits);
  } catch (e) {
    ctx.warn(`Sigma YAML: ${reason(e)}`);
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
    out.push({
      ...(id ? { id } : {}),
      title,
      deprecated: str(doc.status)?.toLowerCase() === 'deprecated',
      techniqueIds: uniqueIds(ids, ctx, which(docNumber)),
    });
  }
  return out;
}
