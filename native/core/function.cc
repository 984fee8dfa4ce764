// Autograd nodes whose backward is JavaScript: R torch's autograd_function and
// torch.autograd.Function, and tensor.register_hook. The TypeScript layer runs the user's
// forward without grad; attachFunction makes the outputs children of a JsNode whose apply()
// calls back into JavaScript with the incoming gradients. The CPU autograd engine runs a
// graph on the thread that called backward(), the JavaScript thread; CUDA graphs run on the
// engine's device threads, which may not call JavaScript, so CUDA is refused before any node
// is made.
#include "core/function.h"

#include <torch/csrc/autograd/anomaly_mode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/variable.h>

#include <stdexcept>
#include <type_traits>
#include <thread>

#include "core/tensor.h"

namespace torchlora {
namespace {

using torch::autograd::variable_list;

// Calls `callback(grads as Tensor objects)` and converts what it returns: an array with one
// Tensor or null per input.
struct JsBackward {
  Napi::Env env;
  Napi::FunctionReference callback;
  Napi::FunctionReference make;  // the TypeScript layer's newTensor
  std::thread::id thread;

  variable_list Call(const variable_list& grads, size_t inputs) {
    if (std::this_thread::get_id() != thread) {
      throw std::runtime_error("a JavaScript autograd function or hook ran on another thread than the one that made it");
    }
    Napi::HandleScope scope(env);
    Napi::Array array = Napi::Array::New(env, grads.size());
    for (uint32_t i = 0; i < grads.size(); ++i) {
      if (!grads[i].defined()) {
        array.Set(i, env.Null());
        continue;
      }
      Napi::Value object = make.Call({});
      WrapInto(env, object, grads[i]);
      array.Set(i, object);
    }
    Napi::Value result = callback.Call({array});
    Napi::Array returned = result.As<Napi::Array>();
    variable_list out(inputs);
    for (uint32_t i = 0; i < inputs && i < returned.Length(); ++i) {
      Napi::Value value = returned.Get(i);
      if (!value.IsNull() && !value.IsUndefined()) out[i] = Unwrap(env, value);
    }
    return out;
  }
};

struct JsNode : torch::autograd::Node {
  JsNode(torch::autograd::edge_list&& next, JsBackward&& backward, size_t inputs)
      : Node(std::move(next)), backward_(std::move(backward)), inputs_(inputs) {}

  variable_list apply(variable_list&& grads) override { return backward_.Call(grads, inputs_); }
  std::string name() const override { return "JsFunctionBackward"; }

 private:
  JsBackward backward_;
  size_t inputs_;
};

// A node owned the way this libtorch's graph edges own nodes: c10::intrusive_ptr in recent 2.x,
// std::shared_ptr with libtorch's deleteNode (which frees long chains without deep recursion)
// before. `deleteNode` is called unqualified so that it is looked up, by argument-dependent
// lookup through Node's namespace, only where that branch is compiled.
template <typename Made, typename... Args>
decltype(torch::autograd::Edge::function) MakeNode(Args&&... args) {
  using Owner = decltype(torch::autograd::Edge::function);
  if constexpr (std::is_same_v<Owner, std::shared_ptr<torch::autograd::Node>>) {
    return std::shared_ptr<Made>(new Made(std::forward<Args>(args)...), [](Made* node) { deleteNode(node); });
  } else {
    return c10::make_intrusive<Made>(std::forward<Args>(args)...);
  }
}

void RefuseCuda(const std::vector<at::Tensor>& tensors) {
  for (const at::Tensor& tensor : tensors) {
    if (tensor.defined() && tensor.is_cuda()) {
      throw std::invalid_argument("autograd functions and hooks written in JavaScript run on the CPU only: CUDA's autograd engine calls them from its own threads");
    }
  }
}

// attachFunction(make, outputs, inputs, backward, dirty) -> the outputs, now with grad_fn = a
// JsNode whose backward(grads) returns one gradient per input. The outputs were computed
// without grad; each becomes a fresh tensor over the same storage, so an output that is an
// input keeps the input's own history; but the outputs at the indices `dirty` (inputs that
// forward modified in place, ctx.mark_dirty) are returned as themselves, their history
// rebased onto the node, as an in-place operation's is.
Napi::Value AttachFunction(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<at::Tensor> outputs = ToTensors(env, info[1]);
  const std::vector<at::Tensor> inputs = ToTensors(env, info[2]);
  RefuseCuda(inputs);
  RefuseCuda(outputs);
  JsBackward backward{env, Napi::Persistent(info[3].As<Napi::Function>()), Napi::Persistent(info[0].As<Napi::Function>()), std::this_thread::get_id()};
  auto node = MakeNode<JsNode>(torch::autograd::collect_next_edges(inputs), std::move(backward), inputs.size());
  const Napi::Function make = info[0].As<Napi::Function>();
  Napi::Array result = Napi::Array::New(env, outputs.size());
  std::vector<bool> dirty(outputs.size(), false);
  if (info[4].IsArray()) {
    Napi::Array indices = info[4].As<Napi::Array>();
    for (uint32_t k = 0; k < indices.Length(); ++k) dirty.at(indices.Get(k).As<Napi::Number>().Uint32Value()) = true;
  }
  for (uint32_t i = 0; i < outputs.size(); ++i) {
    if (dirty[i]) {
      const at::Tensor& modified = outputs[i];
      if (modified.is_leaf() && modified.requires_grad()) {
        throw std::runtime_error("a leaf Variable that requires grad has been used in an in-place operation.");
      }
      if (at::isFloatingType(modified.scalar_type())) {
        torch::autograd::impl::rebase_history(modified, {node, node->add_input_metadata(modified)});
      } else {
        node->add_input_metadata(torch::autograd::Node::undefined_input());
      }
      result.Set(i, info[1].As<Napi::Array>().Get(i));
      continue;
    }
    at::Tensor output = outputs[i].detach();
    // Every output has its slot, so that backward's i-th gradient is output i's (none for integers).
    if (at::isFloatingType(output.scalar_type())) {
      torch::autograd::create_gradient_edge(output, node);
    } else {
      node->add_input_metadata(torch::autograd::Node::undefined_input());
    }
    Napi::Value object = make.Call({});
    WrapInto(env, object, std::move(output));
    result.Set(i, object);
  }
  return result;
}

// registerHook(tensor, make, hook): hook(grad) returns a replacement gradient or null.
Napi::Value RegisterHook(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor tensor = Unwrap(info, 0);
  RefuseCuda({tensor});
  auto backward = std::make_shared<JsBackward>(JsBackward{env, Napi::Persistent(info[2].As<Napi::Function>()),
                                                          Napi::Persistent(info[1].As<Napi::Function>()), std::this_thread::get_id()});
  const unsigned handle = tensor.register_hook([backward](const at::Tensor& grad) -> at::Tensor {
    return backward->Call({grad}, 1)[0];
  });
  return Napi::Number::New(env, handle);
}

Napi::Value RemoveHook(const Napi::CallbackInfo& info) {
  Unwrap(info, 0).remove_hook(static_cast<unsigned>(info[1].As<Napi::Number>().Uint32Value()));
  return info.Env().Undefined();
}

// autogradBackward(tensors, grads | null, retain_graph, create_graph)
Napi::Value AutogradBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto tensors = ToTensors(env, info[0]);
  std::vector<at::Tensor> grads;
  if (info[1].IsArray()) {
    Napi::Array array = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < array.Length(); ++i) grads.push_back(array.Get(i).IsNull() ? at::Tensor() : Unwrap(env, array.Get(i)));
  }
  c10::optional<bool> retain_graph;
  if (!info[2].IsUndefined() && !info[2].IsNull()) retain_graph = info[2].ToBoolean().Value();
  torch::autograd::backward(tensors, grads, retain_graph, info[3].ToBoolean().Value());
  return env.Undefined();
}

// setAnomalyEnabled(flag) -> the previous mode
Napi::Value SetAnomalyEnabled(const Napi::CallbackInfo& info) {
  const bool previous = torch::autograd::AnomalyMode::is_enabled();
  torch::autograd::AnomalyMode::set_enabled(info[0].ToBoolean().Value());
  return Napi::Boolean::New(info.Env(), previous);
}

}  // namespace

void InitFunction(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "attachFunction", AttachFunction);
  TORCHLORA_EXPORT(exports, "registerHook", RegisterHook);
  TORCHLORA_EXPORT(exports, "removeHook", RemoveHook);
  TORCHLORA_EXPORT(exports, "autogradBackward", AutogradBackward);
  TORCHLORA_EXPORT(exports, "setAnomalyEnabled", SetAnomalyEnabled);
  (void)env;
}

}  // namespace torchlora
