/**
 * Purplebook as a Model Context Protocol server: the knowledge base's answers (technique pages,
 * search, sources, threats, own-rule coverage, plans, layers, gaps) for any MCP client, over stdio.
 * Read-only: no tool writes a file, opens a connection or reads a path the client names.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { McpContext, type McpContextOptions } from './context.js';
import { registerPrompts } from './prompts.js';
import { registerResources } from './resources.js';
import { registerCrosswalkTools } from './tools-crosswalk.js';
import { registerKbTools } from './tools-kb.js';
import { registerThreatTools } from './tools-threat.js';
import { PURPLEBOOK_VERSION } from '../util/version.js';

export const SERVER_VERSION = PURPLEBOOK_VERSION;

/** One JSON-RPC message from the client may not exceed this (the longest legitimate one, 5,000 technique ids, is ~60 KB). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Array elements and object members of one call's arguments. */
export const MAX_INPUT_ELEMENTS = 6000;

const INSTRUCTIONS = 'Purplebook answers, for every MITRE ATT&CK technique, what stops it (controls), what detects it (detection rules) '
  + 'and how to test it (offensive tests), from public sources (D3FEND, ATT&CK, CTID, Sigma, Elastic, Splunk, CAR, Atomic Red Team …), '
  + "and joins threats (ATT&CK groups, software, campaigns) and the team's own rules (coverage, plan). Tool answers carry the data "
  + 'in structuredContent.data; long lists are paged with limit and cursor (structuredContent.paging.nextCursor).';

export function createMcpServer(ctx: McpContext): McpServer {
  const server = new McpServer({ name: 'purplebook', version: SERVER_VERSION }, {
    capabilities: { tools: {}, resources: {}, prompts: {}, completions: {} },
    instructions: INSTRUCTIONS,
    maxToolInputElements: MAX_INPUT_ELEMENTS,
  });
  registerKbTools(server, ctx);
  registerThreatTools(server, ctx);
  registerCrosswalkTools(server, ctx);
  // TODO(telemetry, results): tools and `--profile FILE` / `--results FILE` once the telemetry and results issues land.
  registerResources(server, ctx);
  registerPrompts(server, ctx);
  return server;
}

/** Serves on stdin/stdout until the client closes stdin or a signal arrives; resolves then. */
export async function serveStdio(opts: McpContextOptions): Promise<void> {
  const ctx = new McpContext(opts);
  const server = createMcpServer(ctx);
  const transport = new StdioServerTransport(process.stdin, process.stdout, { maxBufferSize: MAX_MESSAGE_BYTES });
  const done = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.connect(transport);
  ctx.use((gen) => opts.log?.(`ready on stdio: ${opts.dbPath} (ATT&CK ${gen.kb.attackVersion}), `
    + `${ctx.rules.current ? `${ctx.rules.current.rules.length} own rules` : 'no own rules (no --rules)'}`));
  try {
    await done;
  } finally {
    await server.close();
    ctx.close();
  }
}
