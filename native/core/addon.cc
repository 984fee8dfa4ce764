// Registration only: each concept's file pair adds its functions to the exports.
#include "core/autograd.h"
#include "core/common.h"
#include "core/config.h"
#include "data/data.h"
#include "ops/dispatch.h"
#include "distributed/distributed.h"
#include "core/errors.h"
#include "io/filesystem.h"
#include "core/function.h"
#include "core/generator.h"
#include "ops/indexing.h"
#include "lora/mixed.h"
#include "core/memory.h"
#include "ops/functions.h"
#include "optim/optimizers.h"
#include "ops/scalar_math.h"
#include "io/serialization.h"
#include "jobs/share.h"
#include "core/tensor.h"

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
  InitGenerator(env, exports);
  InitOps(env, exports);
  InitIndexing(env, exports);
  InitAutograd(env, exports);
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
