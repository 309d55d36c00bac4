import { pino } from 'pino';
import { resolveConfig } from '../src/config/service-config.js';
import { loadDetectionSetup } from '../src/service/detection-setup.js';
import { benchPipelineThroughput } from './pipeline-throughput.js';
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
    'bundled rules': async () => (await loadDetectionSetup(resolveConfig({ useModel: false }), logger)).detectors,
  });
  line(`OTLP protobuf, ${throughput.spans} spans per round (2,000 sessions of 1 root + 6 tool calls)`);
  line(`  decode only (baseline)                     ${formatRate(throughput.decodeSpansPerSecond)} spans`);
  for (const [name, rate] of Object.entries(throughput.pipelineSpansPerSecond)) {
    line(`  full pipeline, ${name.padEnd(28)}${formatRate(rate)} spans   ratio ${(rate / throughput.decodeSpansPerSecond).toFixed(2)}`);
  }
  line('');
  const footprint = benchSessionFootprint(1_000_000);
  line(`session state, ${footprint.sessions.toLocaleString('en')} live sessions of one call`);
  line(`  one call event (baseline)       ${footprint.eventBytes.toFixed(0)} B`);
  line(`  session beyond its event        ${footprint.sessionBytes.toFixed(0)} B   ratio ${(footprint.sessionBytes / footprint.eventBytes).toFixed(2)}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
