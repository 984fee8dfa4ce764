"""Python twins of the cases in recurrent.parity.test.ts: nn.RNN, torch.nn.utils.rnn's
sequence functions, and the recurrent layers on a PackedSequence, made the PyTorch way under
the same seed and run forward and backward as forward_backward() there runs them."""
import torch
from torch import nn
from torch.nn.utils import rnn as rnn_utils

from cases_nn import forward_backward
from reference import case


def steps(name, make, forward):
    def run(**inputs):
        module = make()
        return forward_backward(module, forward(module, **inputs))
    case(f"recurrent.{name}")(run)


def rnn(module, x, h=None):
    y, h_n = module(x, h)
    return {"y": y, "h_n": h_n}


steps("rnn.tanh", lambda: nn.RNN(4, 6), rnn)
steps("rnn.relu.layers.bidirectional", lambda: nn.RNN(4, 5, 2, nonlinearity="relu", bidirectional=True), rnn)
# PyTorch 2.x takes these positionally in R's order; 1.13's nn.RNN takes nonlinearity by keyword
# only (a positional "relu" lands on bias), so the twin names them: the same module either way.
steps("rnn.positional", lambda: nn.RNN(4, 5, 2, nonlinearity="relu", bias=False, batch_first=False, dropout=0, bidirectional=True), rnn)
steps("rnn.batch_first.no_bias.hx", lambda: nn.RNN(4, 3, batch_first=True, bias=False), rnn)
steps("rnn.unbatched.hx", lambda: nn.RNN(4, 5, num_layers=2, batch_first=True), rnn)
steps("rnn.dropout.train", lambda: nn.RNN(4, 5, num_layers=3, dropout=0.4, nonlinearity="relu"), rnn)
steps("rnn.dropout.eval", lambda: nn.RNN(4, 5, num_layers=3, dropout=0.4).eval(), rnn)
steps("rnn.float64", lambda: nn.RNN(3, 4, dtype=torch.float64, bidirectional=True), rnn)


# ---- the sequence functions

def packed(sequence, prefix):
    result = {f"{prefix}.data": sequence.data, f"{prefix}.batch_sizes": sequence.batch_sizes}
    if sequence.sorted_indices is not None:
        result[f"{prefix}.sorted_indices"] = sequence.sorted_indices
    if sequence.unsorted_indices is not None:
        result[f"{prefix}.unsorted_indices"] = sequence.unsorted_indices
    return result


@case("recurrent.pad_sequence")
def pad_sequence(a, b, c):
    return {
        "y": rnn_utils.pad_sequence([a, b, c]),
        "batch_first": rnn_utils.pad_sequence([a, b, c], batch_first=True, padding_value=-1.5),
        "one": rnn_utils.pad_sequence([b]),
    }


@case("recurrent.pack_padded_sequence.sorted")
def pack_padded_sequence_sorted(x):
    return packed(rnn_utils.pack_padded_sequence(x, [5, 3, 2]), "p")


@case("recurrent.pack_padded_sequence.unsorted")
def pack_padded_sequence_unsorted(x):
    sequence = rnn_utils.pack_padded_sequence(x, torch.tensor([2, 5, 3]), batch_first=True, enforce_sorted=False)
    padded, lengths = rnn_utils.pad_packed_sequence(sequence, batch_first=True, padding_value=9, total_length=7)
    return {**packed(sequence, "p"), "padded": padded, "lengths": lengths}


@case("recurrent.pack_sequence")
def pack_sequence(a, b, c):
    sequence = rnn_utils.pack_sequence([a, b, c], enforce_sorted=False)
    padded, lengths = rnn_utils.pad_packed_sequence(sequence)
    return {**packed(sequence, "p"), "padded": padded, "lengths": lengths}


# ---- the layers on packed input

def packed_forward(lengths, batch_first=False, enforce_sorted=True, lstm=False):
    def forward(module, x, h=None, c=None):
        sequence = rnn_utils.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
        state = None if h is None else (h, c) if lstm else h
        output, final = module(sequence, state)
        y, y_lengths = rnn_utils.pad_packed_sequence(output, batch_first=batch_first)
        states = {"h_n": final[0], "c_n": final[1]} if lstm else {"h_n": final}
        return {"y": y, "y_lengths": y_lengths, "data": output.data, **states}
    return forward


steps("lstm.packed", lambda: nn.LSTM(4, 5, num_layers=2, bidirectional=True), packed_forward([4, 6, 2], enforce_sorted=False, lstm=True))
steps("lstm.packed.proj_size.batch_first", lambda: nn.LSTM(4, 6, proj_size=3, batch_first=True), packed_forward([5, 3, 3], batch_first=True, lstm=True))
steps("gru.packed", lambda: nn.GRU(4, 5, bidirectional=True), packed_forward([5, 3, 6], enforce_sorted=False))
steps("rnn.packed.dropout.train", lambda: nn.RNN(4, 5, num_layers=2, nonlinearity="relu", dropout=0.3), packed_forward([2, 5, 5, 1], enforce_sorted=False))


# ---- a state_dict made by torchlora, loaded strictly (the same names)

def state_dict_case(name, make):
    @case(f"recurrent.state_dict.{name}")
    def run(x, **state):
        module = make()
        module.load_state_dict(state, strict=True)
        return forward_backward(module, {"y": module(x)[0]})


state_dict_case("lstm", lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2))
state_dict_case("gru", lambda: nn.GRU(3, 4, num_layers=2, bias=False))
state_dict_case("rnn", lambda: nn.RNN(3, 4, bidirectional=True, nonlinearity="relu"))
