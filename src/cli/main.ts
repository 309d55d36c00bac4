#!/usr/bin/env -S node --max-semi-space-size=64
import { Command, InvalidArgumentError } from 'commander';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { API_TOKENS_ENV } from '../api/api-tokens.js';
import type { ServiceConfig } from '../config/service-config.js';
import { configFromEnv, resolveConfig } from '../config/service-config.js';
import { checkRuleFiles } from '../detectors/rules/index.js';
import { BUNDLED_RULES } from '../service/detection-setup.js';
import { MAX_TARGET_FPR } from '../training/index.js';
import { parseRowCondition } from '../training/evaluation/row-selection.js';
import type { RowCondition } from '../training/evaluation/row-selection.js';
import { ENTERPRISE_MCP_DEFAULTS, generateDataset } from '../training/generator/index.js';
import { scoreTraceFiles } from './score-command.js';
import { trainFromTraceFiles } from './train-command.js';
import { evaluateScoreFile } from './evaluate-command.js';
import { startChainwatchService } from '../service/chainwatch-service.js';

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new InvalidArgumentError('not a port (0-65535)');
  return parsed;
}

function targetRate(value: string): number {
  const parsed = Number(value);
  if (!(parsed > 0 && parsed <= MAX_TARGET_FPR)) throw new InvalidArgumentError(`not a rate in (0, ${MAX_TARGET_FPR}]`);
  return parsed;
}

function wholeNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new InvalidArgumentError('not a whole number');
  return parsed;
}

function share(value: string): number {
  const parsed = Number(value);
  if (!(parsed >= 0 && parsed <= 1)) throw new InvalidArgumentError('not a share between 0 and 1');
  return parsed;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function collectCondition(value: string, previous: RowCondition[]): RowCondition[] {
  try {
    return [...previous, parseRowCondition(value)];
  } catch {
    throw new InvalidArgumentError('expected column=value (e.g. suite=travel)');
  }
}

interface DetectionFlags {
  model?: string | false;
  rules: string[];
  defaultRules?: boolean;
  catalog?: string;
  jwks?: string;
  attestationIssuer?: string[];
}

function detectionConfig(flags: DetectionFlags): Partial<ServiceConfig> {
  return {
    ...(flags.model === false ? { useModel: false } : flags.model !== undefined ? { modelDir: flags.model } : {}),
    ...(flags.defaultRules === false ? { defaultRules: false } : {}),
    ...(flags.rules.length > 0 ? { rulesFiles: flags.rules } : {}),
    ...(flags.catalog !== undefined ? { catalogFile: flags.catalog } : {}),
    ...(flags.jwks !== undefined ? { jwksFile: flags.jwks, attestationIssuers: flags.attestationIssuer ?? [] } : {}),
  };
}

/**
 * No token is built in: when none is configured, `serve` makes one for this run and prints it once,
 * so a first start works and the API is still never open by accident.
 */
function withRunToken(config: ServiceConfig, logger: Logger): ServiceConfig {
  if (config.apiTokens.length > 0 || config.allowNoAuth) return config;
  const token = randomBytes(24).toString('base64url');
  logger.warn({ token }, `no API token configured (${API_TOKENS_ENV}): generated one for this run`);
  return { ...config, apiTokens: [token] };
}

const program = new Command('chainwatch')
  .description('Behavioural anomaly scoring for AI agents\' MCP tool calls, from OpenTelemetry traces')
  .showHelpAfterError();

program
  .command('serve')
  .description('run the service: OTLP in over NATS and HTTP, scores, alerts and escalation signals out, REST lookup')
  .option('--nats <url>', 'NATS server URL (default: $NATS_URL, else a private nats-server child)')
  .option('--nats-mode <mode>', 'core or jetstream', 'jetstream')
  .option('--subject-prefix <prefix>', 'prefix of every NATS subject', 'chainwatch')
  .option('--otlp-port <port>', 'OTLP/HTTP receiver port', port, 4318)
  .option('--no-otlp-http', 'do not run the OTLP/HTTP receiver')
  .option('--api-port <port>', 'REST API port', port, 8080)
  .option('--host <address>', 'address the HTTP servers bind to', '0.0.0.0')
  .option('--model <dir>', 'model folder (default: the bundled models/default)')
  .option('--no-model', 'score with rules only')
  .option('--rules <file>', 'rule file applied after the bundled rules (repeatable; later files tune earlier ones)', collect, [])
  .option('--no-default-rules', 'do not load the bundled rules/default.yaml')
  .option('--catalog <file>', 'tool catalog YAML')
  .option('--allow-no-auth', 'serve the REST API without tokens (local experiments only)', false)
  .option('--jwks <file>', 'verify session attestations (chainwatch.attestation) against this JWKS (watched: edits apply without a restart); without it every session is unverified')
  .option('--attestation-issuer <iss>', 'accept attestations only from this issuer (repeatable; default: any issuer in the JWKS)', collect, [])
  .option('--check-review-at <risk>', 'POST /v1/check: risk from which a call is held for review (default: the medium level)', share)
  .option('--check-deny-at <risk>', 'POST /v1/check: risk from which a call is denied (default: the high level)', share)
  .option('--session-memory <MiB>', 'memory the live sessions may hold together; the least recently active are evicted beyond it (0: no limit)', wholeNumber, 1024)
  .action(async (flags: DetectionFlags & Record<string, unknown>) => {
    const env = configFromEnv(process.env);
    const config = resolveConfig({
      ...env,
      natsUrl: (flags.nats as string | undefined) ?? env.natsUrl ?? '',
      natsMode: flags.natsMode as ServiceConfig['natsMode'],
      subjectPrefix: flags.subjectPrefix as string,
      otlpEnabled: flags.otlpHttp !== false,
      otlpPort: flags.otlpPort as number,
      apiPort: flags.apiPort as number,
      otlpHost: flags.host as string,
      apiHost: flags.host as string,
      allowNoAuth: flags.allowNoAuth === true,
      maxSessionBytes: (flags.sessionMemory as number) * 1024 * 1024,
      ...detectionConfig(flags),
      preflight: {
        ...(typeof flags.checkReviewAt === 'number' ? { reviewAt: flags.checkReviewAt } : {}),
        ...(typeof flags.checkDenyAt === 'number' ? { denyAt: flags.checkDenyAt } : {}),
      },
    });
    const logger = pino({ level: config.logLevel });
    const service = await startChainwatchService(withRunToken(config, logger), logger);
    const stop = (signal: string): void => {
      logger.info({ signal }, 'stopping');
      service.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'stopped with an error');
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program
  .command('score')
  .description('replay OTLP/JSON lines files (.gz accepted) through the pipeline; one JSON line per session')
  .requiredOption('--traces <file...>', 'OTLP/JSON lines files')
  .requiredOption('--out <file>', 'where to write the scored sessions (JSON lines)')
  .option('--model <dir>', 'model folder (default: the bundled models/default)')
  .option('--no-model', 'score with rules only')
  .option('--rules <file>', 'rule file applied after the bundled rules (repeatable)', collect, [])
  .option('--no-default-rules', 'do not load the bundled rules/default.yaml')
  .option('--catalog <file>', 'tool catalog YAML')
  .option('--jwks <file>', 'verify session attestations (chainwatch.attestation) against this JWKS')
  .option('--attestation-issuer <iss>', 'accept attestations only from this issuer (repeatable)', collect, [])
  .option('--live', "feed spans one at a time in the order they end, as exporters deliver them (the agent's root span last), and say where the alert came as each session streamed", false)
  .action(async (flags: DetectionFlags & { traces: string[]; out: string; live: boolean }) => {
    const env = configFromEnv(process.env);
    // Offline, every session is kept to the end of the files: no idle time, no memory budget.
    const config = resolveConfig({ ...env, sessionIdleTtlMs: 0, maxSessionBytes: 0, ...detectionConfig(flags) });
    const logger = pino({ level: config.logLevel }, pino.destination(2));
    const summary = await scoreTraceFiles({ traces: flags.traces, out: flags.out, config, logger, showProgress: true, live: flags.live });
    process.stderr.write(
      `scored ${summary.sessions} sessions from ${summary.lines} lines (${summary.badLines} bad lines, ` +
        `${summary.spans} spans, ${summary.rejectedSpans} rejected) -> ${flags.out}\n`,
    );
  });

program
  .command('train')
  .description('train a model folder from OTLP/JSON lines files (.gz accepted) of normal traffic')
  .requiredOption('--traces <file...>', 'OTLP/JSON lines files')
  .requiredOption('--out <dir>', 'model folder to write')
  .option('--catalog <file>', 'tool catalog YAML (use the one `serve` and `score` will run with)')
  .option('--target-fpr <rate>', `share of normal sessions allowed above the alert threshold, at most ${MAX_TARGET_FPR}`, targetRate, 0.01)
  .option('--labels <file>', 'labels CSV (session,label[,split,...]): train only on sessions labelled benign')
  .option('--split <name>', 'with --labels: only rows of this split (e.g. train)')
  .option('--where <column=value>', 'with --labels: only rows whose column holds the value (repeatable, all must hold)', collectCondition, [])
  .action(async (flags: { traces: string[]; out: string; catalog?: string; targetFpr: number; labels?: string; split?: string; where: RowCondition[] }) => {
    const env = configFromEnv(process.env);
    const config = resolveConfig({ ...env, sessionIdleTtlMs: 0, maxSessionBytes: 0 });
    const logger = pino({ level: config.logLevel }, pino.destination(2));
    const summary = await trainFromTraceFiles({
      traces: flags.traces,
      out: flags.out,
      catalog: flags.catalog ?? '',
      targetFpr: flags.targetFpr,
      ...(flags.labels !== undefined ? { labels: flags.labels } : {}),
      ...(flags.split !== undefined ? { split: flags.split } : {}),
      where: flags.where,
      config,
      logger,
      showProgress: true,
    });
    const { manifest, thresholds } = summary.result;
    process.stderr.write(
      `trained on ${summary.trainingSessions} of ${summary.sessions} sessions (${summary.lines} lines, ${summary.badLines} bad): ` +
        `${manifest.counts.clusters} prompt clusters, ${manifest.counts.tools} tools, alert threshold ${thresholds.alert.threshold.toFixed(4)} ` +
        `(held-out FPR ${(thresholds.alert.observedFpr * 100).toFixed(2)}%) -> ${flags.out}\n`,
    );
  });

program
  .command('evaluate')
  .description('metrics of a `score` output against labels: ROC AUC, TPR at fixed FPR, lead time, per-detector ablation')
  .requiredOption('--scores <file>', 'JSON lines written by `chainwatch score`')
  .requiredOption('--labels <file>', 'labels CSV: session,label (benign, attack_success, attack_failed) and optional columns')
  .option('--out <dir>', 'write report.md, metrics.json and plots (SVG and PNG) here')
  .option('--model <dir>', 'the model folder the scores came from: its combiner re-combines findings for the ablation')
  .option('--split <name>', 'only label rows of this split (default: test, when the labels have a split column; all: every row)')
  .option('--where <column=value>', 'only label rows whose column holds the value (repeatable, all must hold)', collectCondition, [])
  .option('--traces <file...>', 'the scored traces: to find sessions that ended on an agent error (left out in one variant)')
  .option('--title <text>', 'report title')
  .action(async (flags: { scores: string; labels: string; out?: string; model?: string; split?: string; where: RowCondition[]; traces?: string[]; title?: string }) => {
    const env = configFromEnv(process.env);
    const logger = pino({ level: resolveConfig(env).logLevel }, pino.destination(2));
    const result = await evaluateScoreFile({ ...flags, logger, showProgress: true });
    process.stdout.write(`${result.summary}\n`);
  });

program
  .command('generate')
  .description('write a seeded synthetic enterprise MCP dataset: OTLP/JSON lines, labels.csv, tool-catalog.yaml')
  .requiredOption('--out <dir>', 'folder to write into')
  .option('--seed <n>', 'seed (the same seed gives byte-identical files)', wholeNumber, ENTERPRISE_MCP_DEFAULTS.seed)
  .option('--sessions <n>', 'number of sessions', wholeNumber, ENTERPRISE_MCP_DEFAULTS.sessions)
  .option('--attack-rate <share>', 'share of attacked sessions', share, ENTERPRISE_MCP_DEFAULTS.attackRate)
  .action(async (flags: { out: string; seed: number; sessions: number; attackRate: number }) => {
    const summary = await generateDataset({
      ...ENTERPRISE_MCP_DEFAULTS,
      seed: flags.seed,
      sessions: flags.sessions,
      attackRate: flags.attackRate,
      outDir: flags.out,
    });
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  });

const rules = program.command('rules').description('rule files');
rules
  .command('check')
  .description('compile rule files as the service would; print every located error and warning')
  .argument('<file...>', 'rule files, in override order (later files tune earlier ones)')
  .option('--with-defaults', 'check the files on top of the bundled rules/default.yaml', false)
  .action(async (files: string[], flags: { withDefaults: boolean }) => {
    const result = await checkRuleFiles(flags.withDefaults ? [BUNDLED_RULES, ...files] : files);
    process.stdout.write(`${result.report}\n`);
    process.exitCode = result.ok ? 0 : 1;
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`chainwatch: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
