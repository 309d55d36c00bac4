import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { Logger } from 'pino';

/** Starts a Fastify app on an ephemeral local port and returns its base URL. */
export async function listenLocally(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  return `http://127.0.0.1:${address.port}`;
}

/** A pino logger whose records are kept in memory, for asserting what was logged. */
export function capturingLogger(): { readonly logger: Logger; readonly records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, records };
}
