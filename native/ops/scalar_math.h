// Scalar math on doubles as CPython's math module computes it (the C library's libm).
#pragma once

#include "core/common.h"

namespace torchlora {

void InitScalarMath(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
