// Optimizer kinds, described once on this side: each kind's libtorch types, the fields of its
// *Options, the per-group choices those options lack, and the tensors of its per-parameter
// state. The lists below are the only place these names appear in C++: every conversion to
// and from the plain objects the TypeScript layer passes (src/optim/kind.ts; it checks every
// value and fills the defaults) is made from them, both ways, and optimizerFields() hands them
// to the test that holds them equal to the TypeScript tables.
#pragma once

#include <torch/optim/adagrad.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/optimizer.h>
#include <torch/optim/rmsprop.h>
#include <torch/optim/sgd.h>

#include <memory>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/common.h"

// The fields of each kind's libtorch *Options, named as its accessors (Adam's serve AdamW's).
#define TORCHLORA_ADAM_OPTIONS(X) X(lr) X(betas) X(eps) X(weight_decay) X(amsgrad)
#define TORCHLORA_SGD_OPTIONS(X) X(lr) X(momentum) X(dampening) X(weight_decay) X(nesterov)
#define TORCHLORA_RMSPROP_OPTIONS(X) X(lr) X(alpha) X(eps) X(weight_decay) X(momentum) X(centered)
#define TORCHLORA_ADAGRAD_OPTIONS(X) X(lr) X(lr_decay) X(weight_decay) X(initial_accumulator_value) X(eps)

// The tensors of each kind's *ParamState; a state whose type has step() keeps a step count too.
#define TORCHLORA_ADAM_STATE(X) X(exp_avg) X(exp_avg_sq) X(max_exp_avg_sq)
#define TORCHLORA_SGD_STATE(X) X(momentum_buffer)
#define TORCHLORA_RMSPROP_STATE(X) X(square_avg) X(momentum_buffer) X(grad_avg)
#define TORCHLORA_ADAGRAD_STATE(X) X(sum)

// What a group chooses that libtorch's options cannot hold. Which kinds offer which is the
// TypeScript table's to say; a kind that lacks one keeps it false.
#define TORCHLORA_GROUP_FLAGS(X) X(maximize) X(foreach) X(fused)

namespace torchlora {

enum class OptimizerKind { kAdam, kAdamW, kSgd, kRmsprop, kAdagrad };

struct GroupFlags {
#define TORCHLORA_FLAG_MEMBER(name) bool name = false;
  TORCHLORA_GROUP_FLAGS(TORCHLORA_FLAG_MEMBER)
#undef TORCHLORA_FLAG_MEMBER
};

// libtorch's types for one kind.
template <typename OptimizerType, typename OptionsType, typename StateType>
struct KindTypes {
  using Optimizer = OptimizerType;
  using Options = OptionsType;
  using State = StateType;
};

// function(KindTypes<...>{}) for `kind`'s types.
template <typename Function>
decltype(auto) WithKindTypes(OptimizerKind kind, Function&& function) {
  namespace optim = torch::optim;
  switch (kind) {
    case OptimizerKind::kAdam: return function(KindTypes<optim::Adam, optim::AdamOptions, optim::AdamParamState>{});
    case OptimizerKind::kAdamW: return function(KindTypes<optim::AdamW, optim::AdamWOptions, optim::AdamWParamState>{});
    case OptimizerKind::kSgd: return function(KindTypes<optim::SGD, optim::SGDOptions, optim::SGDParamState>{});
    case OptimizerKind::kRmsprop: return function(KindTypes<optim::RMSprop, optim::RMSpropOptions, optim::RMSpropParamState>{});
    case OptimizerKind::kAdagrad: return function(KindTypes<optim::Adagrad, optim::AdagradOptions, optim::AdagradParamState>{});
  }
  throw std::logic_error("unknown optimizer kind");
}

template <typename T, typename... Candidates>
constexpr bool kIsOneOf = (std::is_same_v<std::remove_const_t<T>, Candidates> || ...);

// visit(name, field) for each field of `options`, a libtorch *Options (const or not).
template <typename Options, typename Visit>
void VisitOptions(Options& options, Visit&& visit) {
  namespace optim = torch::optim;
#define TORCHLORA_VISIT(name) visit(#name, options.name());
  if constexpr (kIsOneOf<Options, optim::AdamOptions, optim::AdamWOptions>) {
    TORCHLORA_ADAM_OPTIONS(TORCHLORA_VISIT)
  } else if constexpr (kIsOneOf<Options, optim::SGDOptions>) {
    TORCHLORA_SGD_OPTIONS(TORCHLORA_VISIT)
  } else if constexpr (kIsOneOf<Options, optim::RMSpropOptions>) {
    TORCHLORA_RMSPROP_OPTIONS(TORCHLORA_VISIT)
  } else {
    static_assert(kIsOneOf<Options, optim::AdagradOptions>, "an optimizer kind without a field list");
    TORCHLORA_ADAGRAD_OPTIONS(TORCHLORA_VISIT)
  }
#undef TORCHLORA_VISIT
}

// visit(name, tensor) for each tensor of `state`, a libtorch *ParamState (const or not).
template <typename State, typename Visit>
void VisitState(State& state, Visit&& visit) {
  namespace optim = torch::optim;
#define TORCHLORA_VISIT(name) visit(#name, state.name());
  if constexpr (kIsOneOf<State, optim::AdamParamState, optim::AdamWParamState>) {
    TORCHLORA_ADAM_STATE(TORCHLORA_VISIT)
  } else if constexpr (kIsOneOf<State, optim::SGDParamState>) {
    TORCHLORA_SGD_STATE(TORCHLORA_VISIT)
  } else if constexpr (kIsOneOf<State, optim::RMSpropParamState>) {
    TORCHLORA_RMSPROP_STATE(TORCHLORA_VISIT)
  } else {
    static_assert(kIsOneOf<State, optim::AdagradParamState>, "an optimizer kind without a state list");
    TORCHLORA_ADAGRAD_STATE(TORCHLORA_VISIT)
  }
#undef TORCHLORA_VISIT
}

// Whether a *ParamState keeps a step count (all but SGD's).
template <typename State, typename = void>
struct HasStep : std::false_type {};
template <typename State>
struct HasStep<State, std::void_t<decltype(std::declval<const State&>().step())>> : std::true_type {};

// "adam", "adamw", "sgd", "rmsprop" or "adagrad".
OptimizerKind ToOptimizerKind(const Napi::Value& value);

// Sets the flags whose keys are present.
void ApplyFlags(GroupFlags& flags, const Napi::Object& object);

// A group's options of `kind` from a complete options object.
std::unique_ptr<torch::optim::OptimizerOptions> NewOptions(OptimizerKind kind, const Napi::Object& object);

// Sets the options whose keys are present; `options` must be of `kind`.
void ApplyOptions(OptimizerKind kind, torch::optim::OptimizerOptions& options, const Napi::Object& object);

// The options of a group of `kind` and every flag, as a plain object.
Napi::Object OptionsToJs(Napi::Env env, OptimizerKind kind, const torch::optim::OptimizerOptions& options, const GroupFlags& flags);

// { options, flags, state, step }: the names above for `kind`, and whether its state keeps a step count.
Napi::Object FieldsToJs(Napi::Env env, OptimizerKind kind);

// libtorch's optimizer of `kind` over `groups`; `defaults` (a complete options object) serves
// groups added without options, which TypeScript never does.
std::unique_ptr<torch::optim::Optimizer> NewOptimizer(OptimizerKind kind, std::vector<torch::optim::OptimizerParamGroup> groups,
                                                      const Napi::Object& defaults);

}  // namespace torchlora
