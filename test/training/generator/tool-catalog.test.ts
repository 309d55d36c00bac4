import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TOOL_CATEGORIES, TOOL_EFFECTS } from '../../../src/normalize/events.js';
import {
  renderToolCatalogYaml,
  serverAddress,
  TOOL_SPECS,
  toolDefinitions,
} from '../../../src/training/generator/tool-catalog.js';

interface CatalogEntry {
  category: string;
  effect: string;
  sensitive?: boolean;
  cost?: number;
  server: string;
}

describe('tool catalog', () => {
  const parsed = parse(renderToolCatalogYaml()) as { tools: Record<string, CatalogEntry> };

  it('lists every tool once with a known category and effect', () => {
    expect(Object.keys(parsed.tools).sort()).toEqual(TOOL_SPECS.map((t) => t.name).sort());
    for (const entry of Object.values(parsed.tools)) {
      expect(TOOL_CATEGORIES).toContain(entry.category);
      expect(TOOL_EFFECTS).toContain(entry.effect);
    }
  });

  it('writes sensitive and cost only where they apply, with the server address', () => {
    for (const spec of TOOL_SPECS) {
      const entry = parsed.tools[spec.name]!;
      expect(entry.sensitive).toBe(spec.sensitive ? true : undefined);
      expect(entry.cost).toBe(spec.cost > 0 ? spec.cost : undefined);
      expect(entry.server).toBe(serverAddress(spec.family));
    }
  });

  it('turns parameters into JSON schemas for tools/list', () => {
    const runQuery = toolDefinitions('db').find((d) => (d as { name: string }).name === 'run_query') as {
      parameters: { properties: Record<string, { type: string }>; required: string[] };
    };
    expect(runQuery.parameters.properties['sql']).toEqual({ type: 'string' });
    expect(runQuery.parameters.properties['limit']).toEqual({ type: 'integer' });
    expect(runQuery.parameters.required).toEqual(['sql']);
  });
});
