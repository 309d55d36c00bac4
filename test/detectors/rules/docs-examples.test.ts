import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileRuleSources, formatDiagnostic } from '../../../src/detectors/rules/index.js';
import { formatReport } from '../../../src/detectors/rules/report.js';
import { sessionOf, toolCall } from '../../helpers/tool-calls.js';
import { engineOf, run } from './harness.js';

const DOC = readFileSync(new URL('../../../docs/rules.md', import.meta.url), 'utf8');

interface Block {
  readonly info: string;
  readonly text: string;
  readonly line: number;
  /** Text since the previous block (to spot markers). */
  readonly before: string;
}

function blocks(): Block[] {
  const out: Block[] = [];
  const fence = /^```([^\n]*)\n([\s\S]*?)^```$/gm;
  let last = 0;
  for (const match of DOC.matchAll(fence)) {
    out.push({
      info: match[1]!.trim(),
      text: match[2]!,
      line: DOC.slice(0, match.index).split('\n').length,
      before: DOC.slice(last, match.index),
    });
    last = match.index! + match[0].length;
  }
  return out;
}

const all = blocks();
const yamlBlocks = all.filter((b) => b.info === 'yaml');

describe('docs/rules.md examples', () => {
  it('has examples', () => {
    expect(yamlBlocks.length).toBeGreaterThan(15);
  });

  it.each(yamlBlocks.map((b, i) => [b.line, i] as const))('the yaml block at line %i compiles without errors or warnings', (_line, i) => {
    const block = yamlBlocks[i]!;
    const sources = [{ file: 'docs.yaml', text: block.text }];
    // A block that tunes "the file above" is loaded after it, as a local file would be.
    if (block.text.startsWith('# rules/local.yaml')) sources.unshift({ file: 'base.yaml', text: yamlBlocks[i - 1]!.text });
    const result = compileRuleSources(sources);
    expect([...result.errors, ...result.warnings].map(formatDiagnostic)).toEqual([]);
  });

  it('the broken example produces exactly the report shown after it', () => {
    const index = all.findIndex((b) => b.info === 'yaml broken');
    const broken = all[index]!;
    const report = all[index + 1]!;
    expect(report.info).toBe('text');
    const result = compileRuleSources([{ file: 'rules/local.yaml', text: broken.text }]);
    expect(formatReport(result.errors, result.warnings, 'rules: failed')).toBe(report.text.trimEnd());
  });

  it('the deployment rules with tool names detect the data massage chain, and not its benign variant', () => {
    const block = all.find((b) => b.before.includes('<!-- deployment-rules -->'))!;
    const { detector } = engineOf([{ file: 'deployment.yaml', text: block.text }]);
    const massage = sessionOf([
      toolCall({ tool: 'read_entitlements' }),
      toolCall({ tool: 'query_customer_pii' }),
      toolCall({ tool: 'code_interpreter' }),
      toolCall({ tool: 'create_shareable_link' }),
    ]);
    const findings = run(detector, massage);
    expect(findings.find((f) => f.id === 'crm-data-massage')).toMatchObject({ severity: 'critical', callIndex: 3 });
    const benign = sessionOf([
      toolCall({ tool: 'read_entitlements' }),
      toolCall({ tool: 'code_interpreter' }),
      toolCall({ tool: 'render_chart' }),
    ]);
    expect(run(detector, benign)).toEqual([]);
  });
});
