/**
 * One way to register a tool: read-only, strict input (an unknown field is an error, not ignored),
 * structured output `{data, paging?, notes?}` where `data` is what the CLI's JSON output holds for
 * the same question (its long list sliced to the page), and a short text rendering beside it.
 * Wrong input becomes an MCP tool error with the reason; nothing a client sends can crash the server.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Generation } from '../server/holder.js';
import type { McpContext } from './context.js';
import { isUserError } from './errors.js';
import { pagingLine, type Paging } from './paging.js';

export interface Answer {
  /** The CLI's JSON for the same question; its paged list holds only this page. */
  data: unknown;
  paging?: Paging;
  /** What the reader must know to read `data` right (no own rules loaded, lists cut). */
  notes?: string[];
  /** A short rendering for the model to read. */
  text: string;
}

const pagingSchema = z.object({
  list: z.string(), offset: z.number(), limit: z.number(), requestedLimit: z.number().optional(), returned: z.number(),
  total: z.number().optional(), nextCursor: z.string().optional(),
}).describe('which list of data is paged, and the cursor for its next entries');

const outputSchema = z.object({
  data: z.unknown().describe("the answer: the JSON the purplebook CLI prints for the same question, with the paged list sliced"),
  paging: pagingSchema.optional(),
  notes: z.array(z.string()).optional(),
});

export interface ToolSpec<S extends z.ZodRawShape> {
  title: string;
  description: string;
  input: S;
}

export function toolError(message: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: message }] };
}

export function registerTool<S extends z.ZodRawShape>(server: McpServer, ctx: McpContext, name: string, spec: ToolSpec<S>,
  run: (gen: Generation, args: z.infer<z.ZodObject<S>>) => Answer): void {
  const inputSchema: z.ZodType = z.strictObject(spec.input);
  server.registerTool(name, {
    title: spec.title,
    description: spec.description,
    inputSchema,
    outputSchema,
    annotations: { title: spec.title, readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  }, (args: unknown): CallToolResult => {
    let answer: Answer;
    try {
      // The SDK validated `args` against inputSchema before this call.
      answer = ctx.use((gen) => run(gen, args as z.infer<z.ZodObject<S>>));
    } catch (e) {
      if (isUserError(e)) return toolError(e.message);
      // A bug, not the client's mistake: the stack goes to the server's log, the client gets one line.
      ctx.opts.log?.(`${name} failed: ${(e as Error).stack ?? String(e)}`);
      return toolError(`internal error in ${name}: ${(e as Error).message}`);
    }
    const tail = [...(answer.paging ? [pagingLine(answer.paging)] : []), ...(answer.notes ?? [])];
    return {
      content: [{ type: 'text', text: tail.length ? `${answer.text.trimEnd()}\n\n${tail.join('\n')}\n` : answer.text }],
      structuredContent: {
        data: answer.data, ...(answer.paging ? { paging: answer.paging } : {}), ...(answer.notes?.length ? { notes: answer.notes } : {}),
      },
    };
  });
}
