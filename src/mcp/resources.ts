/**
 * Resources: a technique's markdown page (what `purplebook show ID` prints), the source catalog
 * and the knowledge-base statistics (what `sources --json` and `stats --json` print).
 */
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpError, type ErrorCode, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { sourceCatalog } from '../kb/catalog.js';
import { statsJson } from '../cli/stats.js';
import { buildPage } from '../page/build.js';
import { renderMarkdown } from '../render/markdown.js';
import { remember, type McpContext } from './context.js';
import { isUserError } from './errors.js';
import { findTechniqueId } from './lookup.js';

/** The MCP specification's code for "resource not found". */
const RESOURCE_NOT_FOUND = -32002 as ErrorCode;
const MAX_COMPLETIONS = 50;

const json = (uri: URL, value: unknown): ReadResourceResult => ({
  contents: [{ uri: uri.href, mimeType: 'application/json', text: `${JSON.stringify(value, null, 2)}\n` }],
});

export function registerResources(server: McpServer, ctx: McpContext): void {
  server.registerResource('technique', new ResourceTemplate('purplebook://technique/{id}', {
    // ~1,500 techniques: listed by the get_technique and search tools, completed here by id prefix.
    list: undefined,
    complete: {
      id: (value) => ctx.use((gen) => {
        const prefix = value.trim().toUpperCase();
        return gen.kb.techniques().filter((t) => t.status !== 'revoked' && t.id.startsWith(prefix)).slice(0, MAX_COMPLETIONS).map((t) => t.id);
      }),
    },
  }), {
    title: 'Technique page',
    description: 'The markdown page of one ATT&CK technique (purplebook://technique/T1021.004): controls, detections and tests per source; '
      + 'the whole page, as `purplebook show ID` prints it',
    mimeType: 'text/markdown',
  }, (uri, variables) => ctx.use((gen) => {
    const raw = decodeURIComponent(String(variables.id ?? '')).slice(0, 200);
    let id: string;
    try {
      id = findTechniqueId(gen.kb, raw);
    } catch (e) {
      if (isUserError(e)) throw new McpError(RESOURCE_NOT_FOUND, e.message, { uri: uri.href });
      throw e;
    }
    const page = buildPage(gen.kb, id)!;
    return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: renderMarkdown(page) }] };
  }));

  server.registerResource('sources', 'purplebook://sources', {
    title: 'Source catalog',
    description: 'Every source Purplebook knows, by pillar, with its state in this knowledge base (as `purplebook sources --json`)',
    mimeType: 'application/json',
  }, (uri) => ctx.use((gen) => json(uri, sourceCatalog(gen.kb))));

  server.registerResource('stats', 'purplebook://stats', {
    title: 'Knowledge-base statistics',
    description: 'ATT&CK version and counts per domain with the techniques of each validation class; per source: commit, access date, resources, mappings, techniques, warnings (as `purplebook stats --json`)',
    mimeType: 'application/json',
  }, (uri) => ctx.use((gen) => json(uri, remember(gen, 'stats', () => statsJson(gen.kb)))));
}
