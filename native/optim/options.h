// Optimizer options per kind: libtorch's *Options built from, and turned back into, the plain
// objects the TypeScript layer passes (every field present: TypeScript fills the defaults and
// checks every value), and the per-group choices libtorch's options cannot hold.
#pragma once

#include <torch/optim/optimizer.h>

#include <memory>
#include <vector>

#include "core/common.h"

namespace torchlora {

enum class OptimizerKind { kAdam, kAdamW, kSgd, kRmsprop, kAdagrad };

// What a group chooses that libtorch's options cannot hold (Adam, AdamW and SGD only).
struct GroupFlags {
  bool fused = false;
  bool maximize = false;
};

// "adam", "adamw", "sgd", "rmsprop" or "adagrad".
OptimizerKind ToOptimizerKind(const Napi::Value& value);

// Sets the flags whose keys are present (fused, maximize).
void ApplyFlags(GroupFlags& flags, const Napi::Object& object);

// A group's options of `kind` from a complete options object.
std::unique_ptr<torch::optim::OptimizerOptions> NewOptions(OptimizerKind kind, const Napi::Object& object);

// Sets the options whose keys are present; `options` must be of `kind`.
void ApplyOptions(OptimizerKind kind, torch::optim::OptimizerOptions& options, const Napi::Object& object);

// The options of a group of `kind` (with its flags, for the kinds that have them) as a plain object.
Napi::Object OptionsToJs(Napi::Env env, OptimizerKind kind, const torch::optim::OptimizerOptions& options, const GroupFlags& flags);

// libtorch's optimizer of `kind` over `groups`; `defaults` (a complete options object) serves
// groups added without options, which TypeScript never does.
std::unique_ptr<torch::optim::Optimizer> NewOptimizer(OptimizerKind kind, std::vector<torch::optim::OptimizerParamGroup> groups,
                                                      const Napi::Object& defaults);

}  // namespace torchlora
