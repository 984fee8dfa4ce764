#include "io/filesystem.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace torchlora {
namespace {

// exchangePaths(a, b): swaps two existing paths in one atomic step (Linux renameat2 with
// RENAME_EXCHANGE). Returns 0, or the errno: EINVAL or ENOTSUP where a file system cannot
// exchange, ENOSYS on kernels (or platforms) without renameat2.
Napi::Value ExchangePaths(const Napi::CallbackInfo& info) {
  const std::string a = info[0].As<Napi::String>().Utf8Value();
  const std::string b = info[1].As<Napi::String>().Utf8Value();
  int error = ENOSYS;
#if defined(__linux__) && defined(SYS_renameat2)
  constexpr unsigned int kRenameExchange = 1u << 1;  // RENAME_EXCHANGE in <linux/fs.h>
  error = syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), kRenameExchange) == 0 ? 0 : errno;
#endif
  return Napi::Number::New(info.Env(), error);
}

}  // namespace

void InitFiles(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "exchangePaths", ExchangePaths);
  (void)env;
}

}  // namespace torchlora
