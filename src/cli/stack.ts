/** `--stack`: the control stack option every counting command shares. */
import type { Command } from 'commander';
import type { KnowledgeBase } from '../kb/open.js';
import { loadStacks, resolveStack, stackableSources, StackError, type Stack } from '../kb/stack.js';
import { CliError, EXIT_BAD_INPUT } from './common.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function withStackOption(cmd: Command): Command {
  return cmd.option('--stack <sources>',
    'control stack: count only these sources (comma-separated or repeated), or a stack named in purplebook.config.json ("stacks")', collect);
}

/** The stack the user named, or undefined without `--stack`; an unknown source or stack name exits 2 listing the valid ones. */
export function stackOf(kb: KnowledgeBase, raw: string[] | undefined): Stack | undefined {
  if (raw === undefined) return undefined;
  try {
    return resolveStack(raw, stackableSources(kb), loadStacks().stacks);
  } catch (e) {
    if (e instanceof StackError) throw new CliError(`--stack: ${e.message}`, EXIT_BAD_INPUT);
    throw e;
  }
}
