// torch.distributed's engine, c10d: TCPStore rendezvous, Gloo process groups, collectives as
// c10d Work (waited on here or on a libuv worker, for a promise) and DDP's Reducer.
#pragma once

#include "common.h"

namespace torchlora {

void InitDistributed(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
