// What the addon was built against and runs on, and libtorch's thread settings.
#pragma once

#include "core/common.h"

namespace torchlora {

void InitConfig(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
