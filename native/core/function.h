// Autograd functions and gradient hooks written in JavaScript (see function.cc).
#pragma once

#include "core/common.h"

namespace torchlora {

void InitFunction(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
