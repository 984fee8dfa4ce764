// Mixed-adapter batches as one native call (punica / S-LoRA's segmented GEMM, SGMV): the rows
// that have an adapter are gathered in adapter order once, each adapter's contiguous segment
// takes its two small products (x Aᵀ) Bᵀ · scaling, and one index_add adds the terms into the
// base layer's output at their rows. The FLOPs are those of one adapter over the whole batch; no
// adapter's weights are copied or stacked, so there is nothing to cache and nothing to go stale.
// Only ATen ops, so it runs on any device. When autograd records (training), the terms are
// separate tensors joined by cat and added out of place, which autograd differentiates;
// otherwise each segment's product is written into one buffer (addmm's out= form, which
// autograd refuses) and added into the output in place.
#include "lora/mixed.h"

#include <ATen/core/grad_mode.h>

#include "core/tensor.h"

namespace torchlora {
namespace {

// One adapter's rows: rows [start, start + count) of the gathered input, each `positions` rows
// of the flattened input (a 3-d input's tokens).
struct Segment {
  int64_t start;
  int64_t count;
  at::Tensor A;  // r x in
  at::Tensor B;  // out x r
  double scaling;
};

// The terms of the gathered rows, flattened to (rows * positions) x out, recorded by autograd.
at::Tensor RecordedTerms(const at::Tensor& flat, const std::vector<Segment>& segments, int64_t positions) {
  std::vector<at::Tensor> terms;
  const at::Tensor none = at::zeros({}, flat.options());  // addmm's input, ignored with beta = 0
  for (const Segment& s : segments) {
    const at::Tensor x = flat.narrow(0, s.start * positions, s.count * positions);
    terms.push_back(at::addmm(none, at::mm(x, s.A.t()), s.B.t(), 0, s.scaling));
  }
  return terms.size() == 1 ? terms[0] : at::cat(terms, 0);
}

// The same, written segment by segment into one buffer (no autograd).
at::Tensor UnrecordedTerms(const at::Tensor& flat, const std::vector<Segment>& segments, int64_t positions, int64_t outFeatures) {
  at::Tensor terms = at::empty({flat.size(0), outFeatures}, flat.options());
  for (const Segment& s : segments) {
    at::Tensor part = terms.narrow(0, s.start * positions, s.count * positions);
    at::addmm_out(part, part, at::mm(flat.narrow(0, s.start * positions, s.count * positions), s.A.t()), s.B.t(), 0, s.scaling);
  }
  return terms;
}

// loraMixedAdd(base, input, order[], counts[], A[] (Tensor | null), B[] (Tensor | null), scalings[])
// -> the id of base + each row's term. `order` lists the rows grouped by adapter (segment j: the next
// counts[j] rows); rows past the last segment, and segments whose A is null (an adapter this
// layer lacks), get no term. A[j] is r_j x in, B[j] is out x r_j; input is rows x ... x in and
// base rows x ... x out. Without autograd recording, the result is `base` itself, added in place.
Napi::Value LoraMixedAdd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& base = Unwrap(info, 0);
  const at::Tensor& input = Unwrap(info, 1);
  const std::vector<int64_t> order = ToInt64s(info[2]);
  const std::vector<int64_t> counts = ToInt64s(info[3]);
  const Napi::Array as = info[4].As<Napi::Array>();
  const Napi::Array bs = info[5].As<Napi::Array>();
  const Napi::Array scalings = info[6].As<Napi::Array>();

  bool recording = at::GradMode::is_enabled() && (input.requires_grad() || base.requires_grad());
  std::vector<Segment> segments;
  std::vector<int64_t> rows;  // the rows that get a term, in segment order
  int64_t next = 0;
  for (uint32_t j = 0; j < counts.size(); ++j) {
    const Napi::Value a = as.Get(j);
    if (counts[j] > 0 && !a.IsNull()) {
      Segment segment{static_cast<int64_t>(rows.size()), counts[j], Unwrap(env, a), Unwrap(env, bs.Get(j)), scalings.Get(j).As<Napi::Number>().DoubleValue()};
      recording = recording || (at::GradMode::is_enabled() && (segment.A.requires_grad() || segment.B.requires_grad()));
      rows.insert(rows.end(), order.begin() + next, order.begin() + next + counts[j]);
      segments.push_back(std::move(segment));
    }
    next += counts[j];
  }
  if (segments.empty() || input.numel() == 0) {
    return Wrap(env, base);
  }

  bool identity = static_cast<int64_t>(rows.size()) == input.size(0);
  for (size_t i = 0; identity && i < rows.size(); ++i) identity = rows[i] == static_cast<int64_t>(i);
  const at::Tensor index = identity ? at::Tensor() : at::tensor(rows, at::kLong).to(input.device());
  const at::Tensor gathered = identity ? input : input.index_select(0, index);
  const int64_t positions = input.numel() / (input.size(0) * input.size(-1));
  const at::Tensor flat = gathered.reshape({gathered.size(0) * positions, input.size(-1)});
  std::vector<int64_t> shape = base.sizes().vec();
  shape[0] = gathered.size(0);
  at::Tensor terms = recording ? RecordedTerms(flat, segments, positions) : UnrecordedTerms(flat, segments, positions, base.size(-1));
  terms = terms.view(shape);
  at::Tensor sum;
  if (recording) {
    sum = identity ? base.add(terms) : base.index_add(0, index, terms);
  } else {
    sum = identity ? at::Tensor(base).add_(terms) : at::Tensor(base).index_add_(0, index, terms);
  }
  return Wrap(env, std::move(sum));
}

}  // namespace

void InitLora(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "loraMixedAdd", LoraMixedAdd);
}

}  // namespace torchlora
