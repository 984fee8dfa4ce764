// Any libtorch operator, named as its schema names it ("aten::topk"), called through c10's
// dispatcher. The schema says each argument's type, so one conversion serves every operator:
// the TypeScript op table (src/ops/table/) declares an op once and validates its arguments;
// this file only translates them. Autograd, devices and dtypes work as for a direct call.
#include "ops/dispatch.h"

#include <ATen/core/dispatch/Dispatcher.h>

#include <sstream>
#include <stdexcept>

#include "core/generator.h"
#include "core/tensor.h"

namespace torchlora {
namespace {

// How an operator is called. Most go boxed: arguments converted by their schema types onto a
// stack. The commonest shapes go unboxed through the operator's typed handle, as at::neg or
// at::add call it, so that an op from the table costs what a hand-bound one does:
// (Tensor), (Tensor, Tensor), (Tensor, Scalar), and those two followed by a Scalar with a
// default (add's and sub's alpha).
enum class Calling { kBoxed, kTensor, kTensorTensor, kTensorScalar, kTensorTensorScalar, kTensorScalarScalar };

struct Operator {
  c10::OperatorHandle handle;
  Calling calling;
  // The default of a trailing Scalar (kTensorTensorScalar, kTensorScalarScalar), for a call
  // that leaves it out.
  at::Scalar last_default;
};

// Operators resolved in this thread (each Node environment is one thread), by the id
// resolveOp returned.
thread_local std::vector<Operator> operators;

// The unboxed shape of a schema: functional (no argument written to), one Tensor result, and
// the arguments of one of the shapes above, none with a default but a trailing Scalar.
Operator Resolve(const c10::OperatorHandle& handle) {
  const c10::FunctionSchema& schema = handle.schema();
  const auto& arguments = schema.arguments();
  Operator op{handle, Calling::kBoxed, at::Scalar()};
  if (schema.is_mutable() || schema.returns().size() != 1 || schema.returns()[0].type()->kind() != c10::TypeKind::TensorType) return op;
  if (arguments.empty() || arguments.size() > 3) return op;
  const auto kind = [&](size_t i) { return arguments[i].type()->kind(); };
  for (size_t i = 0; i < arguments.size(); ++i) {
    const bool trailing_scalar = i == 2 && kind(2) == c10::TypeKind::NumberType;
    if (arguments[i].default_value().has_value() && !trailing_scalar) return op;
  }
  if (kind(0) != c10::TypeKind::TensorType) return op;
  if (arguments.size() == 1) {
    op.calling = Calling::kTensor;
  } else if (arguments.size() == 2) {
    if (kind(1) == c10::TypeKind::TensorType) op.calling = Calling::kTensorTensor;
    if (kind(1) == c10::TypeKind::NumberType) op.calling = Calling::kTensorScalar;
  } else if (kind(2) == c10::TypeKind::NumberType && arguments[2].default_value().has_value()) {
    op.last_default = arguments[2].default_value()->toScalar();
    if (kind(1) == c10::TypeKind::TensorType) op.calling = Calling::kTensorTensorScalar;
    if (kind(1) == c10::TypeKind::NumberType) op.calling = Calling::kTensorScalarScalar;
  }
  return op;
}

c10::IValue ToIValue(Napi::Env env, const Napi::Value& value, const c10::TypePtr& type);

template <typename T>
c10::List<T> ToList(Napi::Env env, const Napi::Value& value, const c10::TypePtr& element) {
  Napi::Array array = value.As<Napi::Array>();
  c10::List<T> list;
  list.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) list.push_back(ToIValue(env, array.Get(i), element).to<T>());
  return list;
}

c10::IValue ToIValue(Napi::Env env, const Napi::Value& value, const c10::TypePtr& type) {
  switch (type->kind()) {
    case c10::TypeKind::OptionalType:
      if (value.IsNull() || value.IsUndefined()) return c10::IValue();
      return ToIValue(env, value, type->expectRef<c10::OptionalType>().getElementType());
    case c10::TypeKind::TensorType:
      return Unwrap(env, value);
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType:
    case c10::TypeKind::ScalarTypeType:
    case c10::TypeKind::LayoutType:
    case c10::TypeKind::MemoryFormatType:
      return value.As<Napi::Number>().Int64Value();
    case c10::TypeKind::FloatType:
      return value.As<Napi::Number>().DoubleValue();
    case c10::TypeKind::BoolType:
      return value.ToBoolean().Value();
    case c10::TypeKind::NumberType:
      return ToScalar(value);
    case c10::TypeKind::StringType:
      return value.As<Napi::String>().Utf8Value();
    case c10::TypeKind::DeviceObjType:
      return *ToDevice(value);
    case c10::TypeKind::GeneratorType:
      return ToGenerator(env, value);
    case c10::TypeKind::ListType: {
      const c10::TypePtr element = type->expectRef<c10::ListType>().getElementType();
      switch (element->kind()) {
        case c10::TypeKind::IntType:
        case c10::TypeKind::SymIntType: return ToList<int64_t>(env, value, element);
        case c10::TypeKind::FloatType: return ToList<double>(env, value, element);
        case c10::TypeKind::BoolType: return ToList<bool>(env, value, element);
        case c10::TypeKind::TensorType: return ToList<at::Tensor>(env, value, element);
        case c10::TypeKind::OptionalType: return ToList<c10::optional<at::Tensor>>(env, value, element);
        default: break;
      }
      break;
    }
    default:
      break;
  }
  throw std::invalid_argument("torchlora cannot pass a JavaScript value as " + type->str());
}

// A result as JavaScript: tensors as ids (Wrap; the TypeScript layer, which knows the schema's
// return types, makes each its Tensor), lists as arrays, numbers and booleans as they are.
Napi::Value ToJs(Napi::Env env, const c10::IValue& value) {
  if (value.isTensor()) return Wrap(env, value.toTensor());
  if (value.isTensorList()) {
    const auto list = value.toTensorList();
    Napi::Array array = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) array.Set(static_cast<uint32_t>(i), Wrap(env, list.get(i)));
    return array;
  }
  if (value.isIntList()) {
    const auto list = value.toIntList();
    Napi::Array array = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) array.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(list.get(i))));
    return array;
  }
  if (value.isBool()) return Napi::Boolean::New(env, value.toBool());
  if (value.isInt()) return Napi::Number::New(env, static_cast<double>(value.toInt()));
  if (value.isDouble()) return Napi::Number::New(env, value.toDouble());
  if (value.isNone()) return env.Null();
  throw std::invalid_argument("torchlora cannot return a " + value.tagKind() + " to JavaScript");
}

// resolveOp(name, overload) -> id
Napi::Value ResolveOp(const Napi::CallbackInfo& info) {
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  const std::string overload = info[1].As<Napi::String>().Utf8Value();
  operators.push_back(Resolve(c10::Dispatcher::singleton().findSchemaOrThrow(name.c_str(), overload.c_str())));
  return Napi::Number::New(info.Env(), static_cast<double>(operators.size() - 1));
}

// opSchema(id) -> { schema, arguments: [{ name, type, hasDefault, keywordOnly }], returns: [type] }:
// what the TypeScript layer checks its op table against, and what aten() reads.
Napi::Value OpSchema(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const c10::FunctionSchema& schema = operators.at(static_cast<size_t>(info[0].As<Napi::Number>().Int64Value())).handle.schema();
  Napi::Object result = Napi::Object::New(env);
  std::ostringstream text;
  text << schema;
  result.Set("schema", text.str());
  Napi::Array arguments = Napi::Array::New(env, schema.arguments().size());
  for (size_t i = 0; i < schema.arguments().size(); ++i) {
    const c10::Argument& argument = schema.arguments()[i];
    Napi::Object item = Napi::Object::New(env);
    item.Set("name", argument.name());
    item.Set("type", argument.type()->str());
    item.Set("hasDefault", argument.default_value().has_value());
    item.Set("keywordOnly", argument.kwarg_only());
    arguments.Set(static_cast<uint32_t>(i), item);
  }
  result.Set("arguments", arguments);
  Napi::Array returns = Napi::Array::New(env, schema.returns().size());
  for (size_t i = 0; i < schema.returns().size(); ++i) returns.Set(static_cast<uint32_t>(i), schema.returns()[i].type()->str());
  result.Set("returns", returns);
  return result;
}

// Runs operator `id` on the arguments from info[first] on, in schema order; an argument left
// undefined (or not passed) takes the schema's default.
torch::jit::Stack Call(const Napi::CallbackInfo& info, size_t first) {
  Napi::Env env = info.Env();
  const c10::OperatorHandle& op = operators.at(static_cast<size_t>(info[0].As<Napi::Number>().Int64Value())).handle;
  const auto& arguments = op.schema().arguments();
  torch::jit::Stack stack;
  stack.reserve(arguments.size());
  for (size_t i = 0; i < arguments.size(); ++i) {
    const c10::Argument& argument = arguments[i];
    Napi::Value value = info[first + i];
    if (value.IsUndefined() && argument.default_value().has_value()) stack.push_back(*argument.default_value());
    else stack.push_back(ToIValue(env, value, argument.type()));
  }
  op.callBoxed(&stack);
  return stack;
}

// callOp(id, ...args) -> the one result (a tensor's id, a number, a boolean, null) or an array
// of them, for tuple returns.
Napi::Value CallOp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Operator& op = operators.at(static_cast<size_t>(info[0].As<Napi::Number>().Int64Value()));
  switch (op.calling) {
    case Calling::kTensor:
      return Wrap(env, op.handle.typed<at::Tensor(const at::Tensor&)>().call(Unwrap(info, 1)));
    case Calling::kTensorTensor:
      return Wrap(env, op.handle.typed<at::Tensor(const at::Tensor&, const at::Tensor&)>().call(Unwrap(info, 1), Unwrap(info, 2)));
    case Calling::kTensorScalar:
      return Wrap(env, op.handle.typed<at::Tensor(const at::Tensor&, const at::Scalar&)>().call(Unwrap(info, 1), ToScalar(info[2])));
    case Calling::kTensorTensorScalar:
      return Wrap(env, op.handle.typed<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Scalar&)>().call(
                           Unwrap(info, 1), Unwrap(info, 2), info[3].IsUndefined() ? op.last_default : ToScalar(info[3])));
    case Calling::kTensorScalarScalar:
      return Wrap(env, op.handle.typed<at::Tensor(const at::Tensor&, const at::Scalar&, const at::Scalar&)>().call(
                           Unwrap(info, 1), ToScalar(info[2]), info[3].IsUndefined() ? op.last_default : ToScalar(info[3])));
    case Calling::kBoxed:
      break;
  }
  const torch::jit::Stack results = Call(info, 1);
  if (results.size() == 1) return ToJs(env, results[0]);
  Napi::Array array = Napi::Array::New(env, results.size());
  for (size_t i = 0; i < results.size(); ++i) array.Set(static_cast<uint32_t>(i), ToJs(env, results[i]));
  return array;
}

// callOpInPlace(id, ...args) -> undefined: in-place ops, whose result is their first argument.
Napi::Value CallOpInPlace(const Napi::CallbackInfo& info) {
  Call(info, 1);
  return info.Env().Undefined();
}

}  // namespace

void InitDispatch(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "resolveOp", ResolveOp);
  TORCHLORA_EXPORT(exports, "opSchema", OpSchema);
  TORCHLORA_EXPORT(exports, "callOp", CallOp);
  TORCHLORA_EXPORT(exports, "callOpInPlace", CallOpInPlace);
  (void)env;
}

}  // namespace torchlora
