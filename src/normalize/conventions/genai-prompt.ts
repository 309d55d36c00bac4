import type { Attributes } from '../../ingest/otlp/types.js';
import { textAttribute } from './attribute-values.js';
import { promptText } from './json-values.js';

const MAX_INDEXED_PROMPTS = 64;

/**
 * `gen_ai.input.messages`, else the older `gen_ai.prompt` (one text, or indexed `gen_ai.prompt.<i>.*`,
 * as Traceloop's model-call spans still write it).
 */
export function messagesPrompt(attributes: Attributes): string {
  const fromMessages = promptText(attributes['gen_ai.input.messages']);
  if (fromMessages !== '') return fromMessages;
  const fromPrompt = promptText(attributes['gen_ai.prompt']);
  if (fromPrompt !== '') return fromPrompt;
  for (let i = 0; i < MAX_INDEXED_PROMPTS; i++) {
    const role = attributes[`gen_ai.prompt.${i}.role`];
    if (role === undefined) break;
    if (role === 'user') return textAttribute(attributes, `gen_ai.prompt.${i}.content`);
  }
  return '';
}
