/**
 * The MCP server as a client sees it: latency of `get_technique` (a fixed list of ids) and of
 * `coverage` for APT29 (G0016), over stdio to a `purplebook mcp` child process, with the same calls
 * through the SDK's in-memory transport in this process as the baseline (the cost of the
 * process boundary and the JSON-RPC framing alone), and the child's start-up time.
 */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpContext } from '../mcp/context.js';
import { createMcpServer } from '../mcp/server.js';
import { REPO_ROOT } from '../util/paths.js';
import { BENCH_TECHNIQUES } from './queries.js';
import { percentile } from './stats.js';

/** Passes over BENCH_TECHNIQUES, and coverage calls: enough for a stable median on a shared 2-core machine. */
const TECHNIQUE_PASSES = 2;
const COVERAGE_CALLS = 20;

export interface Latency {
  calls: number;
  p50Ms: number;
  p99Ms: number;
}

export interface McpTransportResult {
  getTechnique: Latency;
  coverage: Latency;
}

export interface McpResult {
  stdio: McpTransportResult;
  inProcess: McpTransportResult;
  /** Spawn of `purplebook mcp` to the end of `initialize`. */
  startMs: number;
}

async function timeCalls(client: Client, calls: { name: string; arguments: Record<string, unknown> }[]): Promise<Latency> {
  const lat: number[] = [];
  for (const c of calls) {
    const t0 = performance.now();
    const r = await client.callTool(c);
    lat.push(performance.now() - t0);
    if (r.isError) throw new Error(`${c.name} ${JSON.stringify(c.arguments)} failed: ${JSON.stringify(r.content)}`);
  }
  lat.sort((a, b) => a - b);
  return { calls: lat.length, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99) };
}

async function measureClient(client: Client): Promise<McpTransportResult> {
  const ids = Array.from({ length: TECHNIQUE_PASSES }, () => BENCH_TECHNIQUES).flat();
  const getTechnique = await timeCalls(client, ids.map((id) => ({ name: 'get_technique', arguments: { id } })));
  const coverage = await timeCalls(client, Array.from({ length: COVERAGE_CALLS }, () => ({ name: 'coverage', arguments: { group: ['G0016'] } })));
  return { getTechnique, coverage };
}

export async function measureMcp(dbPath: string): Promise<McpResult> {
  const t0 = performance.now();
  const stdioClient = new Client({ name: 'purplebook-bench', version: '1' });
  await stdioClient.connect(new StdioClientTransport({
    command: process.execPath, args: [join(REPO_ROOT, 'dist', 'cli', 'main.js'), 'mcp', '--db', dbPath], stderr: 'ignore',
  }));
  const startMs = performance.now() - t0;
  let stdio: McpTransportResult;
  try {
    stdio = await measureClient(stdioClient);
  } finally {
    await stdioClient.close();
  }

  const ctx = new McpContext({ dbPath, rules: [] });
  const server = createMcpServer(ctx);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const memoryClient = new Client({ name: 'purplebook-bench', version: '1' });
  await memoryClient.connect(clientSide);
  try {
    return { stdio, inProcess: await measureClient(memoryClient), startMs };
  } finally {
    await memoryClient.close();
    await server.close();
    ctx.close();
  }
}
