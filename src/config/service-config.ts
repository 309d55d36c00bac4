import { checkApiTokens, readApiTokens } from '../api/api-tokens.js';
import type { Severity } from '../detectors/finding.js';
import { SEVERITIES } from '../detectors/finding.js';
import type { EscalationOptions } from '../scoring/escalation-policy.js';
import { DEFAULT_ESCALATION } from '../scoring/escalation-policy.js';
import type { SessionLimits } from '../session/session.js';

export type NatsMode = 'core' | 'jetstream';

/** Everything `chainwatch serve` and `chainwatch score` can be told. */
export interface ServiceConfig {
  /** NATS server URL; '' to start a private nats-server (or run HTTP-only when none is installed). */
  readonly natsUrl: string;
  readonly natsMode: NatsMode;
  /** Subject prefix: `<prefix>.otlp.traces`, `<prefix>.scores`, `<prefix>.alerts`, `<prefix>.sampling.<service>`. */
  readonly subjectPrefix: string;
  readonly otlpEnabled: boolean;
  readonly otlpHost: string;
  /** 0 picks a free port. */
  readonly otlpPort: number;
  readonly apiHost: string;
  /** 0 picks a free port. */
  readonly apiPort: number;
  readonly maxBodyBytes: number;
  readonly maxDecompressedBytes: number;
  /** Score with a learned model (rules only when false). */
  readonly useModel: boolean;
  /** Model folder; '' for the bundled `models/default`. */
  readonly modelDir: string;
  /** Load the bundled `rules/default.yaml` first. */
  readonly defaultRules: boolean;
  /** Rule files applied after the bundled ones, in order: later files append to and override earlier ones. */
  readonly rulesFiles: readonly string[];
  /** Tool catalog YAML; '' infers every tool's category from its name. */
  readonly catalogFile: string;
  /** JWKS to verify session attestations (`chainwatch.attestation`) against; '' leaves every session unverified. */
  readonly jwksFile: string;
  /** Accepted attestation issuers; empty accepts any whose key is in the JWKS. */
  readonly attestationIssuers: readonly string[];
  /** `POST /v1/check` thresholds on the risk; unset: review from the `medium` level, deny from `high`. */
  readonly preflight: { readonly reviewAt?: number; readonly denyAt?: number };
  readonly apiTokens: readonly string[];
  /** Tokens the OTLP receiver requires; empty leaves it open (it is often behind a collector). */
  readonly otlpTokens: readonly string[];
  /** Run the API without tokens: only for local experiments. */
  readonly allowNoAuth: boolean;
  readonly maxSessions: number;
  /** Heap bytes the live sessions may hold together, approximately; 0: no budget (offline replays). */
  readonly maxSessionBytes: number;
  readonly sessionIdleTtlMs: number;
  readonly sessionLimits: SessionLimits;
  readonly escalation: EscalationOptions;
  readonly alertSeverity: Severity;
  readonly recentAlerts: number;
  readonly riskTtlSeconds: number;
  readonly logLevel: string;
}

export const DEFAULT_CONFIG: ServiceConfig = {
  natsUrl: '',
  natsMode: 'jetstream',
  subjectPrefix: 'chainwatch',
  otlpEnabled: true,
  otlpHost: '0.0.0.0',
  otlpPort: 4318,
  apiHost: '0.0.0.0',
  apiPort: 8080,
  maxBodyBytes: 8 * 1024 * 1024,
  maxDecompressedBytes: 64 * 1024 * 1024,
  useModel: true,
  modelDir: '',
  defaultRules: true,
  rulesFiles: [],
  catalogFile: '',
  jwksFile: '',
  attestationIssuers: [],
  preflight: {},
  apiTokens: [],
  otlpTokens: [],
  allowNoAuth: false,
  maxSessions: 1_000_000,
  maxSessionBytes: 1024 * 1024 * 1024,
  sessionIdleTtlMs: 30 * 60 * 1000,
  sessionLimits: { maxCalls: 512, maxTraceIds: 16, maxFindings: 32 },
  escalation: DEFAULT_ESCALATION,
  alertSeverity: 'high',
  recentAlerts: 10_000,
  riskTtlSeconds: 24 * 3600,
  logLevel: 'info',
};

/** A configuration value that cannot be used, named. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const SUBJECT_TOKENS = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** Merges overrides onto the defaults once and validates the result; throws `ConfigError` naming each bad option. */
export function resolveConfig(overrides: Partial<ServiceConfig>): ServiceConfig {
  const config: ServiceConfig = {
    ...DEFAULT_CONFIG,
    ...overrides,
    sessionLimits: { ...DEFAULT_CONFIG.sessionLimits, ...overrides.sessionLimits },
    escalation: { ...DEFAULT_CONFIG.escalation, ...overrides.escalation },
  };
  const problems: string[] = [];
  const port = (name: keyof ServiceConfig, value: number): void => {
    if (!Number.isInteger(value) || value < 0 || value > 65535) problems.push(`${name}: ${value} is not a port (0-65535)`);
  };
  const positive = (name: string, value: number): void => {
    if (!Number.isFinite(value) || value <= 0) problems.push(`${name}: ${value} must be a positive number`);
  };
  port('otlpPort', config.otlpPort);
  port('apiPort', config.apiPort);
  if (!SUBJECT_TOKENS.test(config.subjectPrefix)) problems.push(`subjectPrefix: '${config.subjectPrefix}' is not a NATS subject prefix`);
  if (config.natsMode !== 'core' && config.natsMode !== 'jetstream') problems.push(`natsMode: '${String(config.natsMode)}' is not core or jetstream`);
  if (!SEVERITIES.includes(config.alertSeverity)) problems.push(`alertSeverity: '${config.alertSeverity}' is not one of ${SEVERITIES.join(', ')}`);
  positive('maxBodyBytes', config.maxBodyBytes);
  positive('maxDecompressedBytes', config.maxDecompressedBytes);
  positive('maxSessions', config.maxSessions);
  positive('recentAlerts', config.recentAlerts);
  positive('sessionLimits.maxCalls', config.sessionLimits.maxCalls);
  positive('sessionLimits.maxTraceIds', config.sessionLimits.maxTraceIds);
  positive('sessionLimits.maxFindings', config.sessionLimits.maxFindings);
  if (!Number.isSafeInteger(config.maxSessionBytes) || config.maxSessionBytes < 0) {
    problems.push(`maxSessionBytes: ${config.maxSessionBytes} must be a whole number of bytes (0: no budget)`);
  }
  if (config.sessionIdleTtlMs < 0) problems.push(`sessionIdleTtlMs: ${config.sessionIdleTtlMs} must not be negative`);
  const { escalateAt, releaseBelow, ttlSeconds, renewBeforeSeconds } = config.escalation;
  if (!(escalateAt > 0 && escalateAt <= 1)) problems.push(`escalation.escalateAt: ${escalateAt} must be in (0, 1]`);
  if (!(releaseBelow >= 0 && releaseBelow <= escalateAt)) problems.push(`escalation.releaseBelow: ${releaseBelow} must be in [0, escalateAt]`);
  if (!(renewBeforeSeconds >= 0 && renewBeforeSeconds < ttlSeconds)) problems.push(`escalation.renewBeforeSeconds: ${renewBeforeSeconds} must be in [0, ttlSeconds)`);
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return config;
}

/** The environment, read in one place: `NATS_URL`, `CHAINWATCH_API_TOKENS`, `CHAINWATCH_OTLP_TOKENS`, `LOG_LEVEL`. */
export function configFromEnv(env: NodeJS.ProcessEnv): Partial<ServiceConfig> {
  const list = (value: string | undefined): string[] =>
    (value ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
  const found: { -readonly [K in keyof ServiceConfig]?: ServiceConfig[K] } = {};
  if (env.NATS_URL) found.natsUrl = env.NATS_URL;
  const apiTokens = readApiTokens(env);
  if (apiTokens.length > 0) found.apiTokens = apiTokens;
  const otlpTokens = list(env.CHAINWATCH_OTLP_TOKENS);
  if (otlpTokens.length > 0) found.otlpTokens = checkApiTokens(otlpTokens, 'CHAINWATCH_OTLP_TOKENS');
  if (env.LOG_LEVEL) found.logLevel = env.LOG_LEVEL;
  return found;
}
