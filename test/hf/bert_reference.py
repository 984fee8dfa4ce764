# transformers' BERT on tiny random checkpoints, for test/hf/bert.test.ts: makes each checkpoint
# with save_pretrained in OUT/<name>, and writes OUT/<name>/reference.safetensors with the inputs
# it used and transformers' outputs (the encoder's hidden states and pooled output, the head's
# logits with and without padding and token types, and the head's loss for labels), and its
# state_dict's names as metadata.
# Usage: python bert_reference.py OUT
import json
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import BertConfig, BertForMaskedLM, BertForQuestionAnswering, BertForSequenceClassification, BertForTokenClassification

torch.set_num_threads(1)
out = Path(sys.argv[1])
SIZES = dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64, max_position_embeddings=64)

CHECKPOINTS = {
    # single-label classification, transformers' defaults but for the sizes
    "classifier": (BertForSequenceClassification, dict(num_labels=3)),
    # the fields BERT reads at other values, multi-label
    "variant": (BertForSequenceClassification, dict(num_labels=2, hidden_act="gelu_new", layer_norm_eps=1e-7, pad_token_id=1,
                                                    type_vocab_size=3, classifier_dropout=0.2, problem_type="multi_label_classification")),
    "mlm": (BertForMaskedLM, dict()),
    "tagger": (BertForTokenClassification, dict(num_labels=5)),
    "reader": (BertForQuestionAnswering, dict()),
}


def scores(output):
    """The head's scores; a reader's start and end logits stacked as positions x 2."""
    return torch.stack([output.start_logits, output.end_logits], -1) if hasattr(output, "start_logits") else output.logits


for seed, (name, (head, fields)) in enumerate(CHECKPOINTS.items()):
    torch.manual_seed(seed)
    model = head(BertConfig(**SIZES, **fields)).eval()
    model.save_pretrained(out / name)
    input_ids = torch.randint(2, 99, (2, 8))
    token_type_ids = torch.zeros(2, 8, dtype=torch.int64)
    token_type_ids[:, 5:] = 1
    # right padding on the second row, as a tokenizer pads a batch
    attention_mask = torch.ones(2, 8, dtype=torch.int64)
    attention_mask[1, 5:] = 0
    if head is BertForMaskedLM:
        labels = torch.full((2, 8), -100)
        labels[0, 2], labels[1, 1] = 7, 11
    elif head is BertForTokenClassification:
        labels = torch.randint(0, 5, (2, 8)).masked_fill(attention_mask.eq(0), -100)
    elif head is BertForQuestionAnswering:
        labels = torch.tensor([[1, 3], [9, 6]])  # start, end; 9 is past the sequence: ignored
    elif model.config.problem_type == "multi_label_classification":
        labels = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    else:
        labels = torch.tensor([2, 0])
    with torch.no_grad():
        encoded = model.bert(input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        given = dict(start_positions=labels[:, 0], end_positions=labels[:, 1]) if head is BertForQuestionAnswering else dict(labels=labels)
        output = model(input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, **given)
        plain = scores(model(input_ids))
    tensors = {
        "input_ids": input_ids, "token_type_ids": token_type_ids, "attention_mask": attention_mask, "labels": labels,
        "last_hidden_state": encoded.last_hidden_state, "logits": scores(output), "plain_logits": plain, "loss": output.loss.reshape(1),
    }
    if encoded.pooler_output is not None:
        tensors["pooler_output"] = encoded.pooler_output
    metadata = {"state_dict_keys": json.dumps(list(model.state_dict().keys()))}
    save_file({key: value.contiguous() for key, value in tensors.items()}, str(out / name / "reference.safetensors"), metadata)
print("ok")
