import type { AttributeValue } from '../../ingest/otlp/types.js';
import type { ToolDefinition } from '../events.js';
import { isAttributeMap } from './attribute-values.js';

/*
 * JSON the conventions carry in attributes: tool arguments, prompts (message lists in several shapes)
 * and tool definitions. Only these are parsed; results never are.
 */

const MAX_DEPTH = 6;
const MAX_DEFINITIONS = 1_000;

/**
 * Arguments as the producer sent them: JSON text parsed, structured attributes as they are, other text
 * (or JSON that does not parse) kept as the raw string; null when absent.
 */
export function parseArguments(value: AttributeValue | undefined): unknown {
  if (value === undefined) return null;
  if (typeof value !== 'string') return value;
  return looksLikeJsonContainer(value) ? parseOrRaw(value) : value;
}

/** A value that was written with JSON.stringify (any JSON value), or the raw text if it was not. */
export function parseJsonValue(text: string): unknown {
  const first = firstSignificantChar(text);
  // A letter other than those of true/false/null means plain text: no exception to pay for.
  const letter = (first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z');
  if (first === '' || (letter && first !== 't' && first !== 'f' && first !== 'n')) return text;
  return parseOrRaw(text);
}

/** Parsed JSON when `text` is an object or array, else undefined. */
export function parseJsonContainer(text: string): unknown {
  if (!looksLikeJsonContainer(text)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The user's prompt in a prompt-ish value: plain text, a JSON string, a message list
 * (`[{role:'user', content|parts}]`, LangChain messages), or an object wrapping one
 * (`{messages}`, `{input}`, `{query}`, `{args, kwargs}`, `{inputs}`). JSON that holds no user text is
 * returned as it was written, so the prompt is never silently lost.
 */
export function promptText(value: AttributeValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') {
    const first = firstSignificantChar(value);
    if (first !== '{' && first !== '[' && first !== '"') return value;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      return value;
    }
    return userText(parsed, 0) || value;
  }
  return userText(value, 0);
}

/** Tool definitions in `[{name, description}]` or `[{type:'function', function:{name, description}}]`. */
export function toolDefinitions(value: unknown): ToolDefinition[] {
  const list = typeof value === 'string' ? parseJsonContainer(value) : value;
  const items = Array.isArray(list) ? list : isAttributeMap(list) && Array.isArray(list.tools) ? list.tools : [];
  const definitions: ToolDefinition[] = [];
  for (const item of items as unknown[]) {
    if (definitions.length >= MAX_DEFINITIONS) break;
    const definition = toolDefinition(item);
    if (definition !== undefined) definitions.push(definition);
  }
  return definitions;
}

export function toolDefinition(item: unknown): ToolDefinition | undefined {
  if (!isObject(item)) return undefined;
  const fn = isObject(item.function) ? item.function : item;
  const name = fn.name;
  if (typeof name !== 'string' || name === '') return undefined;
  const description = typeof fn.description === 'string' ? fn.description : '';
  return { name, description };
}

const TEXT_KEYS = ['input', 'query', 'question', 'prompt', 'user_input', 'message', 'content', 'text'] as const;
const WRAPPER_KEYS = ['messages', 'inputs', 'kwargs', 'args', 'arguments'] as const;

function userText(value: unknown, depth: number): string {
  if (typeof value === 'string') return value;
  if (depth > MAX_DEPTH) return '';
  if (Array.isArray(value)) return messagesText(value, depth + 1);
  if (!isObject(value)) return '';
  if (isMessage(value)) return isUserMessage(value) ? messageText(value) : '';
  for (const key of TEXT_KEYS) {
    if (key in value) {
      const text = userText(value[key], depth + 1);
      if (text !== '') return text;
    }
  }
  for (const key of WRAPPER_KEYS) {
    if (key in value) {
      const text = userText(value[key], depth + 1);
      if (text !== '') return text;
    }
  }
  return '';
}

/** The first user message's text; for a list of plain values (positional args), the first text. */
function messagesText(items: readonly unknown[], depth: number): string {
  if (depth > MAX_DEPTH) return '';
  for (const item of items) {
    if (Array.isArray(item)) {
      const text = messagesText(item, depth + 1);
      if (text !== '') return text;
    } else if (isObject(item) && isMessage(item)) {
      if (isUserMessage(item)) return messageText(item);
    }
  }
  for (const item of items) {
    if (!(isObject(item) && isMessage(item))) {
      const text = userText(item, depth + 1);
      if (text !== '') return text;
    }
  }
  return '';
}

export type JsonObject = { readonly [key: string]: unknown };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function isMessage(value: JsonObject): boolean {
  return typeof value.role === 'string' || (value.lc !== undefined && Array.isArray(value.id));
}

function isUserMessage(message: JsonObject): boolean {
  if (message.role === 'user' || message.role === 'human') return true;
  // LangChain's serialized form: {lc: 1, type: 'constructor', id: [..., 'HumanMessage'], kwargs: {content}}
  return Array.isArray(message.id) && message.id[message.id.length - 1] === 'HumanMessage';
}

function messageText(message: JsonObject): string {
  const content = message.content ?? message.parts ?? (isObject(message.kwargs) ? message.kwargs.content : undefined);
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  for (const part of content as unknown[]) {
    if (typeof part === 'string') return part;
    if (isObject(part) && (part.type === undefined || part.type === 'text' || part.type === 'input_text')) {
      const text = part.content ?? part.text;
      if (typeof text === 'string') return text;
    }
  }
  return '';
}

function looksLikeJsonContainer(text: string): boolean {
  const first = firstSignificantChar(text);
  return first === '{' || first === '[';
}

function firstSignificantChar(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // space, tab, line feed, carriage return
    if (code !== 32 && code !== 9 && code !== 10 && code !== 13) return text[i]!;
  }
  return '';
}

function parseOrRaw(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
