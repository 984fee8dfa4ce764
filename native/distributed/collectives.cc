// torch.distributed's collectives on a c10d process group: each starts a c10d Work and wraps
// it into `out`; the TypeScript layer waits on it here (workWait) or on a libuv worker for a
// promise (workPromise), so an async collective never blocks the event loop.
#include <torch/csrc/distributed/c10d/Types.hpp>

#include "distributed/handles.h"
#include "distributed/distributed.h"
#include "core/tensor.h"

namespace torchlora {
namespace dist {
namespace {

c10d::ReduceOp ToReduceOp(const Napi::Value& value) {
  return c10d::ReduceOp(static_cast<c10d::ReduceOp::RedOpType>(value.As<Napi::Number>().Int32Value()));
}

void Started(const Napi::CallbackInfo& info, c10::intrusive_ptr<c10d::Work> work, std::vector<at::Tensor> tensors) {
  Attach(info.Env(), info[0], WorkBox{std::move(work), std::move(tensors)});
}

// allReduce(out, group, tensor, op)
Napi::Value AllReduce(const Napi::CallbackInfo& info) {
  auto& box = Get<GroupBox>(info, 1);
  std::vector<at::Tensor> tensors{Unwrap(info, 2)};
  c10d::AllreduceOptions options;
  options.reduceOp = ToReduceOp(info[3]);
  Started(info, box.group->allreduce(tensors, options), tensors);
  return info.Env().Undefined();
}

// broadcast(out, group, tensor, src)
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  auto& box = Get<GroupBox>(info, 1);
  std::vector<at::Tensor> tensors{Unwrap(info, 2)};
  c10d::BroadcastOptions options;
  options.rootRank = info[3].As<Napi::Number>().Int64Value();
  Started(info, box.group->broadcast(tensors, options), tensors);
  return info.Env().Undefined();
}

// allGather(out, group, outputs: Tensor[], input)
Napi::Value AllGather(const Napi::CallbackInfo& info) {
  auto& box = Get<GroupBox>(info, 1);
  std::vector<std::vector<at::Tensor>> outputs{ToTensors(info.Env(), info[2])};
  std::vector<at::Tensor> inputs{Unwrap(info, 3)};
  std::vector<at::Tensor> kept = outputs[0];
  kept.push_back(inputs[0]);
  Started(info, box.group->allgather(outputs, inputs), kept);
  return info.Env().Undefined();
}

// reduceScatter(out, group, output, inputs: Tensor[], op)
Napi::Value ReduceScatter(const Napi::CallbackInfo& info) {
  auto& box = Get<GroupBox>(info, 1);
  std::vector<at::Tensor> outputs{Unwrap(info, 2)};
  std::vector<std::vector<at::Tensor>> inputs{ToTensors(info.Env(), info[3])};
  c10d::ReduceScatterOptions options;
  options.reduceOp = ToReduceOp(info[4]);
  std::vector<at::Tensor> kept = inputs[0];
  kept.push_back(outputs[0]);
  Started(info, box.group->reduce_scatter(outputs, inputs, options), kept);
  return info.Env().Undefined();
}

// barrier(out, group)
Napi::Value Barrier(const Napi::CallbackInfo& info) {
  Started(info, Get<GroupBox>(info, 1).group->barrier(), {});
  return info.Env().Undefined();
}

// workWait(work): blocks this thread until the work is done; its error becomes a TorchError.
Napi::Value WorkWait(const Napi::CallbackInfo& info) {
  auto& box = Get<WorkBox>(info, 0);
  auto work = box.work;
  box.release();
  work->wait();
  return info.Env().Undefined();
}

// Waits for a Work on a libuv worker thread, so the event loop runs meanwhile, and settles a
// promise on the main thread. It holds the Work and its tensors until then.
class WorkWaiter : public Napi::AsyncWorker {
 public:
  WorkWaiter(Napi::Env env, WorkBox box)
      : Napi::AsyncWorker(env, "torchlora:dist_work"), box_(std::move(box)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      box_.work->wait();
    } catch (const c10::Error& error) {
      SetError(error.what_without_backtrace());
    } catch (const std::exception& error) {
      SetError(error.what());
    }
  }
  void OnOK() override {
    box_.release();
    deferred_.Resolve(Env().Undefined());
  }
  void OnError(const Napi::Error& error) override {
    box_.release();
    deferred_.Reject(TorchError(Env(), error.Message()).Value());
  }

 private:
  WorkBox box_;
  Napi::Promise::Deferred deferred_;
};

// workPromise(work) -> Promise<void>: resolves when the work is done, rejects with a TorchError.
Napi::Value WorkPromise(const Napi::CallbackInfo& info) {
  auto& box = Get<WorkBox>(info, 0);
  auto* waiter = new WorkWaiter(info.Env(), std::move(box));
  box.release();
  Napi::Promise promise = waiter->Promise();
  waiter->Queue();
  return promise;
}

}  // namespace

void InitDistCollectives(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "distAllReduce", AllReduce);
  TORCHLORA_EXPORT(exports, "distBroadcast", Broadcast);
  TORCHLORA_EXPORT(exports, "distAllGather", AllGather);
  TORCHLORA_EXPORT(exports, "distReduceScatter", ReduceScatter);
  TORCHLORA_EXPORT(exports, "distBarrier", Barrier);
  TORCHLORA_EXPORT(exports, "distWorkWait", WorkWait);
  TORCHLORA_EXPORT(exports, "distWorkPromise", WorkPromise);
  (void)env;
}

}  // namespace dist
}  // namespace torchlora
