/**
 * Test plumbing for sync: a small tar writer (GitHub-style archives with a pax global header
 * carrying the commit, and hostile entries no real tar would write) and a loopback HTTP server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface TarItem {
  name: string;
  /** '0' file, '5' folder, '2' symlink, '1' hard link, '3' char device, '6' fifo, 'g' pax global, 'x' pax. */
  type?: string;
  data?: string | Buffer;
  linkname?: string;
  mtime?: number;
  /** Write a size field different from the data (for lying headers). */
  size?: number;
}

function octal(n: number, len: number): string {
  return `${n.toString(8).padStart(len - 1, '0')}\0`;
}

function header(item: TarItem, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(item.name.slice(0, 100), 0, 'utf8');
  h.write(octal(item.type === '5' ? 0o755 : 0o644, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(item.size ?? size, 12), 124);
  h.write(octal(item.mtime ?? 1_700_000_000, 12), 136);
  h.write('        ', 148);
  h.write(item.type ?? '0', 156);
  if (item.linkname) h.write(item.linkname.slice(0, 100), 157);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

export function paxRecords(records: Record<string, string>): Buffer {
  let out = '';
  for (const [k, v] of Object.entries(records)) {
    const body = ` ${k}=${v}\n`;
    let len = body.length + 1;
    while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
    out += `${len}${body}`;
  }
  return Buffer.from(out);
}

/** A tar stream; names over 100 bytes get a pax `path` record like git archive writes. */
export function tar(items: TarItem[], opts: { endMarker?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  const push = (item: TarItem, data: Buffer) => {
    parts.push(header(item, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  };
  for (const item of items) {
    const data = typeof item.data === 'string' ? Buffer.from(item.data) : item.data ?? Buffer.alloc(0);
    if (Buffer.byteLength(item.name) > 100) push({ name: 'pax_header', type: 'x' }, paxRecords({ path: item.name }));
    push(item, data);
  }
  if (opts.endMarker !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/**
 * A `.tar.gz` shaped like GitHub's: pax global header with the commit as comment, one top folder
 * `<repo>-<ref>/`, folders before their files.
 */
export function githubArchive(repoName: string, ref: string, files: Record<string, string | Buffer>, commit?: string, extra: TarItem[] = []): Buffer {
  const top = `${repoName}-${ref.replace(/^v(?=\d)/, '')}`;
  const items: TarItem[] = [];
  if (commit) items.push({ name: 'pax_global_header', type: 'g', data: paxRecords({ comment: commit }), mtime: 1_754_400_000 });
  items.push({ name: `${top}/`, type: '5' });
  const dirs = new Set<string>();
  for (const path of Object.keys(files).sort()) {
    const segs = path.split('/');
    for (let i = 1; i < segs.length; i++) {
      const d = segs.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        items.push({ name: `${top}/${d}/`, type: '5' });
      }
    }
    items.push({ name: `${top}/${path}`, data: files[path] });
  }
  for (const e of extra) items.push({ ...e, name: e.name.replace('{top}', top) });
  return gzipSync(tar(items));
}

export type Route =
  | Buffer
  | { status: number; body?: string }
  /** Send the headers and the first bytes of the body, then hang (until the client gives up). */
  | { stall: Buffer }
  /** Announce the full length, send part of it, then close the connection. */
  | { truncate: Buffer; at: number }
  | ((req: IncomingMessage, res: ServerResponse) => void);

export interface TestServer {
  url: string;
  routes: Map<string, Route>;
  requests: string[];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 serving `routes` by exact path; anything else is a 404. */
export async function startServer(routes = new Map<string, Route>()): Promise<TestServer> {
  const requests: string[] = [];
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    requests.push(path);
    const route = routes.get(path);
    if (route === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    if (typeof route === 'function') return route(req, res);
    if (Buffer.isBuffer(route)) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': route.length }).end(route);
      return;
    }
    if ('status' in route) {
      res.writeHead(route.status).end(route.body ?? '');
      return;
    }
    if ('stall' in route) {
      hanging.add(res);
      res.writeHead(200, { 'content-length': route.stall.length });
      res.write(route.stall.subarray(0, Math.min(100, route.stall.length)));
      return;
    }
    res.writeHead(200, { 'content-length': route.truncate.length });
    res.write(route.truncate.subarray(0, route.at), () => res.socket?.destroy());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`, routes, requests,
    close: () => new Promise<void>((ok) => {
      for (const r of hanging) r.socket?.destroy();
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}
