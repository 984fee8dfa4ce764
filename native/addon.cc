// Registration only: each concept's file pair adds its functions to the exports.
#include "autograd.h"
#include "common.h"
#include "config.h"
#include "data.h"
#include "dispatch.h"
#include "distributed.h"
#include "errors.h"
#include "files.h"
#include "function.h"
#include "indexing.h"
#include "lora.h"
#include "memory.h"
#include "nn.h"
#include "ops.h"
#include "optim.h"
#include "scalar_math.h"
#include "serialization.h"
#include "shared.h"
#include "tensor.h"

namespace torchlora {

AddonData& Data(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

namespace {

void FinalizeAddonData(Napi::Env /*env*/, AddonData* data) {
  data->torch_error.Reset();
  data->collect.Reset();
  data->handle_key.Reset();
  ReleaseAddonData(data);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData<AddonData, FinalizeAddonData>(new AddonData());
  InitErrors(env, exports);
  InitMemory(env, exports);
  InitConfig(env, exports);
  InitTensor(env, exports);
  InitOps(env, exports);
  InitIndexing(env, exports);
  InitAutograd(env, exports);
  InitNn(env, exports);
  InitLora(env, exports);
  InitOptim(env, exports);
  InitFiles(env, exports);
  InitDispatch(env, exports);
  InitFunction(env, exports);
  InitData(env, exports);
  InitScalarMath(env, exports);
  InitSerialization(env, exports);
  InitShared(env, exports);
  dist::InitDistributed(env, exports);
  return exports;
}

}  // namespace
}  // namespace torchlora

static Napi::Object InitTorchlora(Napi::Env env, Napi::Object exports) { return torchlora::Init(env, exports); }

NODE_API_MODULE(torchlora, InitTorchlora)
