import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { ServiceConfig } from '../config/service-config.js';
import type { Detector } from '../detectors/detector.js';
import { RuleSetManager, createRuleDetector } from '../detectors/rules/index.js';
import { loadToolCatalog, ToolCatalog } from '../normalize/tool-catalog.js';
import { EscalationPolicy } from '../scoring/escalation-policy.js';
import type { LevelThresholds } from '../scoring/risk-combiner.js';
import type { Detection } from '../scoring/scoring-stage.js';
import { DEFAULT_LEVEL_THRESHOLDS, riskCombiner } from '../scoring/risk-combiner.js';
import type { AttestationVerifier, JwksKeyRing } from '../detectors/identity/index.js';
import type { LoadedModel } from '../training/load-model.js';
import { ModelSlot } from './model-slot.js';
import { loadIdentityChecks } from './identity-setup.js';

/** Shipped with the package: the generic rules and the model trained from datasets/. */
export const BUNDLED_RULES = fileURLToPath(new URL('../../rules/default.yaml', import.meta.url));
export const BUNDLED_MODEL = fileURLToPath(new URL('../../models/default', import.meta.url));

/** What scores sessions now: the detectors and the model's calibration. A model reload replaces it whole. */
export interface DetectionParts extends Detection {
  /** The share of normal sessions the model's alert threshold lets through (its training target); absent without a model. */
  readonly alertTargetFpr?: number;
}

/** The catalog, detectors and risk calibration a pipeline runs with, from the configured files. */
export interface DetectionSetup {
  readonly catalog: ToolCatalog;
  readonly rules: RuleSetManager;
  /** The model folder in use, reloadable; absent when scoring with rules only. */
  readonly model?: ModelSlot;
  /** Verifies session attestations, when a JWKS is configured. */
  readonly attestations?: AttestationVerifier;
  /** The JWKS the attestations are checked against; `watch()` takes rotated keys without a restart. */
  readonly keyRing?: JwksKeyRing;
  /** The detection in use. */
  current(): DetectionParts;
  /** Called with the new detection when a reloaded model is taken into use; a listener that throws refuses the model. */
  onChange(listener: (parts: DetectionParts) => void): () => void;
  close(): Promise<void>;
}

/**
 * Levels on a calibrated risk (the share of benign training sessions with less evidence): `high` is
 * the model's alert threshold (its target false-positive rate), the others a decade either side.
 */
export function calibratedLevels(alertThreshold: number): LevelThresholds {
  const tail = 1 - alertThreshold;
  return {
    low: Math.max(0, 1 - tail * 10),
    medium: Math.max(0, 1 - tail * 5),
    // Calibration counts the sessions *above* the threshold, and risks are discrete (ranks among the
    // training sessions): a level reached at `>=` starts just above it, or the alert rate would exceed the target.
    high: alertThreshold < 1 ? alertThreshold + Number.EPSILON : 1,
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

  let attestations: AttestationVerifier | undefined;
  let keyRing: JwksKeyRing | undefined;
  const identityDetectors: Detector[] = [];
  if (config.jwksFile !== '') {
    const identity = await loadIdentityChecks({ jwksFile: config.jwksFile, issuers: config.attestationIssuers });
    identityDetectors.push(identity.detector);
    attestations = identity.verifier;
    keyRing = identity.keyRing;
    keyRing.onReload((outcome) => {
      if (outcome.ok) logger.info({ trigger: outcome.trigger, keys: outcome.keys, jwks: config.jwksFile }, 'JWKS reloaded');
      else logger.error({ trigger: outcome.trigger, error: outcome.error }, 'JWKS reload rejected; the running keys stay');
    });
  }
  const ruleDetector = createRuleDetector(rules);
  const withModel = (model: LoadedModel | undefined): DetectionParts => {
    const detectors = [ruleDetector, ...(model === undefined ? [] : [model.markov, model.clusters]), ...identityDetectors, ...extraDetectors];
    if (model === undefined) {
      return { detectors, combine: riskCombiner(), levels: DEFAULT_LEVEL_THRESHOLDS, policy: new EscalationPolicy(config.escalation) };
    }
    // Escalation uses the model's thresholds: from its alert level, released below `medium`.
    const levels = calibratedLevels(model.alertThreshold);
    return {
      detectors,
      combine: (findings, upToCallIndex) =>
        model.combine(upToCallIndex === undefined ? findings : findings.filter((f) => f.callIndex <= upToCallIndex)).risk,
      levels,
      policy: new EscalationPolicy({ ...config.escalation, escalateAt: levels.high, releaseBelow: levels.medium }),
      alertTargetFpr: model.thresholds.alert.targetFpr,
    };
  };

  let parts: DetectionParts | undefined;
  const listeners = new Set<(parts: DetectionParts) => void>();
  const modelDir = !config.useModel ? '' : config.modelDir !== '' ? config.modelDir : existsSync(join(BUNDLED_MODEL, 'manifest.json')) ? BUNDLED_MODEL : '';
  let model: ModelSlot | undefined;
  if (modelDir !== '') {
    model = await ModelSlot.open(modelDir, {
      log: (message) => logger.info({ model: modelDir }, message),
      accept: (next) => {
        const candidate = withModel(next);
        // A listener that throws refuses the model: the service checks its own settings before it swaps.
        for (const listener of listeners) listener(candidate);
        parts = candidate;
      },
    });
    model.onReload((outcome) => {
      if (!outcome.ok) logger.error({ trigger: outcome.trigger, error: outcome.error, model: modelDir }, 'model reload rejected; the running model stays');
      else if (outcome.changed) logger.info({ trigger: outcome.trigger, model: outcome.model }, 'model reloaded');
    });
  } else {
    parts = withModel(undefined);
    logger.warn('no model folder: scoring with rules only (train one with `chainwatch train`)');
  }
  const initial = parts!;
  for (const detector of initial.detectors) await detector.preload();
  logger.info(
    {
      detectors: initial.detectors.map((d) => d.id),
      rules: ruleFiles,
      model: modelDir || '(none)',
      catalog: config.catalogFile || '(inferred)',
      attestations: config.jwksFile || '(not verified)',
    },
    'detection loaded',
  );
  return {
    catalog,
    rules,
    ...(model !== undefined ? { model } : {}),
    ...(attestations !== undefined ? { attestations } : {}),
    ...(keyRing !== undefined ? { keyRing } : {}),
    current: () => parts!,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      await rules.close();
      await keyRing?.close();
      await model?.close();
      await Promise.all(parts!.detectors.map((detector) => detector.shutdown()));
    },
  };
}
