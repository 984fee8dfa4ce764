// The link between a JavaScript Tensor object and an at::Tensor, and the argument
// conversions every op shares. The TypeScript layer validates arguments; these
// conversions trust their JavaScript types and only translate.
#pragma once

#include "core/common.h"

#include <c10/util/Optional.h>

namespace torchlora {

// Puts `tensor` in the table and returns its id: an External naming the slot (index and
// generation) whose GC finalizer frees it, for the TypeScript layer to store in a new
// Tensor's `h` (storing from JavaScript is cheaper than from here). The id, not the Tensor,
// carries the finalizer, so a tensor lives as long as any JavaScript value holds its id: one
// read from a Tensor that died since, on its way to an op, still names it. Reports its
// storage bytes to V8. The finalizer and dispose() share one idempotent release.
Napi::Value Wrap(Napi::Env env, at::Tensor tensor);
// Wrap, storing the id in `target.h` itself: for calls that fill several tensors.
void WrapInto(Napi::Env env, Napi::Value target, at::Tensor tensor);

// The tensor an id, or a Tensor object's `h` field, names; a TypeError when `value` is
// neither or its tensor was disposed. The reference stays valid while the call wraps new
// tensors (slots never move), until the tensor is released.
const at::Tensor& Unwrap(Napi::Env env, Napi::Value value);
const at::Tensor& Unwrap(const Napi::CallbackInfo& info, size_t index);

// Drops the tensor `value` names (idempotent); returns whether it held one.
bool Dispose(Napi::Env env, Napi::Value value);
// Whether `value` names a tensor that is still alive.
bool IsLive(Napi::Env env, Napi::Value value);

std::vector<int64_t> ToInt64s(Napi::Value value);
std::vector<at::Tensor> ToTensors(Napi::Env env, Napi::Value array);
at::Scalar ToScalar(Napi::Value value);
// undefined/null -> nullopt; otherwise a c10::ScalarType code.
c10::optional<at::ScalarType> ToDtype(Napi::Value value);
// undefined/null -> nullopt; otherwise a device string such as "cpu" or "cuda:0".
c10::optional<at::Device> ToDevice(Napi::Value value);
c10::optional<int64_t> ToOptionalInt(Napi::Value value);

// A JavaScript number for a 0-dim or one-element tensor.
Napi::Value ScalarToJs(Napi::Env env, const at::Scalar& scalar);

void InitTensor(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
