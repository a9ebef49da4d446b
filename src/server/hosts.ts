/**
 * Which `Host` a request may name. A web page on an attacker's domain can re-point that domain to
 * 127.0.0.1 (DNS rebinding) and then read a local server as same-origin: the only thing that
 * differs is the Host header, so the server answers only the names it is known by.
 */
import { hostname, networkInterfaces } from 'node:os';

export const LOCALHOST_NAMES = ['localhost', '127.0.0.1', '::1'];

/** `[::1]:8080` → `::1`, `Example.COM.:80` → `example.com`; undefined when it is no host name at all. */
export function hostOf(header: string): string | undefined {
  let h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0) return undefined;
    h = h.slice(1, end);
  } else {
    const colon = h.lastIndexOf(':');
    // One colon is a port; more is a bare IPv6 address, which a Host header may not carry unbracketed.
    if (colon >= 0 && h.indexOf(':') === colon) h = h.slice(0, colon);
    else if (colon >= 0) return undefined;
  }
  return h.replace(/\.$/, '') || undefined;
}

/** A name or address as given on the command line: `::1` and `[::1]` alike, a port ignored. */
function nameOf(given: string): string | undefined {
  const g = given.trim();
  return g.indexOf(':') !== g.lastIndexOf(':') && !g.startsWith('[') ? g.toLowerCase() : hostOf(g);
}

/**
 * The names a server bound to `bindHost` is known by: the localhost names, the bound address,
 * and for a wildcard bind (0.0.0.0, ::) every address of this machine and its host name.
 */
export function defaultAllowedHosts(bindHost: string): string[] {
  const names = new Set(LOCALHOST_NAMES);
  const bound = nameOf(bindHost);
  if (bound === '0.0.0.0' || bound === '::' || bound === undefined) {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(a.address.toLowerCase());
    names.add(hostname().toLowerCase());
  } else {
    names.add(bound);
  }
  return [...names];
}

/** A test for host names: the localhost names plus `allowed` (`*` allows any). */
export function hostMatcher(allowed: readonly string[] = []): (host: string) => boolean {
  if (allowed.includes('*')) return () => true;
  const set = new Set(LOCALHOST_NAMES);
  for (const a of allowed) {
    const name = nameOf(a);
    if (name) set.add(name);
  }
  return (host) => set.has(host);
}

/**
 * True when the request's Host header names this server. No Host at all (HTTP/1.0) is allowed:
 * browsers always send one, so a rebinding page cannot leave it out.
 */
export function hostAllowed(header: string | undefined, allowed: (host: string) => boolean): boolean {
  if (header === undefined) return true;
  const host = hostOf(header);
  return host !== undefined && allowed(host);
}
