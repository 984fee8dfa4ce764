// Optimizers: libtorch's Adam, AdamW, SGD, RMSprop and Adagrad held by a JavaScript object.
#pragma once

#include "core/common.h"

namespace torchlora {

void InitOptim(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
