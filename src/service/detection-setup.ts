import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { ServiceConfig } from '../config/service-config.js';
import type { Detector } from '../detectors/detector.js';
import { RuleSetManager, createRuleDetector } from '../detectors/rules/index.js';
import { loadToolCatalog, ToolCatalog } from '../normalize/tool-catalog.js';
import type { EscalationOptions } from '../scoring/escalation-policy.js';
import type { LevelThresholds, RiskCombiner } from '../scoring/risk-combiner.js';
import { DEFAULT_LEVEL_THRESHOLDS, riskCombiner } from '../scoring/risk-combiner.js';
import type { AttestationVerifier, JwksKeyRing } from '../detectors/identity/index.js';
import { loadModel } from '../training/load-model.js';
import { loadIdentityChecks } from './identity-setup.js';

/** Shipped with the package: the generic rules and the model trained from datasets/. */
export const BUNDLED_RULES = fileURLToPath(new URL('../../rules/default.yaml', import.meta.url));
export const BUNDLED_MODEL = fileURLToPath(new URL('../../models/default', import.meta.url));

/** The catalog, detectors and risk calibration a pipeline runs with, from the configured files. */
export interface DetectionSetup {
  readonly catalog: ToolCatalog;
  readonly detectors: readonly Detector[];
  readonly rules: RuleSetManager;
  readonly combine: RiskCombiner;
  readonly levels: LevelThresholds;
  /** Escalation thresholds on the calibrated risk, when a model sets them. */
  readonly escalation: EscalationOptions;
  /** The share of normal sessions the model's alert threshold lets through (its training target); absent without a model. */
  readonly alertTargetFpr?: number;
  /** Verifies session attestations, when a JWKS is configured. */
  readonly attestations?: AttestationVerifier;
  /** The JWKS the attestations are checked against; `watch()` takes rotated keys without a restart. */
  readonly keyRing?: JwksKeyRing;
  close(): Promise<void>;
}

/**
 * Levels on a calibrated risk (the share of benign training sessions with less evidence): `high` is
 * the model's alert threshold (its target false-positive rate), the others a decade either side.
 */
function calibratedLevels(alertThreshold: number): LevelThresholds {
  const tail = 1 - alertThreshold;
  return {
    low: Math.max(0, 1 - tail * 10),
    medium: Math.max(0, 1 - tail * 5),
    high: alertThreshold,
    critical: 1 - tail / 10,
  };
}

/** Loads catalog, rules and model as configured; a bad file stops start-up with a message naming it. */
export async function loadDetectionSetup(
  config: ServiceConfig,
  logger: Logger,
  extraDetectors: readonly Detector[] = [],
): Promise<DetectionSetup> {
  const catalog = config.catalogFile === '' ? new ToolCatalog() : await loadToolCatalog(config.catalogFile);

  const rules = new RuleSetManager();
  const ruleFiles = [...(config.defaultRules ? [BUNDLED_RULES] : []), ...config.rulesFiles];
  const loaded = await rules.load(ruleFiles);
  if (!loaded.ok) throw new Error(`rule files rejected:\n${loaded.report}`);
  if (loaded.warnings.length > 0) logger.warn({ report: loaded.report }, 'rule files loaded with warnings');
  rules.onReload((outcome) => {
    if (outcome.ok) logger.info({ trigger: outcome.trigger, version: outcome.version }, 'rules reloaded');
    else logger.error({ trigger: outcome.trigger, report: outcome.report }, 'rule reload rejected; the running rules stay');
  });

  const detectors: Detector[] = [createRuleDetector(rules)];
  let combine = riskCombiner();
  let levels = DEFAULT_LEVEL_THRESHOLDS;
  let escalation = config.escalation;
  let alertTargetFpr: number | undefined;
  const modelDir = !config.useModel ? '' : config.modelDir !== '' ? config.modelDir : existsSync(join(BUNDLED_MODEL, 'manifest.json')) ? BUNDLED_MODEL : '';
  if (modelDir !== '') {
    const model = await loadModel(modelDir, (message) => logger.info({ model: modelDir }, message));
    detectors.push(model.markov, model.clusters);
    combine = (findings, upToCallIndex) =>
      model.combine(upToCallIndex === undefined ? findings : findings.filter((f) => f.callIndex <= upToCallIndex)).risk;
    levels = calibratedLevels(model.alertThreshold);
    alertTargetFpr = model.thresholds.alert.targetFpr;
    escalation = { ...config.escalation, escalateAt: levels.high, releaseBelow: levels.medium };
  } else {
    logger.warn('no model folder: scoring with rules only (train one with `chainwatch train`)');
  }
  let attestations: AttestationVerifier | undefined;
  let keyRing: JwksKeyRing | undefined;
  if (config.jwksFile !== '') {
    const identity = await loadIdentityChecks({ jwksFile: config.jwksFile, issuers: config.attestationIssuers });
    detectors.push(identity.detector);
    attestations = identity.verifier;
    keyRing = identity.keyRing;
    keyRing.onReload((outcome) => {
      if (outcome.ok) logger.info({ trigger: outcome.trigger, keys: outcome.keys, jwks: config.jwksFile }, 'JWKS reloaded');
      else logger.error({ trigger: outcome.trigger, error: outcome.error }, 'JWKS reload rejected; the running keys stay');
    });
  }
  detectors.push(...extraDetectors);
  for (const detector of detectors) await detector.preload();
  logger.info(
    {
      detectors: detectors.map((d) => d.id),
      rules: ruleFiles,
      model: modelDir || '(none)',
      catalog: config.catalogFile || '(inferred)',
      attestations: config.jwksFile || '(not verified)',
    },
    'detection loaded',
  );
  return {
    catalog,
    detectors,
    rules,
    combine,
    levels,
    escalation,
    ...(alertTargetFpr !== undefined ? { alertTargetFpr } : {}),
    ...(attestations !== undefined ? { attestations } : {}),
    ...(keyRing !== undefined ? { keyRing } : {}),
    async close() {
      await rules.close();
      await keyRing?.close();
      await Promise.all(detectors.map((detector) => detector.shutdown()));
    },
  };
}
