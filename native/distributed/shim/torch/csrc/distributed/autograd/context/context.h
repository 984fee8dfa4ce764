// Found only when libtorch's own copy is missing: Debian 12's libtorch-dev ships c10d's
// reducer.hpp, which includes this header, but not the header itself. The build searches this
// folder after libtorch's (-idirafter), so a libtorch that has the real header uses it.
// reducer.hpp needs only a ContextPtr member (a shared_ptr it never touches inline) and a
// static_assert on GradCallback; both are declared here as libtorch declares them. The addon
// never makes, reads or frees a DistAutogradContext (that is distributed autograd, RPC's).
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
  DistAutogradContext() = delete;
};
using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
