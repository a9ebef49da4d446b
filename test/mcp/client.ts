/** Drives `purplebook mcp` (the compiled CLI) as a child process with the SDK's own client over stdio. */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { REPO } from '../helpers.js';

export interface Structured {
  data: unknown;
  paging?: { list: string; offset: number; limit: number; requestedLimit?: number; returned: number; total?: number; nextCursor?: string };
  notes?: string[];
}

export class McpChild {
  private constructor(readonly client: Client, readonly stderr: () => string) {}

  static async start(args: string[]): Promise<McpChild> {
    const transport = new StdioClientTransport({
      command: process.execPath, args: [join(REPO, 'dist', 'cli', 'main.js'), 'mcp', ...args], stderr: 'pipe', env: { ...process.env, CI: 'true' },
    });
    let err = '';
    transport.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    const client = new Client({ name: 'purplebook-test', version: '1.0.0' });
    await client.connect(transport);
    return new McpChild(client, () => err);
  }

  async call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    return (await this.client.callTool({ name, arguments: args })) as CallToolResult;
  }

  /** A call that must succeed: its structured content. */
  async ok(name: string, args: Record<string, unknown>): Promise<Structured> {
    const r = await this.call(name, args);
    if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
    return r.structuredContent as unknown as Structured;
  }

  /** A call that must be a tool error: its message. */
  async fails(name: string, args: Record<string, unknown>): Promise<string> {
    const r = await this.call(name, args);
    if (!r.isError) throw new Error(`${name} ${JSON.stringify(args)} should have failed`);
    return (r.content[0] as { text: string }).text;
  }

  /** Every page of an answer, following nextCursor. */
  async pages(name: string, args: Record<string, unknown>): Promise<Structured[]> {
    const out: Structured[] = [];
    let cursor: string | undefined;
    do {
      const s = await this.ok(name, { ...args, ...(cursor ? { cursor } : {}) });
      out.push(s);
      cursor = s.paging?.nextCursor;
      if (out.length > 500) throw new Error('paging does not end');
    } while (cursor);
    return out;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
