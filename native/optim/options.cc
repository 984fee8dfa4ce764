// Optimizer options per kind (see optim_options.h). Adam and AdamW share their fields in two
// types, so their conversions are templates.
#include "optim/options.h"

#include <torch/optim/adagrad.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/rmsprop.h>
#include <torch/optim/sgd.h>

#include <stdexcept>
#include <string>
#include <tuple>

namespace torchlora {
namespace {

using Kind = OptimizerKind;

double Field(const Napi::Object& object, const char* name) { return object.Get(name).As<Napi::Number>().DoubleValue(); }
bool Flag(const Napi::Object& object, const char* name) { return object.Get(name).ToBoolean().Value(); }

void FlagsToJs(Napi::Object& object, const GroupFlags& flags) {
  object.Set("fused", flags.fused);
  object.Set("maximize", flags.maximize);
}

// Adam and AdamW have the same fields in different types. Only the keys present are applied,
// so the same function builds options and updates them.
template <typename Options>
void ApplyAdamOptions(Options& options, const Napi::Object& object) {
  if (object.Has("lr")) options.lr(Field(object, "lr"));
  if (object.Has("betas")) {
    Napi::Array betas = object.Get("betas").As<Napi::Array>();
    options.betas(std::make_tuple(betas.Get(0u).As<Napi::Number>().DoubleValue(), betas.Get(1u).As<Napi::Number>().DoubleValue()));
  }
  if (object.Has("eps")) options.eps(Field(object, "eps"));
  if (object.Has("weight_decay")) options.weight_decay(Field(object, "weight_decay"));
  if (object.Has("amsgrad")) options.amsgrad(Flag(object, "amsgrad"));
}

void ApplySgdOptions(torch::optim::SGDOptions& options, const Napi::Object& object) {
  if (object.Has("lr")) options.lr(Field(object, "lr"));
  if (object.Has("momentum")) options.momentum(Field(object, "momentum"));
  if (object.Has("dampening")) options.dampening(Field(object, "dampening"));
  if (object.Has("weight_decay")) options.weight_decay(Field(object, "weight_decay"));
  if (object.Has("nesterov")) options.nesterov(Flag(object, "nesterov"));
}

void ApplyRmspropOptions(torch::optim::RMSpropOptions& options, const Napi::Object& object) {
  if (object.Has("lr")) options.lr(Field(object, "lr"));
  if (object.Has("alpha")) options.alpha(Field(object, "alpha"));
  if (object.Has("eps")) options.eps(Field(object, "eps"));
  if (object.Has("weight_decay")) options.weight_decay(Field(object, "weight_decay"));
  if (object.Has("momentum")) options.momentum(Field(object, "momentum"));
  if (object.Has("centered")) options.centered(Flag(object, "centered"));
}

void ApplyAdagradOptions(torch::optim::AdagradOptions& options, const Napi::Object& object) {
  if (object.Has("lr")) options.lr(Field(object, "lr"));
  if (object.Has("lr_decay")) options.lr_decay(Field(object, "lr_decay"));
  if (object.Has("weight_decay")) options.weight_decay(Field(object, "weight_decay"));
  if (object.Has("initial_accumulator_value")) options.initial_accumulator_value(Field(object, "initial_accumulator_value"));
  if (object.Has("eps")) options.eps(Field(object, "eps"));
}

template <typename Options>
Napi::Object AdamOptionsToJs(Napi::Env env, const Options& options, const GroupFlags& flags) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("lr", options.lr());
  Napi::Array betas = Napi::Array::New(env, 2);
  betas.Set(0u, std::get<0>(options.betas()));
  betas.Set(1u, std::get<1>(options.betas()));
  object.Set("betas", betas);
  object.Set("eps", options.eps());
  object.Set("weight_decay", options.weight_decay());
  object.Set("amsgrad", options.amsgrad());
  FlagsToJs(object, flags);
  return object;
}

Napi::Object SgdOptionsToJs(Napi::Env env, const torch::optim::SGDOptions& options, const GroupFlags& flags) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("lr", options.lr());
  object.Set("momentum", options.momentum());
  object.Set("dampening", options.dampening());
  object.Set("weight_decay", options.weight_decay());
  object.Set("nesterov", options.nesterov());
  FlagsToJs(object, flags);
  return object;
}

Napi::Object RmspropOptionsToJs(Napi::Env env, const torch::optim::RMSpropOptions& options) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("lr", options.lr());
  object.Set("alpha", options.alpha());
  object.Set("eps", options.eps());
  object.Set("weight_decay", options.weight_decay());
  object.Set("momentum", options.momentum());
  object.Set("centered", options.centered());
  return object;
}

Napi::Object AdagradOptionsToJs(Napi::Env env, const torch::optim::AdagradOptions& options) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("lr", options.lr());
  object.Set("lr_decay", options.lr_decay());
  object.Set("weight_decay", options.weight_decay());
  object.Set("initial_accumulator_value", options.initial_accumulator_value());
  object.Set("eps", options.eps());
  return object;
}

}  // namespace

OptimizerKind ToOptimizerKind(const Napi::Value& value) {
  const std::string name = value.As<Napi::String>().Utf8Value();
  if (name == "adam") return Kind::kAdam;
  if (name == "adamw") return Kind::kAdamW;
  if (name == "sgd") return Kind::kSgd;
  if (name == "rmsprop") return Kind::kRmsprop;
  if (name == "adagrad") return Kind::kAdagrad;
  throw std::invalid_argument("unknown optimizer kind " + name);
}

void ApplyFlags(GroupFlags& flags, const Napi::Object& object) {
  if (object.Has("fused")) flags.fused = Flag(object, "fused");
  if (object.Has("maximize")) flags.maximize = Flag(object, "maximize");
}

std::unique_ptr<torch::optim::OptimizerOptions> NewOptions(Kind kind, const Napi::Object& object) {
  switch (kind) {
    case Kind::kAdam: {
      auto options = std::make_unique<torch::optim::AdamOptions>();
      ApplyAdamOptions(*options, object);
      return options;
    }
    case Kind::kAdamW: {
      auto options = std::make_unique<torch::optim::AdamWOptions>();
      ApplyAdamOptions(*options, object);
      return options;
    }
    case Kind::kSgd: {
      auto options = std::make_unique<torch::optim::SGDOptions>(Field(object, "lr"));
      ApplySgdOptions(*options, object);
      return options;
    }
    case Kind::kRmsprop: {
      auto options = std::make_unique<torch::optim::RMSpropOptions>();
      ApplyRmspropOptions(*options, object);
      return options;
    }
    case Kind::kAdagrad: {
      auto options = std::make_unique<torch::optim::AdagradOptions>();
      ApplyAdagradOptions(*options, object);
      return options;
    }
  }
  throw std::logic_error("unreachable");
}

void ApplyOptions(OptimizerKind kind, torch::optim::OptimizerOptions& options, const Napi::Object& object) {
  switch (kind) {
    case Kind::kAdam: return ApplyAdamOptions(static_cast<torch::optim::AdamOptions&>(options), object);
    case Kind::kAdamW: return ApplyAdamOptions(static_cast<torch::optim::AdamWOptions&>(options), object);
    case Kind::kSgd: return ApplySgdOptions(static_cast<torch::optim::SGDOptions&>(options), object);
    case Kind::kRmsprop: return ApplyRmspropOptions(static_cast<torch::optim::RMSpropOptions&>(options), object);
    case Kind::kAdagrad: return ApplyAdagradOptions(static_cast<torch::optim::AdagradOptions&>(options), object);
  }
}

Napi::Object OptionsToJs(Napi::Env env, OptimizerKind kind, const torch::optim::OptimizerOptions& options, const GroupFlags& flags) {
  switch (kind) {
    case Kind::kAdam: return AdamOptionsToJs(env, static_cast<const torch::optim::AdamOptions&>(options), flags);
    case Kind::kAdamW: return AdamOptionsToJs(env, static_cast<const torch::optim::AdamWOptions&>(options), flags);
    case Kind::kSgd: return SgdOptionsToJs(env, static_cast<const torch::optim::SGDOptions&>(options), flags);
    case Kind::kRmsprop: return RmspropOptionsToJs(env, static_cast<const torch::optim::RMSpropOptions&>(options));
    case Kind::kAdagrad: return AdagradOptionsToJs(env, static_cast<const torch::optim::AdagradOptions&>(options));
  }
  throw std::logic_error("unreachable");
}

std::unique_ptr<torch::optim::Optimizer> NewOptimizer(OptimizerKind kind, std::vector<torch::optim::OptimizerParamGroup> groups,
                                                      const Napi::Object& defaults) {
  switch (kind) {
    case Kind::kAdam: {
      torch::optim::AdamOptions options;
      ApplyAdamOptions(options, defaults);
      return std::make_unique<torch::optim::Adam>(std::move(groups), options);
    }
    case Kind::kAdamW: {
      torch::optim::AdamWOptions options;
      ApplyAdamOptions(options, defaults);
      return std::make_unique<torch::optim::AdamW>(std::move(groups), options);
    }
    case Kind::kSgd: {
      torch::optim::SGDOptions options(Field(defaults, "lr"));
      ApplySgdOptions(options, defaults);
      return std::make_unique<torch::optim::SGD>(std::move(groups), options);
    }
    case Kind::kRmsprop: {
      torch::optim::RMSpropOptions options;
      ApplyRmspropOptions(options, defaults);
      return std::make_unique<torch::optim::RMSprop>(std::move(groups), options);
    }
    case Kind::kAdagrad: {
      torch::optim::AdagradOptions options;
      ApplyAdagradOptions(options, defaults);
      return std::make_unique<torch::optim::Adagrad>(std::move(groups), options);
    }
  }
  throw std::logic_error("unreachable");
}

}  // namespace torchlora
