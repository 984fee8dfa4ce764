// torchlora's fused Adam, AdamW and SGD updates (see fused_loop.h). On the CPU, for contiguous
// float32/float64 tensors, one loop reads param, grad and state once and writes param and
// state once, in parallel over elements (at::parallel_for). Each element goes through the
// same IEEE operations, in the same order and with the same scalar casts, as the linked
// release's single-tensor path (step.cc: mul_, add_ with alpha or lerp_, addcmul_, sqrt,
// div, add_, addcdiv_); where
// libtorch's AVX2 kernels use a fused multiply-add (add_ with alpha and lerp_ are vec::fmadd)
// the AVX2 loop does too; Adam's square roots are libtorch's own where they are not IEEE's
// (kAtenRoots). Elsewhere (CUDA, other dtypes, strided tensors) step.cc's ATen ops do the
// update.
#include "optim/fused_loop.h"

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>
#include <type_traits>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define TORCHLORA_FUSED_AVX2 1
#endif

namespace torchlora {
namespace {

// Elements per task of at::parallel_for: below it a tensor is updated on one thread
// (libtorch's own GRAIN_SIZE).
constexpr int64_t kGrain = 32768;

// Whether the AVX2 loop runs: as libtorch picks its kernels (AVX2 and FMA present, unless
// ATEN_CPU_CAPABILITY=default asks for the portable ones).
bool UseAvx2() {
#if TORCHLORA_FUSED_AVX2
  static const bool use = [] {
    const char* forced = std::getenv("ATEN_CPU_CAPABILITY");
    if (forced != nullptr && std::strcmp(forced, "default") == 0) return false;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return use;
#else
  return false;
#endif
}

// a * b + c, rounded once where libtorch's kernels round once (kFma: its AVX2 kernels, whose
// scalar remainder loops are contracted too), else twice (its portable kernels).
template <bool kFma, typename T>
inline T MulAdd(T a, T b, T c) {
  if constexpr (kFma) return std::fma(a, b, c);
  else return a * b + c;
}

// torch.lerp(self, end, weight) as libtorch's kernel computes it, from the nearer end:
// self + weight * (end - self) for |weight| < 0.5, else end - (end - self) * (1 - weight)
// (the same bits as end + (weight - 1) * (end - self), its vectorized form).
template <bool kFma, typename T>
inline T Lerp(T self, T end, T weight) {
  return std::abs(weight) < T(0.5) ? MulAdd<kFma>(weight, end - self, self) : MulAdd<kFma>(weight - T(1), end - self, end);
}

// torch.maximum: NaN wins.
template <typename T>
inline T Maximum(T a, T b) {
  return (a != a || b != b) ? std::numeric_limits<T>::quiet_NaN() : (a < b ? b : a);
}

// ---- Adam / AdamW ----

// The scalars PyTorch hands its kernels, computed in double and cast to the tensor's type.
template <typename T>
struct AdamCoefficients {
  T decay, weight_decay, beta1, one_minus_beta1, beta2, one_minus_beta2, bias_correction2_sqrt, eps, neg_step_size;
  bool decoupled, l2, amsgrad, maximize;

  AdamCoefficients(const AdamHyper& h, int64_t step) {
    const double bias_correction1 = 1 - std::pow(h.beta1, static_cast<double>(step));
    const double bias_correction2 = 1 - std::pow(h.beta2, static_cast<double>(step));
    decoupled = h.decoupled && h.weight_decay != 0;
    l2 = !h.decoupled && h.weight_decay != 0;
    decay = static_cast<T>(1 - h.lr * h.weight_decay);
    weight_decay = static_cast<T>(h.weight_decay);
    beta1 = static_cast<T>(h.beta1);
    one_minus_beta1 = static_cast<T>(1 - h.beta1);
    beta2 = static_cast<T>(h.beta2);
    one_minus_beta2 = static_cast<T>(1 - h.beta2);
    bias_correction2_sqrt = static_cast<T>(BiasCorrection2Sqrt(bias_correction2));
    eps = static_cast<T>(h.eps);
    neg_step_size = static_cast<T>(-(h.lr / bias_correction1));
    amsgrad = h.amsgrad;
    maximize = h.maximize;
  }
};

// Where libtorch has MKL (a pip wheel's does), its sqrt kernel is MKL's VML (ATen/cpu/vml.h):
// within an ulp of IEEE's sqrt but not always rounded as it, so an Adam whose roots were
// IEEE's drifts from PyTorch's over a few hundred steps. There the loop goes a block at a time
// and has ATen take each block's roots (VML's root of an element does not depend on where
// the array starts); elsewhere it takes IEEE's sqrt itself, in one pass. VML's sqrt costs
// about as much as the loop, so there the fused step saves less.
#if AT_MKL_ENABLED() && !defined(__APPLE__)
constexpr bool kAtenRoots = true;
#else
constexpr bool kAtenRoots = false;
#endif

// Elements per block: a block's second moments wait in a scratch array that stays in the L2
// cache; fewer, larger blocks spend less on ATen's per-call cost (a few microseconds).
constexpr int64_t kBlock = 32768;

// s.sqrt() over n elements, in place, by libtorch's kernel.
template <typename T>
void AtenRoots(T* s, int64_t n) {
  at::from_blob(s, {n}, at::TensorOptions().dtype(c10::CppTypeToScalarType<T>::value)).sqrt_();
}

// One element up to the square root, as PyTorch's ops compute it one after the other
// (comments: the op). Returns the second moment whose root divides the step.
template <bool kFma, typename T>
inline T AdamMoments(const AdamCoefficients<T>& c, T p, T g, T& m, T& v, T* v_max) {
  if (c.maximize) g = -g;
  if (c.l2) g = MulAdd<kFma>(c.weight_decay, p, g);        // grad.add(param, alpha=wd)
  if constexpr (kAdamLerp) {
    m = Lerp<kFma>(m, g, c.one_minus_beta1);                // exp_avg.lerp_(grad, 1 - beta1)
  } else {
    m = m * c.beta1;                                        // exp_avg.mul_(beta1)
    m = MulAdd<kFma>(c.one_minus_beta1, g, m);              //   .add_(grad, alpha=1 - beta1)
  }
  v = v * c.beta2;                                          // exp_avg_sq.mul_(beta2)
  v = MulAdd<kFma>(c.one_minus_beta2 * g, g, v);            //   .addcmul_(grad, grad, value=1 - beta2)
  if (c.amsgrad) return *v_max = Maximum(v, *v_max);       // torch.maximum(max_exp_avg_sq, exp_avg_sq)
  return v;
}

// The rest of the element, from the second moment `s` (its root where kAtenRoots). AdamW's
// decay comes first in PyTorch, but nothing above reads param then (l2 is Adam's). Nothing
// here can be contracted, so any split between vector and scalar code gives the same bits.
template <typename T>
inline void AdamApply(const AdamCoefficients<T>& c, T& p, T m, T s) {
  const T root = kAtenRoots ? s : std::sqrt(s);            // s.sqrt()
  if (c.decoupled) p = p * c.decay;                        // param.mul_(1 - lr * wd)
  const T denom = root / c.bias_correction2_sqrt + c.eps;  // (root / bc2_sqrt).add_(eps)
  p = p + c.neg_step_size * m / denom;                      // param.addcdiv_(exp_avg, denom, value=-step_size)
}

// AdamMoments over [begin, end), into s[0, end - begin).
template <bool kFma, typename T>
void AdamMomentsLoop(const AdamCoefficients<T>& c, const T* p, const T* g, T* m, T* v, T* v_max, T* s, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) s[i - begin] = AdamMoments<kFma>(c, p[i], g[i], m[i], v[i], c.amsgrad ? v_max + i : nullptr);
}

// AdamApply over [begin, end), from s[0, end - begin).
template <typename T>
void AdamApplyLoop(const AdamCoefficients<T>& c, T* p, const T* m, const T* s, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) AdamApply(c, p[i], m[i], s[i - begin]);
}

#if TORCHLORA_FUSED_AVX2
// NaN-propagating maximum, as at::vec's AVX2 maximum.
__attribute__((target("avx2,fma"))) inline __m256 Maximum8(__m256 a, __m256 b) {
  return _mm256_or_ps(_mm256_max_ps(a, b), _mm256_cmp_ps(a, b, _CMP_UNORD_Q));
}

// AdamMoments of 8 elements; returns their second moments.
__attribute__((target("avx2,fma"))) inline __m256 AdamMoments8(const AdamCoefficients<float>& c, const float* p, const float* g, float* m,
                                                               float* v, float* v_max) {
  __m256 G = _mm256_loadu_ps(g);
  __m256 M = _mm256_loadu_ps(m);
  __m256 V = _mm256_loadu_ps(v);
  if (c.maximize) G = _mm256_xor_ps(G, _mm256_set1_ps(-0.0f));
  if (c.l2) G = _mm256_fmadd_ps(_mm256_loadu_ps(p), _mm256_set1_ps(c.weight_decay), G);
  if constexpr (kAdamLerp) {  // as at::vec's lerp: one fmadd from the nearer end
    const bool small = std::abs(c.one_minus_beta1) < 0.5f;
    const __m256 coefficient = _mm256_set1_ps(small ? c.one_minus_beta1 : c.one_minus_beta1 - 1.0f);
    M = _mm256_fmadd_ps(coefficient, _mm256_sub_ps(G, M), small ? M : G);
  } else {
    M = _mm256_fmadd_ps(G, _mm256_set1_ps(c.one_minus_beta1), _mm256_mul_ps(M, _mm256_set1_ps(c.beta1)));
  }
  V = _mm256_add_ps(_mm256_mul_ps(V, _mm256_set1_ps(c.beta2)), _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(c.one_minus_beta2), G), G));
  __m256 S = V;
  if (c.amsgrad) {
    S = Maximum8(V, _mm256_loadu_ps(v_max));
    _mm256_storeu_ps(v_max, S);
  }
  _mm256_storeu_ps(m, M);
  _mm256_storeu_ps(v, V);
  return S;
}

// AdamApply of 8 elements.
__attribute__((target("avx2,fma"))) inline void AdamApply8(const AdamCoefficients<float>& c, float* p, const float* m, __m256 s) {
  const __m256 root = kAtenRoots ? s : _mm256_sqrt_ps(s);
  __m256 P = _mm256_loadu_ps(p);
  if (c.decoupled) P = _mm256_mul_ps(P, _mm256_set1_ps(c.decay));
  const __m256 denom = _mm256_add_ps(_mm256_div_ps(root, _mm256_set1_ps(c.bias_correction2_sqrt)), _mm256_set1_ps(c.eps));
  _mm256_storeu_ps(p, _mm256_add_ps(P, _mm256_div_ps(_mm256_mul_ps(_mm256_set1_ps(c.neg_step_size), _mm256_loadu_ps(m)), denom)));
}

// With kAtenRoots, a block's AdamMomentsLoop: 8 lanes up to vector_end, contracted scalar
// code after it; then its AdamApplyLoop.
[[maybe_unused]] __attribute__((target("avx2,fma"))) void AdamMomentsAvx2(const AdamCoefficients<float>& c, const float* p, const float* g,
                                                                          float* m, float* v, float* v_max, float* s, int64_t begin,
                                                                          int64_t end, int64_t vector_end) {
  int64_t i = begin;
  for (; i < vector_end; i += 8) _mm256_storeu_ps(s + (i - begin), AdamMoments8(c, p + i, g + i, m + i, v + i, c.amsgrad ? v_max + i : nullptr));
  AdamMomentsLoop<true>(c, p, g, m, v, v_max, s + (i - begin), i, end);
}

[[maybe_unused]] __attribute__((target("avx2,fma"))) void AdamApplyAvx2(const AdamCoefficients<float>& c, float* p, const float* m,
                                                                        const float* s, int64_t begin, int64_t end) {
  int64_t i = begin;
  for (; i + 8 <= end; i += 8) AdamApply8(c, p + i, m + i, _mm256_loadu_ps(s + (i - begin)));
  AdamApplyLoop(c, p, m, s + (i - begin), i, end);
}

// Without kAtenRoots, in one pass: 16 elements a turn, then the rest one by one, as
// libtorch's vectorized loops split a range.
[[maybe_unused]] __attribute__((target("avx2,fma"))) void AdamPassAvx2(const AdamCoefficients<float>& c, float* p, const float* g, float* m,
                                                                       float* v, float* v_max, int64_t begin, int64_t end) {
  const int64_t vector_end = begin + (end - begin) / 16 * 16;
  int64_t i = begin;
  for (; i < vector_end; i += 8) AdamApply8(c, p + i, m + i, AdamMoments8(c, p + i, g + i, m + i, v + i, c.amsgrad ? v_max + i : nullptr));
  for (; i < end; ++i) AdamApply(c, p[i], m[i], AdamMoments<true>(c, p[i], g[i], m[i], v[i], c.amsgrad ? v_max + i : nullptr));
}
#endif

// One range of at::parallel_for. Without kAtenRoots, in one pass: each element's update
// follows its moments. With it, a block at a time: the block's moments, ATen's roots of them,
// its updates. The AVX2 code takes 16 elements a turn and the rest one by one, as libtorch's
// vectorized loops split a range (blocks hold whole turns).
template <typename T>
void AdamRange(const AdamCoefficients<T>& c, T* p, const T* g, T* m, T* v, T* v_max, int64_t begin, int64_t end) {
  [[maybe_unused]] const bool avx2 = std::is_same_v<T, float> && UseAvx2();
  if constexpr (!kAtenRoots) {
#if TORCHLORA_FUSED_AVX2
    if constexpr (std::is_same_v<T, float>) {
      if (avx2) return AdamPassAvx2(c, p, g, m, v, v_max, begin, end);
    }
#endif
    for (int64_t i = begin; i < end; ++i) AdamApply(c, p[i], m[i], AdamMoments<false>(c, p[i], g[i], m[i], v[i], c.amsgrad ? v_max + i : nullptr));
    return;
  }
  const std::unique_ptr<T[]> scratch(new T[std::min(kBlock, end - begin)]);
  T* s = scratch.get();
  for (int64_t block = begin; block < end; block += kBlock) {
    const int64_t block_end = std::min(end, block + kBlock);
#if TORCHLORA_FUSED_AVX2
    if constexpr (std::is_same_v<T, float>) {
      if (avx2) {
        const int64_t vector_end = std::min(block_end, begin + (end - begin) / 16 * 16);
        AdamMomentsAvx2(c, p, g, m, v, v_max, s, block, block_end, std::max(block, vector_end));
        AtenRoots(s, block_end - block);
        AdamApplyAvx2(c, p, m, s, block, block_end);
        continue;
      }
    }
#endif
    AdamMomentsLoop<false>(c, p, g, m, v, v_max, s, block, block_end);
    AtenRoots(s, block_end - block);
    AdamApplyLoop(c, p, m, s, block, block_end);
  }
}

template <typename T>
void AdamCpu(const AdamHyper& hyper, int64_t step, at::Tensor& param, const at::Tensor& grad, at::Tensor& exp_avg, at::Tensor& exp_avg_sq,
             at::Tensor& max_exp_avg_sq) {
  const AdamCoefficients<T> c(hyper, step);
  T* p = param.data_ptr<T>();
  const T* g = grad.data_ptr<T>();
  T* m = exp_avg.data_ptr<T>();
  T* v = exp_avg_sq.data_ptr<T>();
  T* v_max = hyper.amsgrad ? max_exp_avg_sq.data_ptr<T>() : nullptr;
  at::parallel_for(0, param.numel(), kGrain, [&](int64_t begin, int64_t end) { AdamRange(c, p, g, m, v, v_max, begin, end); });
}

// ---- SGD ----

template <typename T>
struct SgdCoefficients {
  T weight_decay, momentum, one_minus_dampening, neg_lr;
  bool l2, with_momentum, nesterov, maximize, first;

  SgdCoefficients(const SgdHyper& h, bool first_step) {
    weight_decay = static_cast<T>(h.weight_decay);
    momentum = static_cast<T>(h.momentum);
    one_minus_dampening = static_cast<T>(1 - h.dampening);
    neg_lr = static_cast<T>(-1 * h.lr);
    l2 = h.weight_decay != 0;
    with_momentum = h.momentum != 0;
    nesterov = h.nesterov;
    maximize = h.maximize;
    first = first_step;
  }
};

template <bool kFma, typename T>
inline void SgdElement(const SgdCoefficients<T>& c, T& p, T g, T* buf) {
  if (c.maximize) g = -g;
  if (c.l2) g = MulAdd<kFma>(c.weight_decay, p, g);          // d_p.add(param, alpha=wd)
  if (c.with_momentum) {
    if (c.first) {
      *buf = g;                                               // torch.clone(d_p)
    } else {
      *buf = *buf * c.momentum;                               // buf.mul_(momentum)
      *buf = MulAdd<kFma>(c.one_minus_dampening, g, *buf);    //   .add_(d_p, alpha=1 - dampening)
    }
    g = c.nesterov ? MulAdd<kFma>(c.momentum, *buf, g) : *buf;  // d_p.add(buf, alpha=momentum) or buf
  }
  p = MulAdd<kFma>(c.neg_lr, g, p);                           // param.add_(d_p, alpha=-lr)
}

template <bool kFma, typename T>
void SgdLoop(const SgdCoefficients<T>& c, T* p, const T* g, T* buf, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) SgdElement<kFma>(c, p[i], g[i], c.with_momentum ? buf + i : nullptr);
}

#if TORCHLORA_FUSED_AVX2
__attribute__((target("avx2,fma"))) inline void Sgd8(const SgdCoefficients<float>& c, float* p, const float* g, float* buf) {
  __m256 P = _mm256_loadu_ps(p);
  __m256 G = _mm256_loadu_ps(g);
  if (c.maximize) G = _mm256_xor_ps(G, _mm256_set1_ps(-0.0f));
  if (c.l2) G = _mm256_fmadd_ps(P, _mm256_set1_ps(c.weight_decay), G);
  if (c.with_momentum) {
    __m256 B = c.first ? G : _mm256_fmadd_ps(G, _mm256_set1_ps(c.one_minus_dampening), _mm256_mul_ps(_mm256_loadu_ps(buf), _mm256_set1_ps(c.momentum)));
    _mm256_storeu_ps(buf, B);
    G = c.nesterov ? _mm256_fmadd_ps(B, _mm256_set1_ps(c.momentum), G) : B;
  }
  _mm256_storeu_ps(p, _mm256_fmadd_ps(G, _mm256_set1_ps(c.neg_lr), P));
}

__attribute__((target("avx2,fma"))) void SgdLoopAvx2(const SgdCoefficients<float>& c, float* p, const float* g, float* buf, int64_t begin, int64_t end) {
  int64_t i = begin;
  for (; i + 16 <= end; i += 16) {
    Sgd8(c, p + i, g + i, c.with_momentum ? buf + i : nullptr);
    Sgd8(c, p + i + 8, g + i + 8, c.with_momentum ? buf + i + 8 : nullptr);
  }
  SgdLoop<true>(c, p, g, buf, i, end);
}
#endif

template <typename T>
void SgdCpu(const SgdHyper& hyper, at::Tensor& param, const at::Tensor& grad, at::Tensor& momentum_buffer, bool first) {
  const SgdCoefficients<T> c(hyper, first);
  T* p = param.data_ptr<T>();
  const T* g = grad.data_ptr<T>();
  T* buf = c.with_momentum ? momentum_buffer.data_ptr<T>() : nullptr;
  at::parallel_for(0, param.numel(), kGrain, [&](int64_t begin, int64_t end) {
#if TORCHLORA_FUSED_AVX2
    if constexpr (std::is_same_v<T, float>) {
      if (UseAvx2()) return SgdLoopAvx2(c, p, g, buf, begin, end);
    }
#endif
    SgdLoop<false>(c, p, g, buf, begin, end);
  });
}

// ---- which path ----

// The loop applies when every tensor is a contiguous CPU tensor of param's float dtype and size.
bool LoopApplies(const at::Tensor& param, std::initializer_list<const at::Tensor*> others) {
  if (!param.device().is_cpu() || param.layout() != at::kStrided || !param.is_contiguous()) return false;
  if (param.scalar_type() != at::kFloat && param.scalar_type() != at::kDouble) return false;
  for (const at::Tensor* other : others) {
    if (!other->defined()) continue;
    if (!other->device().is_cpu() || other->layout() != at::kStrided || !other->is_contiguous() || other->scalar_type() != param.scalar_type() ||
        other->numel() != param.numel()) {
      return false;
    }
  }
  return true;
}

// The loop writes through raw pointers; autograd must still see the tensors as modified.
void Modified(std::initializer_list<const at::Tensor*> tensors) {
  for (const at::Tensor* tensor : tensors) {
    if (tensor->defined()) tensor->unsafeGetTensorImpl()->bump_version();
  }
}

}  // namespace

void LoopAdam(const AdamHyper& hyper, int64_t step, at::Tensor& param, const at::Tensor& grad, at::Tensor& exp_avg, at::Tensor& exp_avg_sq,
              at::Tensor& max_exp_avg_sq) {
  TORCH_CHECK(!grad.is_sparse(), "Adam does not support sparse gradients");
  at::NoGradGuard no_grad;
  if (!LoopApplies(param, {&grad, &exp_avg, &exp_avg_sq, &max_exp_avg_sq})) {
    return AdamUpdate(hyper, step, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq);
  }
  if (param.scalar_type() == at::kFloat) AdamCpu<float>(hyper, step, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq);
  else AdamCpu<double>(hyper, step, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq);
  Modified({&param, &exp_avg, &exp_avg_sq, &max_exp_avg_sq});
}

void LoopSgd(const SgdHyper& hyper, at::Tensor& param, const at::Tensor& grad, at::Tensor& momentum_buffer) {
  TORCH_CHECK(!grad.is_sparse(), "fused SGD does not support sparse gradients (fused: false does)");
  at::NoGradGuard no_grad;
  if (!LoopApplies(param, {&grad, &momentum_buffer})) return SgdUpdate(hyper, param, grad, momentum_buffer);
  const bool first = hyper.momentum != 0 && !momentum_buffer.defined();
  if (first) momentum_buffer = at::empty_like(param, at::MemoryFormat::Preserve);  // the loop writes the gradient's copy into it
  if (param.scalar_type() == at::kFloat) SgdCpu<float>(hyper, param, grad, momentum_buffer, first);
  else SgdCpu<double>(hyper, param, grad, momentum_buffer, first);
  Modified({&param, &momentum_buffer});
}

}  // namespace torchlora
