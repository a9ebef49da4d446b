/** What every route module of the server shares: content types, the 4xx error, the request's generation, the response cache. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Domain } from '../attack/types.js';
import { acceptedEncoding } from './cache.js';
import type { Generation } from './holder.js';
import { PurplebookError } from '../core/errors.js';

export const TYPES = {
  html: 'text/html; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

/** Answered with its status and message (JSON for the API, an HTML page for browsers). */
export class HttpError extends PurplebookError {
  constructor(readonly statusCode: number, message: string, readonly suggestions?: string[]) {
    super(message);
  }
}

/** The knowledge-base generation the request leased (set by the onRequest hook of every route). */
export function gen(req: FastifyRequest): Generation {
  return req.gen!;
}

/** `enterprise` or `enterprise-attack` → `enterprise-attack`. */
export function parseDomain(value: string | undefined): Domain | undefined {
  if (!value) return undefined;
  return (value.endsWith('-attack') ? value : `${value}-attack`) as Domain;
}

/** Sends a body rendered once per generation (and compressed once per encoding). */
export function sendCached(req: FastifyRequest, reply: FastifyReply, type: string, produce: () => string | Buffer): FastifyReply {
  const hit = gen(req).cache.get(req.url, type, acceptedEncoding(req.headers['accept-encoding']), produce);
  reply.header('content-type', hit.type).header('vary', 'Accept-Encoding');
  if (hit.encoding !== 'identity') reply.header('content-encoding', hit.encoding);
  return reply.send(hit.body);
}

/** One schema error as fastify hands them to a route's `schemaErrorFormatter`. */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
  propertyName?: string;
}

/** The field a body should not have, and the error naming it (Ajv would only say "property name must be valid"). */
export function unknownFieldOf(errors: readonly SchemaError[]): { error: SchemaError; name: string } | undefined {
  const error = errors.find((e) => e.keyword === 'propertyNames' || e.propertyName !== undefined);
  const name = error?.propertyName ?? (error?.params.propertyName as string | undefined);
  return error && name !== undefined ? { error, name } : undefined;
}

/** Schema errors as one line: `body/domain must be equal to one of the allowed values, …`. */
export const schemaErrorsText = (errors: readonly SchemaError[], dataVar: string): string => errors.map((e) => `${dataVar}${e.instancePath} ${e.message ?? 'is invalid'}`).join(', ');
