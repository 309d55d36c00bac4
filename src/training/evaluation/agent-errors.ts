import { readOtlpJsonLines } from '../../ingest/otlp/json-lines.js';
import { SpanNormalizer } from '../../normalize/span-normalizer.js';
import { ToolCatalog } from '../../normalize/tool-catalog.js';

/** Sessions whose agent run ended in an error (root span status ERROR), by session key and by trace id. */
export interface AgentErrors {
  readonly sessions: ReadonlySet<string>;
  readonly traces: ReadonlySet<string>;
}

/**
 * Scans OTLP/JSON lines files for session roots with status ERROR. AgentDojo records an attacked run that
 * stopped on an API error as a success although no malicious call was made; the protocol leaves them out.
 */
export async function readAgentErrors(files: readonly string[], onLine: (file: string, line: number) => void = () => {}): Promise<AgentErrors> {
  const normalizer = new SpanNormalizer(new ToolCatalog());
  const sessions = new Set<string>();
  const traces = new Set<string>();
  for (const file of files) {
    for await (const item of readOtlpJsonLines(file)) {
      onLine(file, item.line);
      if (item.batch === undefined) continue;
      for (const event of normalizer.normalize(item.batch.spans).events) {
        if (event.type !== 'session_root' || event.status !== 'error') continue;
        sessions.add(event.sessionId);
        traces.add(event.traceId.toLowerCase());
      }
    }
  }
  return { sessions, traces };
}
