// torch.distributed's engine, c10d: TCPStore rendezvous and Gloo process groups
// (distributed.cc), collectives as c10d Work, waited on here or on a libuv worker for a promise
// (collectives.cc), and DDP's Reducer (data_parallel.cc).
#pragma once

#include "core/common.h"

namespace torchlora {
namespace dist {

// Registers every dist* function (it calls the two below).
void InitDistributed(Napi::Env env, Napi::Object exports);
void InitDistCollectives(Napi::Env env, Napi::Object exports);
void InitDataParallel(Napi::Env env, Napi::Object exports);

}  // namespace dist
}  // namespace torchlora
