#include "core/autograd.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "core/tensor.h"

namespace torchlora {
namespace {

// backward(a, gradient | null, retain_graph, create_graph)
Napi::Value Backward(const Napi::CallbackInfo& info) {
  const at::Tensor& a = Unwrap(info, 0);
  at::Tensor gradient = info[1].IsNull() || info[1].IsUndefined() ? at::Tensor() : Unwrap(info, 1);
  const bool create_graph = info[3].ToBoolean().Value();
  c10::optional<bool> retain_graph;
  if (!info[2].IsUndefined() && !info[2].IsNull()) retain_graph = info[2].ToBoolean().Value();
  a.backward(gradient, retain_graph, create_graph);
  return info.Env().Undefined();
}

// grad(a) -> the id of a's gradient, or null when it has none
Napi::Value Grad(const Napi::CallbackInfo& info) {
  const at::Tensor& grad = Unwrap(info, 0).grad();
  if (!grad.defined()) return info.Env().Null();
  return Wrap(info.Env(), grad);
}

// setGrad(a, gradient | null)
Napi::Value SetGrad(const Napi::CallbackInfo& info) {
  at::Tensor a = Unwrap(info, 0);
  a.mutable_grad() = info[1].IsNull() || info[1].IsUndefined() ? at::Tensor() : Unwrap(info, 1);
  return info.Env().Undefined();
}

Napi::Value RequiresGrad(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), Unwrap(info, 0).requires_grad());
}

Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
  Unwrap(info, 0).requires_grad_(info[1].ToBoolean().Value());
  return info.Env().Undefined();
}

Napi::Value IsLeaf(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), Unwrap(info, 0).is_leaf());
}

Napi::Value RetainGrad(const Napi::CallbackInfo& info) {
  Unwrap(info, 0).retain_grad();
  return info.Env().Undefined();
}

// gradFn(a) -> the name of the node that made a ("MulBackward0"), or null for a leaf
Napi::Value GradFn(const Napi::CallbackInfo& info) {
  const auto& function = Unwrap(info, 0).grad_fn();
  if (!function) return info.Env().Null();
  return Napi::String::New(info.Env(), function->name());
}

// Autograd nodes as JavaScript values (grad_fn.next_functions): an External owning a reference
// to the node, in the owner type this libtorch's edges use.
using NodeOwner = decltype(torch::autograd::Edge::function);

Napi::Value WrapNode(Napi::Env env, const NodeOwner& node) {
  if (!node) return env.Null();
  return Napi::External<NodeOwner>::New(env, new NodeOwner(node), [](Napi::Env, NodeOwner* owned) { delete owned; });
}

const NodeOwner& UnwrapNode(const Napi::Value& value) { return *value.As<Napi::External<NodeOwner>>().Data(); }

// gradFnNode(a) -> the node that made a, or null for a leaf
Napi::Value GradFnNode(const Napi::CallbackInfo& info) { return WrapNode(info.Env(), Unwrap(info, 0).grad_fn()); }

// nodeName(node) -> "MulBackward0"
Napi::Value NodeName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), UnwrapNode(info[0])->name()); }

// nodeNextFunctions(node) -> [[next node | null, input_nr], ...], one per input of the node's operation
Napi::Value NodeNextFunctions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& edges = UnwrapNode(info[0])->next_edges();
  Napi::Array result = Napi::Array::New(env, edges.size());
  for (uint32_t i = 0; i < edges.size(); ++i) {
    Napi::Array pair = Napi::Array::New(env, 2);
    pair.Set(0u, WrapNode(env, edges[i].function));
    pair.Set(1u, Napi::Number::New(env, edges[i].input_nr));
    result.Set(i, pair);
  }
  return result;
}

// autogradGrad(outs, outputs, inputs, gradOutputs | null, retain_graph, create_graph, allow_unused)
// Wraps each defined gradient into outs[i]; returns which ones were defined.
Napi::Value AutogradGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto outputs = ToTensors(env, info[1]);
  const auto inputs = ToTensors(env, info[2]);
  std::vector<at::Tensor> grad_outputs;
  if (info[3].IsArray()) grad_outputs = ToTensors(env, info[3]);
  c10::optional<bool> retain_graph;
  if (!info[4].IsUndefined() && !info[4].IsNull()) retain_graph = info[4].ToBoolean().Value();
  const auto grads = torch::autograd::grad(outputs, inputs, grad_outputs, retain_graph,
                                           info[5].ToBoolean().Value(), info[6].ToBoolean().Value());
  Napi::Array outs = info[0].As<Napi::Array>();
  Napi::Array defined = Napi::Array::New(env, grads.size());
  for (uint32_t i = 0; i < grads.size(); ++i) {
    defined.Set(i, grads[i].defined());
    if (grads[i].defined()) WrapInto(env, outs.Get(i), grads[i]);
  }
  return defined;
}

// setGradEnabled(flag) -> the previous mode
Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  const bool previous = at::GradMode::is_enabled();
  at::GradMode::set_enabled(info[0].ToBoolean().Value());
  return Napi::Boolean::New(info.Env(), previous);
}

Napi::Value IsGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled());
}

}  // namespace

void InitAutograd(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "backward", Backward);
  TORCHLORA_EXPORT(exports, "grad", Grad);
  TORCHLORA_EXPORT(exports, "setGrad", SetGrad);
  TORCHLORA_EXPORT(exports, "requiresGrad", RequiresGrad);
  TORCHLORA_EXPORT(exports, "setRequiresGrad", SetRequiresGrad);
  TORCHLORA_EXPORT(exports, "isLeaf", IsLeaf);
  TORCHLORA_EXPORT(exports, "retainGrad", RetainGrad);
  TORCHLORA_EXPORT(exports, "gradFn", GradFn);
  TORCHLORA_EXPORT(exports, "gradFnNode", GradFnNode);
  TORCHLORA_EXPORT(exports, "nodeName", NodeName);
  TORCHLORA_EXPORT(exports, "nodeNextFunctions", NodeNextFunctions);
  TORCHLORA_EXPORT(exports, "autogradGrad", AutogradGrad);
  TORCHLORA_EXPORT(exports, "setGradEnabled", SetGradEnabled);
  TORCHLORA_EXPORT(exports, "isGradEnabled", IsGradEnabled);
  (void)env;
}

}  // namespace torchlora
