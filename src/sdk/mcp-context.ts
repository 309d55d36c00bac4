import { context, propagation } from '@opentelemetry/api';
import type { Context, TextMapGetter } from '@opentelemetry/api';

/** An MCP request's `params._meta` property bag. */
export type McpMeta = Record<string, unknown>;

const metaGetter: TextMapGetter<McpMeta> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    return typeof value === 'string' ? value : undefined;
  },
};

/**
 * `meta` plus the trace context of `ctx`, written by the configured propagators (W3C: `traceparent`,
 * `tracestate`, `baggage`, unprefixed, as the MCP semantic conventions and SEP-414 say). Send the result
 * as the request's `params._meta`, so the server's spans join the client's trace.
 */
export function injectMcpContext(meta: McpMeta = {}, ctx: Context = context.active()): McpMeta {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return { ...meta, ...carrier };
}

/** The client's context from a request's `params._meta`, on top of `base`; `base` when there is none. */
export function extractMcpContext(meta: unknown, base: Context = context.active()): Context {
  if (typeof meta !== 'object' || meta === null) return base;
  return propagation.extract(base, meta as McpMeta, metaGetter);
}
