// Chat templates, as transformers 5 applies them: a Jinja template from the tokenizer folder
// (chat_template.jinja, additional_chat_templates/*.jinja, or tokenizer_config.json's
// chat_template, a string or a list of named ones) renders a conversation to text, which the
// tokenizer then encodes without adding special tokens (the template writes them). The Jinja
// is Hugging Face's own JavaScript implementation, npm @huggingface/jinja, the one
// transformers.js renders chat templates with (docs/tokenizers.md says why).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Template } from '@huggingface/jinja';
import { checkBoolean, checkOptions, describe, fail, failRange, optionKeys } from '../core/validate.js';
import { Tensor } from '../ops/tensor.js';
import type { HfBatchEncoding, HfTokenizeOptions } from './tokenizer.js';

/** One message of a conversation: a role and its content (a string, or a list of content blocks), and whatever else the template reads. */
export interface HfChatMessage {
  role: string;
  content?: unknown;
  [key: string]: unknown;
}

/** Options of `apply_chat_template`, transformers 5's names and defaults. */
export interface HfChatTemplateOptions {
  /** A template, or the name of one of the folder's named templates; default: the folder's ('default' among named ones). */
  chat_template?: string;
  /** Whether the template adds the start of an assistant turn (templates read it as `add_generation_prompt`). Default false. */
  add_generation_prompt?: boolean;
  /** Leave the last message open for the model to continue: true for its `content`, or the name of another field. */
  continue_final_message?: boolean | string;
  /** Tools as JSON schemas, passed to the template as `tools` (a 'tool_use' template is chosen where the folder has one). */
  tools?: readonly Record<string, unknown>[];
  /** Documents for retrieval-augmented templates, passed as `documents`. */
  documents?: readonly Record<string, unknown>[];
  /** More variables for the template, as transformers' **kwargs (`enable_thinking: false`); they override the special tokens. */
  chat_template_kwargs?: Record<string, unknown>;
  /** Default true: the rendered text's ids (encoded without adding special tokens); false: the text. */
  tokenize?: boolean;
  /** With tokenize: default true, the tokenizer call's result; false: its input_ids only. */
  return_dict?: boolean;
  /** The masks of `{% generation %}` blocks: not implemented (@huggingface/jinja has no such tag), false only. */
  return_assistant_tokens_mask?: false;
  padding?: HfTokenizeOptions['padding'];
  truncation?: HfTokenizeOptions['truncation'];
  max_length?: number;
  return_tensors?: 'pt';
}

const KEYS = optionKeys<HfChatTemplateOptions>({
  chat_template: true, add_generation_prompt: true, continue_final_message: true, tools: true, documents: true, chat_template_kwargs: true,
  tokenize: true, return_dict: true, return_assistant_tokens_mask: true, padding: true, truncation: true, max_length: true, return_tensors: true,
});

/** A folder's chat template: one, or several by name. */
export type ChatTemplates = string | Readonly<Record<string, string>> | null;

/**
 * The folder's chat templates as transformers 5 reads them: chat_template.jinja and
 * additional_chat_templates/*.jinja, when present, take the place of tokenizer_config.json's
 * `chat_template` (a string, or a list of `{ name, template }`).
 */
export function readChatTemplates(folder: string, config: Record<string, unknown>): ChatTemplates {
  const files: Record<string, string> = {};
  if (existsSync(join(folder, 'chat_template.jinja'))) files.default = readFileSync(join(folder, 'chat_template.jinja'), 'utf8');
  const extra = join(folder, 'additional_chat_templates');
  if (existsSync(extra)) {
    for (const name of readdirSync(extra).filter((file) => file.endsWith('.jinja'))) files[name.slice(0, -'.jinja'.length)] = readFileSync(join(extra, name), 'utf8');
  }
  const names = Object.keys(files);
  if (names.length > 0) return names.length === 1 && names[0] === 'default' ? files.default! : files;
  return givenTemplates(config.chat_template, "tokenizer_config.json's chat_template");
}

/** A chat template as given: a string, a list of `{ name, template }` (tokenizer_config.json's form), or a name -> template object. */
export function givenTemplates(value: unknown, name: string): ChatTemplates {
  if (value === undefined || value === null || typeof value === 'string') return value ?? null;
  const entries = Array.isArray(value)
    ? value.map((entry: unknown, i) => {
      const { name: key, template } = (entry ?? {}) as Record<string, unknown>;
      return typeof key === 'string' && typeof template === 'string' ? [key, template] : fail('{ name, template } with two strings', `${name}[${i}]`, entry);
    })
    : typeof value === 'object' ? Object.entries(value) : fail('a string or a list of { name, template }', name, value);
  entries.forEach(([key, template]) => typeof template === 'string' || fail('a template string', `${name}.${String(key)}`, template));
  return Object.fromEntries(entries) as Record<string, string>;
}

/** transformers' `get_chat_template`: the option (a template or a template's name), else the folder's. */
function chooseTemplate(templates: ChatTemplates, given: string | undefined, tools: boolean): string {
  if (templates !== null && typeof templates === 'object') {
    if (given !== undefined) return templates[given] ?? given;
    const chosen = (tools ? templates.tool_use : undefined) ?? templates.default;
    if (chosen === undefined) {
      failRange(`a chat_template option: this tokenizer has several templates and none named default (${Object.keys(templates).sort().join(', ')})`, 'chat_template', given);
    }
    return chosen;
  }
  if (given !== undefined) return given;
  if (templates === null) {
    return failRange("a chat_template option: this tokenizer has no chat template (none in tokenizer_config.json, no chat_template.jinja)", 'chat_template', given);
  }
  return templates;
}

/** The name the template's calls of raise_exception are given, so that ours answers them. */
const RAISE = '__torchlora_raise_exception';

/**
 * @huggingface/jinja declares its own raise_exception (a plain Error, like its other runtime
 * errors) and refuses a variable of that name: the parsed template's identifiers are renamed
 * instead, so that the template's own refusals can be told from errors in the template.
 */
function renameRaise(node: unknown, seen: Set<object>): void {
  if (typeof node !== 'object' || node === null || seen.has(node)) return;
  seen.add(node);
  const identifier = node as { type?: unknown; value?: unknown };
  if (identifier.type === 'Identifier' && identifier.value === 'raise_exception') identifier.value = RAISE;
  for (const child of Object.values(node)) renameRaise(child, seen);
}

type Jinja = typeof import('@huggingface/jinja');
let jinja: Jinja | undefined;
/** @huggingface/jinja, required on first use, as npm tokenizers is: `import 'torchlora'` needs neither to load. */
const jinjaPackage = (): Jinja => (jinja ??= createRequire(import.meta.url)('@huggingface/jinja') as Jinja);

const compiled = new Map<string, Template>();
/** The template parsed once per text, as transformers caches its compiled templates. */
function parsed(source: string): Template {
  let template = compiled.get(source);
  if (template === undefined) {
    try {
      template = new (jinjaPackage().Template)(source);
    } catch (error) {
      return failRange(`a Jinja template that @huggingface/jinja parses (${(error as Error).message})`, 'chat_template', source.length > 60 ? `${source.slice(0, 60)}...` : source);
    }
    renameRaise(template.parsed, new Set());
    compiled.set(source, template);
  }
  return template;
}

/** What the tokenizer gives its chat template: its special tokens, and a call to encode the text. */
export interface ChatTemplateHost {
  templates: ChatTemplates;
  special_tokens: Record<string, string | null>;
  encode(texts: string | string[], options: HfTokenizeOptions): Promise<HfBatchEncoding<unknown>>;
}

/** A conversation (an array of messages) or a batch of them. */
function conversations(messages: unknown): { batch: readonly (readonly HfChatMessage[])[]; single: boolean } {
  if (!Array.isArray(messages)) fail('an array of messages, or an array of such arrays', 'messages', messages);
  if (messages.length === 0) failRange('at least one message (transformers: cannot apply a chat template to an empty conversation)', 'messages', messages);
  const single = !Array.isArray(messages[0]);
  const batch = (single ? [messages] : messages) as unknown[][];
  batch.forEach((chat, c) => {
    const where = single ? 'messages' : `messages[${c}]`;
    if (!Array.isArray(chat) || chat.length === 0) failRange('a non-empty array of messages', where, chat);
    chat.forEach((message, i) => {
      if (typeof message !== 'object' || message === null || Array.isArray(message) || typeof (message as HfChatMessage).role !== 'string') {
        fail('a message object with a string role', `${where}[${i}]`, message);
      }
    });
  });
  return { batch: batch as HfChatMessage[][], single };
}

/** transformers' mark for the end of a message to continue, cut from the rendered text. */
const CONTINUE_TAG = 'CONTINUE_FINAL_MESSAGE_TAG ';

/** Renders one conversation; a `continue_final_message` conversation is cut where its last message's text ends. */
function render(template: Template, chat: readonly HfChatMessage[], variables: Record<string, unknown>, continueField: string | null, source: string): string {
  let messages = chat;
  let final = '';
  if (continueField !== null) {
    const last = chat.at(-1)!;
    const content = last[continueField];
    if (content === undefined || content === null) failRange(`a last message with a ${JSON.stringify(continueField)} to continue`, 'continue_final_message', continueField);
    if (!source.includes(continueField)) failRange(`a field the chat template reads (${JSON.stringify(continueField)} is not in it)`, 'continue_final_message', continueField);
    let marked: unknown;
    if (Array.isArray(content)) {
      const blocks = content.map((block: unknown) => ({ ...(block as object) })) as Record<string, unknown>[];
      const block = [...blocks].reverse().find((item) => typeof item.text === 'string');
      if (block === undefined) failRange('a last message with a text block to continue', 'continue_final_message', continueField);
      final = block.text as string;
      block.text = `${final}${CONTINUE_TAG}`;
      marked = blocks;
    } else {
      final = String(content);
      marked = `${final}${CONTINUE_TAG}`;
    }
    messages = [...chat.slice(0, -1), { ...last, [continueField]: marked }];
  }
  let text: string;
  try {
    text = template.render({ ...variables, messages });
  } catch (error) {
    if (error instanceof TemplateRaised) throw new RangeError(`Expected messages that the chat template accepts for apply_chat_template messages but received ${describe(chat)}: the template raised "${error.message}"`);
    return failRange(`a chat template that @huggingface/jinja renders (${(error as Error).message})`, 'chat_template', source.length > 60 ? `${source.slice(0, 60)}...` : source);
  }
  if (continueField === null) return text;
  const tag = CONTINUE_TAG.trim();
  if (!text.includes(final.trim()) || !text.includes(tag)) {
    failRange('a chat template that keeps the final message, to continue it', 'continue_final_message', continueField);
  }
  const at = text.lastIndexOf(tag);
  // A template that strips the message's trailing space loses the tag's: cut more carefully, as transformers does.
  return text.startsWith(CONTINUE_TAG, at) ? text.slice(0, at) : text.slice(0, at).trimEnd();
}

/** `raise_exception(message)` in a template: the conversation is refused, with the template's words. */
class TemplateRaised extends Error {}
const raise_exception = (message: unknown): never => {
  throw new TemplateRaised(String(message));
};

/** `tokenizer.apply_chat_template(messages, options)`, transformers 5's. */
export function applyChatTemplate(host: ChatTemplateHost, messages: unknown, options: HfChatTemplateOptions | undefined): string | string[] | Promise<unknown> {
  const given = checkOptions(options, KEYS, 'apply_chat_template');
  const { add_generation_prompt = false, continue_final_message = false, tokenize = true, return_assistant_tokens_mask = false } = given;
  checkBoolean(add_generation_prompt, 'add_generation_prompt');
  checkBoolean(tokenize, 'tokenize');
  if (return_assistant_tokens_mask !== false) failRange("false (assistant tokens' masks are not implemented: @huggingface/jinja has no {% generation %} tag)", 'return_assistant_tokens_mask', return_assistant_tokens_mask);
  if (typeof continue_final_message !== 'boolean' && typeof continue_final_message !== 'string') fail('a boolean or the name of a message field', 'continue_final_message', continue_final_message);
  if (continue_final_message !== false && add_generation_prompt) {
    failRange('false with add_generation_prompt (continue the last message, or start a new one; not both)', 'continue_final_message', continue_final_message);
  }
  const return_dict = given.return_dict ?? true;
  checkBoolean(return_dict, 'return_dict');
  if (given.chat_template !== undefined && typeof given.chat_template !== 'string') fail('a template or the name of one', 'chat_template', given.chat_template);
  const { chat_template_kwargs = {}, tools, documents } = given;
  if (typeof chat_template_kwargs !== 'object' || chat_template_kwargs === null || Array.isArray(chat_template_kwargs)) fail('an object of template variables', 'chat_template_kwargs', chat_template_kwargs);
  for (const [list, name] of [[tools, 'tools'], [documents, 'documents']] as const) {
    if (list === undefined) continue;
    if (!Array.isArray(list)) fail('an array of objects', name, list);
    list.forEach((item: unknown, i) => (typeof item === 'object' && item !== null && !Array.isArray(item)) || fail(name === 'tools' ? 'a JSON schema object' : 'an object', `${name}[${i}]`, item));
  }
  if (!tokenize) {
    for (const key of ['padding', 'truncation', 'max_length', 'return_tensors'] as const) {
      if (given[key] !== undefined) failRange('tokenize: true (it applies to the ids, and tokenize is false)', key, given[key]);
    }
  }
  const { batch, single } = conversations(messages);
  const source = chooseTemplate(host.templates, given.chat_template, tools !== undefined);
  const template = parsed(source);
  const specials = Object.fromEntries(Object.entries(host.special_tokens).filter(([, token]) => token !== null));
  const variables = {
    ...specials, ...chat_template_kwargs, [RAISE]: raise_exception, tools: tools ?? null, documents: documents ?? null, add_generation_prompt,
  };
  const continueField = continue_final_message === false ? null : continue_final_message === true ? 'content' : continue_final_message;
  const rendered = batch.map((chat) => render(template, chat, variables, continueField, source));
  if (!tokenize) return single ? rendered[0]! : rendered;
  const { padding, truncation, max_length, return_tensors } = given;
  // transformers' truncation defaults to false here, not None: max_length alone does not truncate a chat.
  const call: HfTokenizeOptions = { add_special_tokens: false, truncation: truncation ?? false };
  if (padding !== undefined) call.padding = padding;
  if (max_length !== undefined) call.max_length = max_length;
  if (return_tensors !== undefined) call.return_tensors = return_tensors;
  return host.encode(single ? rendered[0]! : rendered, call).then((out) => {
    if (return_dict) return out;
    // Only input_ids is returned: the other Tensors are released now, not left to the collector.
    for (const [key, value] of Object.entries(out)) if (key !== 'input_ids' && value instanceof Tensor) value.dispose();
    return out.input_ids;
  });
}
