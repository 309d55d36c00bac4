import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/service-config.js';
import { startChainwatchService } from '../../src/service/chainwatch-service.js';
import type { ChainwatchService } from '../../src/service/chainwatch-service.js';

const TOKEN = 'reload-token-0123456789';
const rule = (severity: string) => `version: 1
elements:
  - rule: any-send
    description: anything outbound
    severity: ${severity}
    match: {category: external_communication}
`;

describe('POST /v1/rules/reload', () => {
  let dir: string;
  let file: string;
  let service: ChainwatchService;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'chainwatch-reload-'));
    file = path.join(dir, 'local.yaml');
    await writeFile(file, rule('low'));
    const config = resolveConfig({
      otlpEnabled: false,
      apiHost: '127.0.0.1',
      apiPort: 0,
      apiTokens: [TOKEN],
      useModel: false,
      defaultRules: false,
      rulesFiles: [file],
    });
    service = await startChainwatchService(config, pino({ level: 'silent' }));
  });

  afterAll(async () => {
    await service?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const reload = async (token = TOKEN) => {
    const response = await fetch(`http://127.0.0.1:${service.apiPort}/v1/rules/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  it('rejects a broken file with every located error and keeps the running rules', async () => {
    const before = (await reload()).body.version as number;
    await writeFile(file, rule('huge'));
    const { status, body } = await reload();
    expect(status).toBe(422);
    expect(body.ok).toBe(false);
    expect(body.version).toBe(before);
    expect(body.report).toContain(`${file}:5:15: error [bad-value] rule "any-send": severity must be one of`);
  });

  it('applies a fixed file and reports the new version', async () => {
    await writeFile(file, rule('high'));
    const { status, body } = await reload();
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, trigger: 'api', errors: [] });
    expect(body.version).toBeGreaterThan(1);
  });

  it('needs the API token', async () => {
    expect((await reload('wrong-token-0123456789')).status).toBe(401);
  });
});
