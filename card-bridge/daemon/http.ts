// Small HTTP helpers of the daemon: bounded bodies of an expected type, validated input, JSON answers.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { BridgeError } from '../errors.ts';

const MAX_BODY = 16 * 1024;
const JSON_HEADERS: OutgoingHttpHeaders = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export async function readBody(req: IncomingMessage, contentType: string): Promise<string> {
  if (!(req.headers['content-type'] ?? '').startsWith(contentType)) throw new BridgeError('bad_request', `The body must be ${contentType}`);
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_BODY) throw new BridgeError('bad_request', 'Request body too large');
  }
  return body;
}

export function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new BridgeError('bad_request', `Invalid request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { ...JSON_HEADERS, ...headers }).end(body === undefined ? undefined : JSON.stringify(body));
}
