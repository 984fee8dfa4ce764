// Neural-network functions (layers' forward passes, losses) and the weight initialisers
// torch.nn.init uses, each backed by one libtorch call.
#pragma once

#include "core/common.h"

namespace torchlora {

void InitNn(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
