// Mixed-adapter batches as one native call (punica / S-LoRA's segmented GEMM, SGMV): the rows
// are gathered in adapter order once, each adapter's contiguous segment takes its two small
// products (x Aᵀ) Bᵀ · scaling, and one index_select puts the terms back in row order. The FLOPs
// are those of one adapter over the whole batch; no adapter's weights are copied or stacked, so
// there is nothing to cache and nothing to go stale. Only ATen ops, so it runs on any device.
// When autograd records (training), the terms are separate tensors joined by cat, which
// autograd differentiates; otherwise each segment's product is written in place into one
// buffer (addmm's out= form, which autograd refuses), saving a copy and an allocation a segment.
#include "lora.h"

#include <ATen/core/grad_mode.h>

#include "tensor.h"

namespace torchlora {
namespace {

// One adapter's rows, in the gathered order: rows [start, start + count), each `positions`
// rows of the flattened input (a 3-d input's tokens). A undefined: no term (zeros).
struct Segment {
  int64_t start;
  int64_t count;
  at::Tensor A;  // r x in
  at::Tensor B;  // out x r
  double scaling;
};

at::Tensor Indices(const std::vector<int64_t>& values, const at::Tensor& like) {
  return at::tensor(values, at::kLong).to(like.device());
}

// The terms in gathered order, flattened to (rows * positions) x out, recorded by autograd.
at::Tensor RecordedTerms(const at::Tensor& flat, const std::vector<Segment>& segments, int64_t positions, int64_t outFeatures) {
  std::vector<at::Tensor> terms;
  const at::Tensor none = at::zeros({}, flat.options());  // addmm's input, ignored with beta = 0
  for (const Segment& s : segments) {
    const at::Tensor x = flat.narrow(0, s.start * positions, s.count * positions);
    if (!s.A.defined()) {
      terms.push_back(at::zeros({x.size(0), outFeatures}, flat.options()));
    } else {
      terms.push_back(at::addmm(none, at::mm(x, s.A.t()), s.B.t(), 0, s.scaling));
    }
  }
  return terms.size() == 1 ? terms[0] : at::cat(terms, 0);
}

// The same, written segment by segment into one buffer (no autograd).
at::Tensor UnrecordedTerms(const at::Tensor& flat, const std::vector<Segment>& segments, int64_t positions, int64_t outFeatures) {
  at::Tensor terms = at::empty({flat.size(0), outFeatures}, flat.options());
  for (const Segment& s : segments) {
    at::Tensor part = terms.narrow(0, s.start * positions, s.count * positions);
    if (!s.A.defined()) {
      part.zero_();
    } else {
      at::addmm_out(part, part, at::mm(flat.narrow(0, s.start * positions, s.count * positions), s.A.t()), s.B.t(), 0, s.scaling);
    }
  }
  return terms;
}

// loraMixed(out, input, order[], counts[], A[] (Tensor | null), B[] (Tensor | null), scalings[], outFeatures)
// `order` lists every row, grouped by adapter (segment j: the next counts[j] rows); rows past
// the last segment, and segments whose A is null (an adapter this layer lacks), get a zero term.
// A[j] is r_j x in, B[j] is out x r_j; input is rows x ... x in, the term rows x ... x out.
Napi::Value LoraMixed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& input = Unwrap(info, 1);
  const std::vector<int64_t> order = ToInt64s(info[2]);
  const std::vector<int64_t> counts = ToInt64s(info[3]);
  const Napi::Array as = info[4].As<Napi::Array>();
  const Napi::Array bs = info[5].As<Napi::Array>();
  const Napi::Array scalings = info[6].As<Napi::Array>();
  const int64_t outFeatures = info[7].As<Napi::Number>().Int64Value();
  const int64_t rows = input.size(0);
  std::vector<int64_t> shape = input.sizes().vec();
  shape.back() = outFeatures;
  if (input.numel() == 0) {
    Wrap(env, info[0], at::zeros(shape, input.options()));
    return env.Undefined();
  }

  bool recording = at::GradMode::is_enabled() && input.requires_grad();
  std::vector<Segment> segments;
  int64_t start = 0;
  for (uint32_t j = 0; j < counts.size(); ++j) {
    if (counts[j] == 0) continue;
    Segment segment{start, counts[j], at::Tensor(), at::Tensor(), 0};
    const Napi::Value a = as.Get(j);
    if (!a.IsNull()) {
      segment.A = Unwrap(env, a);
      segment.B = Unwrap(env, bs.Get(j));
      segment.scaling = scalings.Get(j).As<Napi::Number>().DoubleValue();
      recording = recording || (at::GradMode::is_enabled() && (segment.A.requires_grad() || segment.B.requires_grad()));
    }
    segments.push_back(std::move(segment));
    start += counts[j];
  }
  if (start < rows) segments.push_back(Segment{start, rows - start, at::Tensor(), at::Tensor(), 0});

  std::vector<int64_t> inverse(order.size());
  bool identity = true;
  for (size_t i = 0; i < order.size(); ++i) {
    inverse[order[i]] = static_cast<int64_t>(i);
    identity = identity && order[i] == static_cast<int64_t>(i);
  }
  const at::Tensor gathered = identity ? input : input.index_select(0, Indices(order, input));
  const int64_t positions = input.numel() / (rows * input.size(-1));
  const at::Tensor flat = gathered.reshape({rows * positions, input.size(-1)});
  at::Tensor terms = recording ? RecordedTerms(flat, segments, positions, outFeatures) : UnrecordedTerms(flat, segments, positions, outFeatures);
  terms = terms.view(shape);
  if (!identity) terms = terms.index_select(0, Indices(inverse, input));
  Wrap(env, info[0], std::move(terms));
  return env.Undefined();
}

}  // namespace

void InitLora(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "loraMixed", LoraMixed);
}

}  // namespace torchlora
