import type { Logger } from 'pino';
import type { ServiceConfig } from '../config/service-config.js';
import type { Detector } from '../detectors/detector.js';
import { loadToolCatalog, ToolCatalog } from '../normalize/tool-catalog.js';
import type { LevelThresholds } from '../scoring/risk-combiner.js';

/** The catalog and detectors a pipeline runs with, from the configured files. */
export interface DetectionSetup {
  readonly catalog: ToolCatalog;
  readonly detectors: readonly Detector[];
  readonly levels?: LevelThresholds;
  close(): Promise<void>;
}

/** Loads catalog, rules and model as configured; a bad file stops start-up with a message naming it. */
export async function loadDetectionSetup(
  config: ServiceConfig,
  logger: Logger,
  extraDetectors: readonly Detector[] = [],
): Promise<DetectionSetup> {
  const catalog = config.catalogFile === '' ? new ToolCatalog() : await loadToolCatalog(config.catalogFile);
  const detectors: Detector[] = [...extraDetectors];
  for (const detector of detectors) await detector.preload();
  logger.info({ detectors: detectors.map((d) => d.id), catalog: config.catalogFile || '(inferred)' }, 'detection loaded');
  return {
    catalog,
    detectors,
    async close() {
      await Promise.all(detectors.map((detector) => detector.shutdown()));
    },
  };
}
