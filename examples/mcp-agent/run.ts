import { parseArgs } from 'node:util';
import { REPORT_HEADER, runMcpAgentDemo } from './demo.js';

/*
 * Runs the MCP agent demo against a running chainwatch:
 *   chainwatch serve --nats nats://127.0.0.1:4222 --jwks examples/mcp-agent/keys/jwks.json
 *   npx tsx examples/mcp-agent/run.ts --nats nats://127.0.0.1:4222
 */
const { values } = parseArgs({
  options: {
    nats: { type: 'string', default: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' },
    jetstream: { type: 'boolean', default: false },
    rate: { type: 'string', default: '0.1' },
  },
});
const baseRate = Number(values.rate);
process.stdout.write(`MCP agent demo -> chainwatch at ${values.nats}, head sampling ${(baseRate * 100).toFixed(0)} %\n${REPORT_HEADER}\n`);
await runMcpAgentDemo({
  natsUrl: values.nats,
  jetstream: values.jetstream,
  baseRate,
  log: (line) => process.stdout.write(`${line}\n`),
});
