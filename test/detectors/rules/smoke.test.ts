import { describe, expect, it } from 'vitest';
import { engineOf, ruleFile, run, yaml } from './harness.js';
import { sessionOf, toolCall } from '../../helpers/tool-calls.js';

describe('smoke', () => {
  it('matches a sequence', () => {
    const { detector } = engineOf(
      ruleFile(yaml`
        - rule: read-then-send
          description: Private data read, then sent out
          severity: high
          sequence:
            maxspan: 5m
            steps:
              - match: {category: pii_access}
              - match: {category: external_communication}
      `),
    );
    const session = sessionOf([
      toolCall({ tool: 'lookup', category: 'pii_access' }),
      toolCall({ tool: 'noise' }),
      toolCall({ tool: 'send', category: 'external_communication', effect: 'send' }),
    ]);
    const findings = run(detector, session);
    console.log(findings);
    expect(findings.map((f) => f.id)).toEqual(['read-then-send']);
  });
});
