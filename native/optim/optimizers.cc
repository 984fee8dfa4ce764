// Optimizers: one libtorch optimizer per JavaScript object, attached with napi_wrap and a
// type tag (a tensor passed by mistake is a TypeError, not a bad cast). The TypeScript
// layer validates every option and passes complete option objects, which options.cc
// converts; libtorch's optimizer holds the groups, their options and the per-parameter
// state, step.cc steps them as Python's torch.optim does, and this file reads and writes
// that state for state_dict()/load_state_dict(), by options.h's list of each kind's state.
//
// It builds against libtorch 1.13 and 2.x: the state map's key changed from the parameter's
// address as a string (1.13) to the address itself (2.1+; step.h's StateKey), and
// Optimizer::zero_grad() gained a set_to_none flag whose default flipped, so zero_grad is
// done here, with PyTorch's current default (set_to_none = true) chosen in TypeScript.
//
// A group's `maximize`, `foreach` and `fused` are kept beside libtorch's options, which lack
// them. Every path keeps libtorch's own state objects, so state_dict() and checkpoints do not
// depend on which path made them.
#include "optim/optimizers.h"

#include <memory>
#include <utility>

#include "optim/options.h"
#include "optim/step.h"
#include "core/tensor.h"

namespace torchlora {
namespace {

using Kind = OptimizerKind;

struct OptimizerBox {
  Kind kind;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::vector<GroupFlags> flags;  // one per parameter group, in order
};

constexpr napi_type_tag kOptimizerTag = {0x7a3c9e1f5b2d4c68ULL, 0x91e0d4b7a6c35f02ULL};

// Runs synchronously inside GC (a basic finalizer): it touches no JS.
void FinalizeBox(node_api_basic_env /*env*/, void* raw, void* /*hint*/) { delete static_cast<OptimizerBox*>(raw); }

OptimizerBox& BoxOf(const Napi::CallbackInfo& info, size_t index) {
  napi_env env = info.Env();
  bool tagged = false;
  void* raw = nullptr;
  if (!info[index].IsObject() || napi_check_object_type_tag(env, info[index], &kOptimizerTag, &tagged) != napi_ok || !tagged ||
      napi_unwrap(env, info[index], &raw) != napi_ok || raw == nullptr) {
    throw Napi::TypeError::New(env, "Expected an optimizer but received another value");
  }
  auto* box = static_cast<OptimizerBox*>(raw);
  if (!box->optimizer) throw Napi::TypeError::New(env, "Expected a live optimizer but received a disposed one");
  return *box;
}

// A group's options are set after libtorch has added the group (with a copy of the
// optimizer's defaults): libtorch 2.x's add_param_group merges options given with the group
// into the defaults, keeping the default wherever the group's value equals the options
// type's own default, so an explicit `momentum: 0` beside defaults of 0.9 would become 0.9.
void SetGroupOptions(torch::optim::OptimizerParamGroup& group, Kind kind, const Napi::Value& options) {
  group.set_options(NewOptions(kind, options.As<Napi::Object>()));
}

size_t GroupIndex(OptimizerBox& box, const Napi::Value& index) {
  const auto i = index.As<Napi::Number>().Int64Value();
  TORCH_CHECK(i >= 0 && i < static_cast<int64_t>(box.optimizer->param_groups().size()), "parameter group ", i, " does not exist");
  return static_cast<size_t>(i);
}

torch::optim::OptimizerParamGroup& GroupAt(OptimizerBox& box, const Napi::Value& index) {
  return box.optimizer->param_groups()[GroupIndex(box, index)];
}

// The parameter at (info[1], info[2]): its group and its index in the group.
const at::Tensor& ParamAt(OptimizerBox& box, const Napi::CallbackInfo& info) {
  const auto& params = GroupAt(box, info[1]).params();
  const auto index = info[2].As<Napi::Number>().Int64Value();
  TORCH_CHECK(index >= 0 && index < static_cast<int64_t>(params.size()), "parameter ", index, " does not exist");
  return params[static_cast<size_t>(index)];
}

// ---- per-parameter state ----

// Wraps a defined state tensor into outs[name] and records the name.
void Export(Napi::Env env, const Napi::Object& outs, Napi::Array& names, const char* name, const at::Tensor& tensor) {
  if (!tensor.defined()) return;
  WrapInto(env, outs.Get(name), tensor);
  names.Set(names.Length(), name);
}

// A copy of a saved state tensor on the parameter's device and dtype, as Python's
// Optimizer.load_state_dict casts it.
at::Tensor Imported(const Napi::Env env, const Napi::Object& state, const char* name, const at::Tensor& param) {
  if (!state.Has(name) || state.Get(name).IsUndefined() || state.Get(name).IsNull()) return at::Tensor();
  return Unwrap(env, state.Get(name)).detach().to(param.device(), param.scalar_type(), false, true);
}

// ---- exported functions ----

// optimizerNew(out, kind, groups: { params: Tensor[], options }[], defaults): `defaults` are
// the optimizer's own options, from which Adagrad's constructor fills every sum (as PyTorch's
// does with its initial_accumulator_value argument, whatever a group says).
Napi::Value New(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Kind kind = ToOptimizerKind(info[1]);
  Napi::Array groups_js = info[2].As<Napi::Array>();
  std::vector<torch::optim::OptimizerParamGroup> groups;
  std::vector<GroupFlags> flags(groups_js.Length());
  for (uint32_t i = 0; i < groups_js.Length(); ++i) {
    Napi::Object group = groups_js.Get(i).As<Napi::Object>();
    groups.emplace_back(ToTensors(env, group.Get("params")));
    ApplyFlags(flags[i], group.Get("options").As<Napi::Object>());
  }
  TORCH_CHECK(!groups.empty(), "an optimizer needs at least one parameter group");
  auto box = std::make_unique<OptimizerBox>();
  box->kind = kind;
  box->flags = std::move(flags);
  box->optimizer = NewOptimizer(kind, std::move(groups), info[3].As<Napi::Object>());
  for (uint32_t i = 0; i < groups_js.Length(); ++i) {
    SetGroupOptions(box->optimizer->param_groups()[i], kind, groups_js.Get(i).As<Napi::Object>().Get("options"));
  }
  NAPI_THROW_IF_FAILED(env, napi_wrap(env, info[0], box.get(), FinalizeBox, nullptr, nullptr), Napi::Value());
  box.release();
  NAPI_THROW_IF_FAILED(env, napi_type_tag_object(env, info[0], &kOptimizerTag), Napi::Value());
  return env.Undefined();
}

// optimizerAddParamGroup(optimizer, params, options)
Napi::Value AddParamGroup(const Napi::CallbackInfo& info) {
  OptimizerBox& box = BoxOf(info, 0);
  box.optimizer->add_param_group(torch::optim::OptimizerParamGroup(ToTensors(info.Env(), info[1])));
  auto& group = box.optimizer->param_groups().back();
  SetGroupOptions(group, box.kind, info[2]);
  box.flags.emplace_back();
  ApplyFlags(box.flags.back(), info[2].As<Napi::Object>());
  if (box.kind == Kind::kAdagrad) {
    for (const auto& param : group.params()) box.optimizer->state()[StateKey(param)] = InitialAdagradState(param, group.options());
  }
  return info.Env().Undefined();
}

// optimizerStep(optimizer): each group in turn, as PyTorch's step(); parameters without a
// gradient (frozen ones) are skipped.
Napi::Value Step(const Napi::CallbackInfo& info) {
  OptimizerBox& box = BoxOf(info, 0);
  auto& groups = box.optimizer->param_groups();
  for (size_t g = 0; g < groups.size(); ++g) StepGroup(box.kind, *box.optimizer, groups[g], box.flags[g]);
  return info.Env().Undefined();
}

// optimizerZeroGrad(optimizer, set_to_none): drops each gradient, or zeroes it in place as
// Python's zero_grad(set_to_none=False) does.
Napi::Value ZeroGrad(const Napi::CallbackInfo& info) {
  OptimizerBox& box = BoxOf(info, 0);
  const bool set_to_none = info[1].ToBoolean().Value();
  for (auto& group : box.optimizer->param_groups()) {
    for (auto& param : group.params()) {
      at::Tensor& grad = param.mutable_grad();
      if (!grad.defined()) continue;
      if (set_to_none) {
        grad.reset();
      } else {
        if (grad.grad_fn()) grad.detach_();
        else grad.requires_grad_(false);
        grad.zero_();
      }
    }
  }
  return info.Env().Undefined();
}

// optimizerGroupCount(optimizer) -> number of parameter groups
Napi::Value GroupCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(BoxOf(info, 0).optimizer->param_groups().size()));
}

// optimizerGetOptions(optimizer, group) -> the group's options as a plain object
Napi::Value GetOptions(const Napi::CallbackInfo& info) {
  OptimizerBox& box = BoxOf(info, 0);
  const size_t group = GroupIndex(box, info[1]);
  return OptionsToJs(info.Env(), box.kind, box.optimizer->param_groups()[group].options(), box.flags[group]);
}

// optimizerSetOptions(optimizer, group, options): sets the keys present
Napi::Value SetOptions(const Napi::CallbackInfo& info) {
  OptimizerBox& box = BoxOf(info, 0);
  auto& options = GroupAt(box, info[1]).options();
  const Napi::Object object = info[2].As<Napi::Object>();
  ApplyFlags(box.flags[GroupIndex(box, info[1])], object);
  ApplyOptions(box.kind, options, object);
  return info.Env().Undefined();
}

// optimizerGetState(optimizer, group, index, outs: { [name]: Tensor } for every state tensor name)
//   -> null before the parameter's first step, else { step?, names }: the state tensors
//      (shared with the optimizer, not copies) are wrapped into outs[name] for each name.
Napi::Value GetState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  OptimizerBox& box = BoxOf(info, 0);
  const auto& state = box.optimizer->state();
  const auto found = state.find(StateKey(ParamAt(box, info)));
  if (found == state.end()) return env.Null();
  const Napi::Object outs = info[3].As<Napi::Object>();
  Napi::Object result = Napi::Object::New(env);
  Napi::Array names = Napi::Array::New(env);
  WithKindTypes(box.kind, [&](auto types) {
    using State = typename decltype(types)::State;
    const auto& state = static_cast<const State&>(*found->second);
    if constexpr (HasStep<State>::value) result.Set("step", static_cast<double>(state.step()));
    VisitState(state, [&](const char* name, const at::Tensor& tensor) { Export(env, outs, names, name, tensor); });
  });
  result.Set("names", names);
  return result;
}

// optimizerSetState(optimizer, group, index, state | null): copies of the given tensors
// become the parameter's state; null forgets it.
Napi::Value SetState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  OptimizerBox& box = BoxOf(info, 0);
  const at::Tensor& param = ParamAt(box, info);
  auto& state = box.optimizer->state();
  if (info[3].IsNull() || info[3].IsUndefined()) {
    if (box.kind == Kind::kAdagrad) state[StateKey(param)] = InitialAdagradState(param, GroupAt(box, info[1]).options());
    else state.erase(StateKey(param));
    return env.Undefined();
  }
  const Napi::Object object = info[3].As<Napi::Object>();
  state[StateKey(param)] = WithKindTypes(box.kind, [&](auto types) -> std::unique_ptr<torch::optim::OptimizerParamState> {
    using State = typename decltype(types)::State;
    auto imported = std::make_unique<State>();
    if constexpr (HasStep<State>::value) imported->step(object.Get("step").As<Napi::Number>().Int64Value());
    VisitState(*imported, [&](const char* name, at::Tensor& tensor) { tensor = Imported(env, object, name, param); });
    return imported;
  });
  return env.Undefined();
}

// optimizerFields(kind) -> options.h's lists for the kind (see FieldsToJs)
Napi::Value Fields(const Napi::CallbackInfo& info) { return FieldsToJs(info.Env(), ToOptimizerKind(info[0])); }

// optimizerDispose(optimizer): frees the optimizer and its state now (idempotent).
Napi::Value Dispose(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  bool tagged = false;
  void* raw = nullptr;
  if (info[0].IsObject() && napi_check_object_type_tag(env, info[0], &kOptimizerTag, &tagged) == napi_ok && tagged &&
      napi_unwrap(env, info[0], &raw) == napi_ok && raw != nullptr) {
    static_cast<OptimizerBox*>(raw)->optimizer.reset();
  }
  return info.Env().Undefined();
}

}  // namespace

void InitOptim(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "optimizerNew", New);
  TORCHLORA_EXPORT(exports, "optimizerAddParamGroup", AddParamGroup);
  TORCHLORA_EXPORT(exports, "optimizerStep", Step);
  TORCHLORA_EXPORT(exports, "optimizerZeroGrad", ZeroGrad);
  TORCHLORA_EXPORT(exports, "optimizerGroupCount", GroupCount);
  TORCHLORA_EXPORT(exports, "optimizerGetOptions", GetOptions);
  TORCHLORA_EXPORT(exports, "optimizerSetOptions", SetOptions);
  TORCHLORA_EXPORT(exports, "optimizerGetState", GetState);
  TORCHLORA_EXPORT(exports, "optimizerSetState", SetState);
  TORCHLORA_EXPORT(exports, "optimizerFields", Fields);
  TORCHLORA_EXPORT(exports, "optimizerDispose", Dispose);
  (void)env;
}

}  // namespace torchlora
