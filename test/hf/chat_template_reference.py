"""transformers' apply_chat_template on real-world templates, for test/hf/chat_template.test.ts.

Usage: chat_template_reference.py SOTU_DATA_DIR OUT_DIR

Trains a small byte-level BPE on a few State of the Union addresses, with the special tokens the
templates write, and saves it as tokenizer folders holding chat templates in each place
transformers 5 reads them: chat_template.jinja (as save_pretrained writes one), named templates
in additional_chat_templates/, and tokenizer_config.json's chat_template as a string or a list of
{name, template}. Prints one JSON object: the folders, and for each (folder, conversation,
options) what apply_chat_template returns, or the message of what it raised.
"""
import json
import os
import sys

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

SOTU, OUT = sys.argv[1], sys.argv[2]

# Templates as their models' tokenizer_config.json files hold them.
# Qwen2-Instruct: ChatML, with a default system message when the conversation has none.
QWEN2 = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
         "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
         "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
         "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
# Meta-Llama-3-Instruct.
LLAMA3 = ("{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + "
          "message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
          "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
          "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")
# Mistral-7B-Instruct-v0.1: raises on a system message or roles out of turn.
MISTRAL = ("{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
           "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
           "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
           "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + ' ' }}"
           "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}")
# Llama-2-chat: the system message folded into the first user turn, str.strip() on contents.
LLAMA2 = ("{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}"
          "{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
          "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
          "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
          "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + "
          "message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}"
          "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
          "{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}")
# Qwen2.5-Instruct's tool-use template: tools as JSON (tojson), assistant tool calls, tool responses.
QWEN25_TOOLS = """{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
    {%- else %}
        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\\n<tool_call>\\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- message.content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""

SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|begin_of_text|>', '<|start_header_id|>', '<|end_header_id|>',
            '<|eot_id|>', '<s>', '</s>']

CONVERSATIONS = {
    'one_turn': [{'role': 'user', 'content': 'What is the state of the Union?'}],
    'with_system': [
        {'role': 'system', 'content': 'You answer as a clerk of the House, in one sentence.'},
        {'role': 'user', 'content': 'Who delivered the address in 1790?  '},
        {'role': 'assistant', 'content': ' George Washington, in New York. '},
        {'role': 'user', 'content': 'Et en français ? Café, naïve — 中文, 👍🏽.'},
    ],
    'alternating': [
        {'role': 'user', 'content': 'Name a year.'},
        {'role': 'assistant', 'content': 'The year 1823, when the Monroe'},
    ],
    'out_of_turn': [{'role': 'user', 'content': 'One.'}, {'role': 'user', 'content': 'Two.'}],
    'tool_calls': [
        {'role': 'user', 'content': 'How many addresses were given in 1946?'},
        {'role': 'assistant', 'content': '', 'tool_calls': [
            {'type': 'function', 'function': {'name': 'count_addresses', 'arguments': {'year': 1946, 'spoken': True}}}]},
        {'role': 'tool', 'content': '{"count": 1}'},
    ],
}
TOOLS = [{'type': 'function', 'function': {
    'name': 'count_addresses', 'description': 'Counts the addresses of a year — «exactly».',
    'parameters': {'type': 'object', 'properties': {'year': {'type': 'integer'}, 'spoken': {'type': 'boolean'}}, 'required': ['year']}}}]

# (options as the TypeScript call writes them, the keyword arguments of Python's call).
CALLS = [
    ({'tokenize': False}, {'tokenize': False}),
    ({'tokenize': False, 'add_generation_prompt': True}, {'tokenize': False, 'add_generation_prompt': True}),
    ({}, {}),
    ({'add_generation_prompt': True, 'return_dict': False}, {'add_generation_prompt': True, 'return_dict': False}),
    ({'tokenize': False, 'continue_final_message': True}, {'tokenize': False, 'continue_final_message': True}),
    ({'tokenize': False, 'chat_template_kwargs': {'bos_token': '<BOS>', 'eos_token': '<EOS>'}},
     {'tokenize': False, 'bos_token': '<BOS>', 'eos_token': '<EOS>'}),
    ({'tokenize': False, 'tools': TOOLS}, {'tokenize': False, 'tools': TOOLS}),
    ({'max_length': 12}, {'max_length': 12}),
    ({'truncation': True, 'max_length': 12, 'return_dict': False}, {'truncation': True, 'max_length': 12, 'return_dict': False}),
]


def corpus():
    files = sorted(name for name in os.listdir(SOTU) if name.endswith('.txt'))[::10]
    return [open(os.path.join(SOTU, name), encoding='utf-8').read() for name in files]


def main():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1500, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(corpus(), trainer)

    def folder(name, template, **tokens):
        path = os.path.join(OUT, name)
        PreTrainedTokenizerFast(tokenizer_object=tok, chat_template=template, pad_token='<|endoftext|>', **tokens).save_pretrained(path)
        return path

    def into_config(path, value):
        """Moves the template from chat_template.jinja into tokenizer_config.json, as transformers 4 kept it."""
        os.remove(os.path.join(path, 'chat_template.jinja'))
        with open(os.path.join(path, 'tokenizer_config.json')) as f:
            config = json.load(f)
        config['chat_template'] = value
        with open(os.path.join(path, 'tokenizer_config.json'), 'w') as f:
            json.dump(config, f)

    folders = {
        'qwen2': folder('qwen2', QWEN2, eos_token='<|im_end|>'),
        'llama3': folder('llama3', LLAMA3, bos_token='<|begin_of_text|>', eos_token='<|eot_id|>'),
        'mistral': folder('mistral', MISTRAL, bos_token='<s>', eos_token='</s>'),
        'llama2': folder('llama2', LLAMA2, bos_token='<s>', eos_token='</s>'),
        # Named templates, as save_pretrained writes them: chat_template.jinja and additional_chat_templates/tool_use.jinja.
        'qwen25_files': folder('qwen25_files', {'default': QWEN2, 'tool_use': QWEN25_TOOLS}, eos_token='<|im_end|>'),
        'qwen25_config': folder('qwen25_config', QWEN2, eos_token='<|im_end|>'),
    }
    into_config(folders['qwen2'], QWEN2)
    into_config(folders['mistral'], MISTRAL)
    into_config(folders['qwen25_config'], [{'name': 'default', 'template': QWEN2}, {'name': 'tool_use', 'template': QWEN25_TOOLS}])

    cases = []
    for name, path in folders.items():
        tokenizer = AutoTokenizer.from_pretrained(path)
        for conversation, messages in CONVERSATIONS.items():
            for options, kwargs in CALLS:
                try:
                    out = tokenizer.apply_chat_template(messages, **kwargs)
                    result = {'output': dict(out) if hasattr(out, 'keys') else out}
                except Exception as error:
                    result = {'error': str(error)}
                cases.append({'folder': name, 'conversation': conversation, 'options': options, **result})
        # A batch of two conversations, padded to one length.
        batch = [CONVERSATIONS['one_turn'], CONVERSATIONS['alternating']]
        out = tokenizer.apply_chat_template(batch, padding=True)
        cases.append({'folder': name, 'conversation': ['one_turn', 'alternating'], 'options': {'padding': True}, 'output': dict(out)})
        text = tokenizer.apply_chat_template(batch, tokenize=False)
        cases.append({'folder': name, 'conversation': ['one_turn', 'alternating'], 'options': {'tokenize': False}, 'output': text})
    sys.stdout.write(json.dumps({'folders': folders, 'conversations': CONVERSATIONS, 'cases': cases}))


main()
