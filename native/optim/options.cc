// Optimizer options per kind (see options.h): every conversion walks options.h's lists, so a
// field is read from JavaScript and written back to it by the same line.
#include "optim/options.h"

#include <string>

namespace torchlora {
namespace {

// A field's value from JavaScript, by the field's C++ type (TypeScript checked it).
void FromJs(const Napi::Value& value, double& field) { field = value.As<Napi::Number>().DoubleValue(); }
void FromJs(const Napi::Value& value, bool& field) { field = value.ToBoolean().Value(); }
void FromJs(const Napi::Value& value, std::tuple<double, double>& field) {
  const Napi::Array pair = value.As<Napi::Array>();
  field = std::make_tuple(pair.Get(0u).As<Napi::Number>().DoubleValue(), pair.Get(1u).As<Napi::Number>().DoubleValue());
}

Napi::Value ToJs(Napi::Env env, double field) { return Napi::Number::New(env, field); }
Napi::Value ToJs(Napi::Env env, bool field) { return Napi::Boolean::New(env, field); }
Napi::Value ToJs(Napi::Env env, const std::tuple<double, double>& field) {
  Napi::Array pair = Napi::Array::New(env, 2);
  pair.Set(0u, std::get<0>(field));
  pair.Set(1u, std::get<1>(field));
  return pair;
}

// Sets the fields of `options` whose keys `object` has.
template <typename Options>
void Apply(Options& options, const Napi::Object& object) {
  VisitOptions(options, [&](const char* name, auto& field) {
    if (object.Has(name)) FromJs(object.Get(name), field);
  });
}

// A kind's options with libtorch's defaults (SGD's constructor wants a learning rate: Apply
// sets the one given).
template <typename Options>
Options Blank() {
  if constexpr (std::is_same_v<Options, torch::optim::SGDOptions>) return Options(0.0);
  else return Options();
}

template <typename Visit>
Napi::Array Names(Napi::Env env, Visit&& list) {
  Napi::Array names = Napi::Array::New(env);
  list([&](const char* name, const auto& /*field*/) { names.Set(names.Length(), name); });
  return names;
}

}  // namespace

OptimizerKind ToOptimizerKind(const Napi::Value& value) {
  const std::string name = value.As<Napi::String>().Utf8Value();
  if (name == "adam") return OptimizerKind::kAdam;
  if (name == "adamw") return OptimizerKind::kAdamW;
  if (name == "sgd") return OptimizerKind::kSgd;
  if (name == "rmsprop") return OptimizerKind::kRmsprop;
  if (name == "adagrad") return OptimizerKind::kAdagrad;
  throw std::invalid_argument("unknown optimizer kind " + name);
}

void ApplyFlags(GroupFlags& flags, const Napi::Object& object) {
#define TORCHLORA_APPLY_FLAG(name) \
  if (object.Has(#name)) FromJs(object.Get(#name), flags.name);
  TORCHLORA_GROUP_FLAGS(TORCHLORA_APPLY_FLAG)
#undef TORCHLORA_APPLY_FLAG
}

std::unique_ptr<torch::optim::OptimizerOptions> NewOptions(OptimizerKind kind, const Napi::Object& object) {
  return WithKindTypes(kind, [&](auto types) -> std::unique_ptr<torch::optim::OptimizerOptions> {
    using Options = typename decltype(types)::Options;
    auto options = std::make_unique<Options>(Blank<Options>());
    Apply(*options, object);
    return options;
  });
}

void ApplyOptions(OptimizerKind kind, torch::optim::OptimizerOptions& options, const Napi::Object& object) {
  WithKindTypes(kind, [&](auto types) { Apply(static_cast<typename decltype(types)::Options&>(options), object); });
}

Napi::Object OptionsToJs(Napi::Env env, OptimizerKind kind, const torch::optim::OptimizerOptions& options, const GroupFlags& flags) {
  Napi::Object object = Napi::Object::New(env);
  WithKindTypes(kind, [&](auto types) {
    VisitOptions(static_cast<const typename decltype(types)::Options&>(options),
                 [&](const char* name, const auto& field) { object.Set(name, ToJs(env, field)); });
  });
#define TORCHLORA_FLAG_TO_JS(name) object.Set(#name, ToJs(env, flags.name));
  TORCHLORA_GROUP_FLAGS(TORCHLORA_FLAG_TO_JS)
#undef TORCHLORA_FLAG_TO_JS
  return object;
}

Napi::Object FieldsToJs(Napi::Env env, OptimizerKind kind) {
  Napi::Object object = Napi::Object::New(env);
  WithKindTypes(kind, [&](auto types) {
    using Types = decltype(types);
    object.Set("options", Names(env, [](auto&& visit) {
                 typename Types::Options options = Blank<typename Types::Options>();
                 VisitOptions(options, visit);
               }));
    object.Set("state", Names(env, [](auto&& visit) {
                 typename Types::State state;
                 VisitState(state, visit);
               }));
    object.Set("step", HasStep<typename Types::State>::value);
  });
  Napi::Array flags = Napi::Array::New(env);
#define TORCHLORA_FLAG_NAME(name) flags.Set(flags.Length(), #name);
  TORCHLORA_GROUP_FLAGS(TORCHLORA_FLAG_NAME)
#undef TORCHLORA_FLAG_NAME
  object.Set("flags", flags);
  return object;
}

std::unique_ptr<torch::optim::Optimizer> NewOptimizer(OptimizerKind kind, std::vector<torch::optim::OptimizerParamGroup> groups,
                                                      const Napi::Object& defaults) {
  return WithKindTypes(kind, [&](auto types) -> std::unique_ptr<torch::optim::Optimizer> {
    using Types = decltype(types);
    auto options = Blank<typename Types::Options>();
    Apply(options, defaults);
    return std::make_unique<typename Types::Optimizer>(std::move(groups), options);
  });
}

}  // namespace torchlora
