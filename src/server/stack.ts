/** The `stack` parameter every counting route shares (query or body): a control stack, or a 400 that lists the valid names. */
import type { KnowledgeBase } from '../kb/open.js';
import { resolveStack, stackableSources, StackError, type NamedStacks, type Stack } from '../kb/stack.js';
import { HttpError } from './http.js';

/** The stack a query names, or undefined without one; unknown names are a 400 that lists the valid ones. */
export function stackFromQuery(kb: KnowledgeBase, raw: string[] | undefined, named: NamedStacks): Stack | undefined {
  if (!raw?.length) return undefined;
  try {
    return resolveStack(raw, stackableSources(kb), named);
  } catch (e) {
    if (e instanceof StackError) throw new HttpError(400, `stack: ${e.message}`);
    throw e;
  }
}
