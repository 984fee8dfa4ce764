// Any libtorch operator by its schema name, called through the dispatcher (see dispatch.cc).
#pragma once

#include "core/common.h"

namespace torchlora {

void InitDispatch(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
