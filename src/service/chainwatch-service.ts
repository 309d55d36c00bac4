import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createApiServer } from '../api/api-server.js';
import { registerCheckRoute } from '../api/check-route.js';
import { createOtlpReceiver } from '../api/otlp-receiver.js';
import { registerModelRoutes } from '../api/model-routes.js';
import { registerRuleRoutes } from '../api/rules-routes.js';
import { findNatsServerBinary, startPrivateNatsServer } from '../config/private-nats-server.js';
import type { PrivateNatsServer } from '../config/private-nats-server.js';
import type { ServiceConfig } from '../config/service-config.js';
import type { Detector } from '../detectors/detector.js';
import { JetStreamSpanSource } from '../ingest/jetstream-source.js';
import { NatsCoreSpanSource } from '../ingest/nats-core-source.js';
import type { SpanSource } from '../ingest/span-source.js';
import { CompositeScoreSink } from '../outputs/composite-sink.js';
import { KvRiskStore } from '../outputs/kv-risk-store.js';
import { ServiceMetrics } from '../outputs/metrics.js';
import { NatsScoreSink } from '../outputs/nats-score-sink.js';
import { RecentAlerts } from '../outputs/recent-alerts.js';
import type { ScoreSink } from '../outputs/score-sink.js';
import { PreflightCheck, preflightThresholds } from '../scoring/preflight.js';
import { StoreSessionDirectory } from '../session/store-directory.js';
import { loadDetectionSetup } from './detection-setup.js';
import type { Pipeline } from './pipeline.js';
import { createPipeline, pipelineDetection } from './pipeline.js';
import { registerServiceMetrics } from './service-metrics.js';

const TICK_MS = 5_000;
/** A stop waits this long for pending KV writes to flush (then the store gets as long to close). */
const KV_FLUSH_DEADLINE_MS = 5_000;

export interface ServiceOptions {
  /** Detectors added to those the configuration loads (tests use small ones of their own). */
  readonly extraDetectors?: readonly Detector[];
  /** Extra sinks (tests record what is published). */
  readonly extraSinks?: readonly ScoreSink[];
}

/** A running chainwatch: what `chainwatch serve` starts. */
export interface ChainwatchService {
  readonly pipeline: Pipeline;
  /** The NATS server in use, '' when HTTP-only. */
  readonly natsUrl: string;
  /** Bound ports (useful when 0 asked for a free one); 0 when that server is off. */
  readonly otlpPort: number;
  readonly apiPort: number;
  readonly metrics: ServiceMetrics;
  /** What `POST /v1/check` answers with, in process. */
  readonly preflight: PreflightCheck;
  stop(): Promise<void>;
}

/** Where to reach NATS: the configured server, a private child, or none (HTTP-only). */
async function natsEndpoint(
  config: ServiceConfig,
  logger: Logger,
): Promise<{ url: string; server?: PrivateNatsServer; storeDir?: string }> {
  if (config.natsUrl !== '') return { url: config.natsUrl };
  if (findNatsServerBinary() === undefined) {
    logger.warn('no NATS URL configured and no nats-server installed: running HTTP-only (OTLP/HTTP in, REST out; no NATS subjects, no KV)');
    return { url: '' };
  }
  const storeDir = await mkdtemp(path.join(tmpdir(), 'chainwatch-nats-'));
  const server = await startPrivateNatsServer({ logger, storeDir });
  logger.info({ url: server.url }, 'no NATS URL configured: started a private nats-server with JetStream');
  return { url: server.url, server, storeDir };
}

/**
 * Starts the whole service. Components are started inside-out (detection, sinks, pipeline, sources,
 * HTTP) and stopped outside-in, so nothing accepted is dropped on the way down.
 */
export async function startChainwatchService(
  config: ServiceConfig,
  logger: Logger,
  options: ServiceOptions = {},
): Promise<ChainwatchService> {
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => logger.error({ err: error }, 'error while stopping'));
    }
    cleanups.length = 0;
  };
  try {
    const setup = await loadDetectionSetup(config, logger, options.extraDetectors);
    cleanups.push(() => setup.close());
    await setup.rules.watch();
    await setup.keyRing?.watch();
    await setup.model?.watch();

    const endpoint = await natsEndpoint(config, logger);
    if (endpoint.server !== undefined) {
      const { server, storeDir } = endpoint;
      cleanups.push(async () => {
        await server.stop();
        if (storeDir !== undefined) await rm(storeDir, { recursive: true, force: true });
      });
    }
    let connection: NatsConnection | undefined;
    if (endpoint.url !== '') {
      const nc = await connect({ servers: endpoint.url, name: 'chainwatch', maxReconnectAttempts: -1 });
      connection = nc;
      cleanups.push(() => nc.drain());
      logger.info({ url: endpoint.url }, 'connected to NATS');
    }

    const recentAlerts = new RecentAlerts(config.recentAlerts);
    const sinks: ScoreSink[] = [recentAlerts, ...(options.extraSinks ?? [])];
    let riskStore: KvRiskStore | undefined;
    let natsSink: NatsScoreSink | undefined;
    if (connection !== undefined) {
      natsSink = new NatsScoreSink({ connection, logger, prefix: config.subjectPrefix });
      sinks.push(natsSink);
      if (config.natsMode === 'jetstream') {
        riskStore = await KvRiskStore.open({ connection, logger, ttlMs: config.riskTtlSeconds * 1000 });
        const store = riskStore;
        sinks.push({
          name: 'kv-risk',
          publishScore: (update) => store.put(update),
          publishAlert() {},
          publishEscalation() {},
          flush: async () => {
            await store.flush(KV_FLUSH_DEADLINE_MS);
          },
          close: () => store.close(),
        });
      }
    }
    const sink = new CompositeScoreSink(sinks, logger);
    cleanups.push(() => sink.close());

    const pipeline = createPipeline({ ...pipelineDetection(setup), config, sink, logger });
    const preflight = new PreflightCheck({
      scoring: pipeline.scoring,
      catalog: setup.catalog,
      thresholds: preflightThresholds(setup.current().levels, config.preflight),
    });
    // A reloaded model moves the levels: checked against the configured pre-flight thresholds first
    // (a throw refuses the model), then swapped in; held sessions are re-scored with it.
    setup.onChange((parts) => {
      const thresholds = preflightThresholds(parts.levels, config.preflight);
      pipeline.scoring.useDetection(parts);
      preflight.useThresholds(thresholds);
    });
    // A throw here would end the process from a timer: logged instead, and the next tick tries again.
    const ticker = setInterval(() => {
      try {
        pipeline.scoring.tick();
      } catch (error) {
        logger.error({ err: error }, 'service tick failed');
      }
    }, TICK_MS);
    ticker.unref();
    cleanups.push(async () => clearInterval(ticker));
    cleanups.push(() => sink.flush());
    cleanups.push(() => pipeline.scoring.settled());

    const sources: SpanSource[] = [];
    if (connection !== undefined) {
      const source =
        config.natsMode === 'jetstream'
          ? new JetStreamSpanSource({ connection, logger, prefix: config.subjectPrefix })
          : new NatsCoreSpanSource({ connection, logger, prefix: config.subjectPrefix });
      await source.start(pipeline.ingest.handle);
      sources.push(source);
      cleanups.push(() => source.stop());
    }

    const metrics = new ServiceMetrics({ defaultMetrics: true });
    registerServiceMetrics(metrics, {
      pipeline,
      detection: () => setup.current(),
      sources,
      natsSink,
      riskStore,
      ...(setup.attestations !== undefined ? { attestations: setup.attestations } : {}),
      ...(setup.model !== undefined ? { model: setup.model } : {}),
    });

    let ready = false;
    let otlpPort = 0;
    if (config.otlpEnabled) {
      // Most refusals (415, 413, 401, 503) are answered before a batch reaches ingestion's counters.
      const refused: Record<string, number> = {};
      metrics.labelledCounter('chainwatch_otlp_http_refused_total', 'OTLP/HTTP requests refused, by HTTP status', 'status', () => refused);
      const receiver = createOtlpReceiver({
        handler: pipeline.ingest.handle,
        maxBodyBytes: config.maxBodyBytes,
        tokens: config.otlpTokens,
        onRefused: (status) => {
          refused[status] = (refused[status] ?? 0) + 1;
        },
        logger: logger.child({ server: 'otlp' }),
      });
      otlpPort = await listen(receiver, config.otlpHost, config.otlpPort);
      cleanups.push(() => receiver.close());
      logger.info({ port: otlpPort }, 'OTLP/HTTP receiver listening on /v1/traces');
    }
    const api: FastifyInstance = createApiServer({
      sessions: new StoreSessionDirectory(pipeline.store, config.escalation.ttlSeconds),
      ...(riskStore !== undefined ? { riskStore } : {}),
      alerts: recentAlerts,
      metrics: metrics.registry,
      tokens: config.apiTokens,
      allowNoAuth: config.allowNoAuth,
      // Not ready while a span source receives nothing (its JetStream consumer is being made again).
      ready: () => ready && sources.every((source) => source.healthy !== false),
      logger: logger.child({ server: 'api' }),
      extraRoutes: (routes) => {
        registerRuleRoutes(routes, setup.rules);
        if (setup.model !== undefined) registerModelRoutes(routes, setup.model);
        registerCheckRoute(routes, preflight);
      },
    });
    const apiPort = await listen(api, config.apiHost, config.apiPort);
    cleanups.push(() => api.close());
    logger.info({ port: apiPort }, 'REST API listening');
    ready = true;

    return {
      pipeline,
      natsUrl: endpoint.url,
      otlpPort,
      apiPort,
      metrics,
      preflight,
      async stop() {
        ready = false;
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<number> {
  await app.listen({ host, port });
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.port : port;
}
