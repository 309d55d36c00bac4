import { pino } from 'pino';
import { resolveConfig } from '../src/config/service-config.js';
import { loadDetectionSetup } from '../src/service/detection-setup.js';
import { RuleSetManager, createRuleDetector } from '../src/detectors/rules/index.js';
import { createIdentityDetector } from '../src/detectors/identity/index.js';
import { benchPipelineThroughput } from './pipeline-throughput.js';
import { benchModelReload } from './model-reload.js';
import { benchPreflightLatency } from './preflight-latency.js';
import { benchRuleEngine, generatedRuleSource } from './rule-engine.js';
import { benchSessionFootprint } from './session-footprint.js';
import { formatRate } from './stats.js';

const line = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

async function main(): Promise<void> {
  line('chainwatch benchmarks (medians; ratios against a baseline measured in the same run)');
  line('');
  const logger = pino({ level: 'silent' });
  const throughput = await benchPipelineThroughput({
    'pass-through (no detectors)': async () => [],
    'bundled rules': async () => (await loadDetectionSetup(resolveConfig({ useModel: false }), logger)).current().detectors,
    'rules + default model': async () => (await loadDetectionSetup(resolveConfig({}), logger)).current().detectors,
    '200 generated rules': async () => {
      const manager = new RuleSetManager();
      manager.loadSources([generatedRuleSource(200)]);
      return [createRuleDetector(manager)];
    },
  });
  line(`OTLP protobuf, ${throughput.spans} spans per round (2,000 sessions of 1 root + 6 tool calls)`);
  line(`  decode only (baseline)                     ${formatRate(throughput.decodeSpansPerSecond)} spans`);
  for (const [name, rate] of Object.entries(throughput.pipelineSpansPerSecond)) {
    line(`  full pipeline, ${name.padEnd(28)}${formatRate(rate)} spans   ratio ${(rate / throughput.decodeSpansPerSecond).toFixed(2)}`);
  }
  line('');
  const engine = await benchRuleEngine();
  line(`rule engine alone, ${engine.events.toLocaleString('en')} calls (2,000 sessions of 50)`);
  line(`  empty rule set (baseline)                  ${formatRate(engine.emptySetEventsPerSec)} calls`);
  for (const [label, rate] of [
    [`default rules (${engine.defaultRuleCount})`, engine.defaultRulesEventsPerSec],
    [`generated rules (${engine.generatedRuleCount})`, engine.generatedRulesEventsPerSec],
  ] as const) {
    line(`  ${label.padEnd(43)}${formatRate(rate)} calls   ratio ${(rate / engine.emptySetEventsPerSec).toFixed(3)}`);
  }
  line('');
  const service = await loadDetectionSetup(resolveConfig({}), logger);
  const parts = { ...service.current(), catalog: service.catalog };
  const detection = { ...parts, detectors: [...parts.detectors, createIdentityDetector()] };
  const passThrough = { ...parts, detectors: [] };
  line(`pre-flight check (POST /v1/check, in process): copy + replay + combine, ${detection.detectors.map((d) => d.id).join(' + ')}`);
  for (const calls of [6, 24]) {
    const baseline = await benchPreflightLatency(passThrough, calls);
    const latency = await benchPreflightLatency(detection, calls);
    line(`  sessions of ${String(calls).padStart(2)} calls, no detectors (baseline)   p50 ${baseline.p50Ms.toFixed(3)} ms   p99 ${baseline.p99Ms.toFixed(3)} ms`);
    line(
      `  sessions of ${String(calls).padStart(2)} calls, service detectors       p50 ${latency.p50Ms.toFixed(3)} ms   p99 ${latency.p99Ms.toFixed(3)} ms` +
        `   max ${latency.maxMs.toFixed(2)} ms   p99 ratio ${(latency.p99Ms / baseline.p99Ms).toFixed(1)}`,
    );
  }
  await service.close();
  line('');
  const reload = await benchModelReload(20_000, 6);
  line(`model reload with ${reload.sessions.toLocaleString('en')} sessions of ${reload.callsPerSession} calls held (default model, service tick budget)`);
  line(`  ingest and score them as they come (baseline)   ${reload.ingestMs.toFixed(0)} ms`);
  line(`  load the model folder again                      ${reload.loadMs.toFixed(0)} ms`);
  line(
    `  re-score every held session                      ${reload.rescoreMs.toFixed(0)} ms   ratio ${(reload.rescoreMs / reload.ingestMs).toFixed(2)}` +
      `   in ${reload.ticks} ticks, longest ${reload.longestTickMs.toFixed(0)} ms (re-scoring budget 100 ms; the rest is the tick's own work)`,
  );
  line('');
  const footprint = benchSessionFootprint(1_000_000);
  line(`session state, ${footprint.sessions.toLocaleString('en')} live sessions of one call`);
  line(`  one call event (baseline)       ${footprint.eventBytes.toFixed(0)} B`);
  line(`  session beyond its event        ${footprint.sessionBytes.toFixed(0)} B   ratio ${(footprint.sessionBytes / footprint.eventBytes).toFixed(2)}`);
  for (const [sessions, content] of [[1_000_000, 0], [20_000, 4_000], [2_000, 40_000]] as const) {
    const measured = content === 0 ? footprint : benchSessionFootprint(sessions, content);
    const held = measured.eventBytes + measured.sessionBytes;
    line(
      `  memory budget's count, calls of ${String(content).padStart(6)} characters of content   ${measured.accountedBytes.toFixed(0)} B` +
        ` against ${held.toFixed(0)} B measured   ratio ${(measured.accountedBytes / held).toFixed(2)}`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
