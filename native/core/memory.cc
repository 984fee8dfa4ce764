#include "core/memory.h"

#include <c10/core/CPUAllocator.h>
#include <malloc.h>
#include <sys/mman.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <map>
#include <vector>

namespace torchlora {
namespace {

// ---- a caching CPU allocator for large tensor buffers ----
//
// In Python a tensor is freed the moment its last reference goes; here the GC frees
// dropped tensors in batches. With glibc that costs either memory (its dynamic mmap threshold
// keeps large buffers on the heap, where small allocations made between two collections split
// the freed buffers and RSS climbs) or speed (a fixed threshold maps and unmaps every buffer);
// the measurements are in docs/memory.md.
// So buffers of kLargeBytes and more bypass malloc: they are mapped once, rounded up to a
// size class, and cached by class when freed, for the next tensor of that size. The cache
// is capped (TORCHLORA_CPU_CACHE_BYTES, default 512 MiB) and torch_empty_cache() returns it.
// A size the cache cannot serve first returns cached blocks of other sizes to the system when
// blocks in use and cached would exceed the most ever in use at once, plus kSlackBytes for
// blocks smaller than that (TakeCachedOrMakeRoom): cache and tensors together hold little more
// than the tensors needed at their peak, as with malloc's free-at-once (without it, the seed's
// evaluation buffers stayed cached through the next phase).
// Every buffer, small or large, has a header that holds its block's size (0: from malloc),
// so that one deleter frees any of them: libtorch's raw_deallocate (oneDNN's scratch
// buffers, in every CPU convolution) calls raw_deleter() and aborts if there is none.
constexpr size_t kLargeBytes = 64 << 10;
constexpr size_t kHeader = 64;  // keeps c10's 64-byte alignment; holds the block's class size
constexpr size_t kAlignment = 64;
// What the cache may hold beyond the peak in use when it misses a block smaller than this
// (see TakeCachedOrMakeRoom); about one collection's growth (src/core/collector.ts).
constexpr size_t kSlackBytes = size_t{16} << 20;

size_t SizeClass(size_t bytes) {
  // Eight classes per doubling: at most 12.5% of a block is slack.
  size_t power = 1;
  while (power * 2 <= bytes) power *= 2;
  const size_t step = std::max<size_t>(power / 8, 4096);
  return (bytes + step - 1) / step * step;
}

class CachingCpuAllocator final : public at::Allocator {
 public:
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  at::DataPtr allocate(size_t bytes) override { return Allocate(bytes); }
#else
  at::DataPtr allocate(size_t bytes) const override { return Allocate(bytes); }
#endif
  // Pure virtual from libtorch 2.3 on; a plain method before.
  void copy_data(void* destination, const void* source, std::size_t count) const { std::memcpy(destination, source, count); }
  at::DeleterFnPtr raw_deleter() const override { return &Free; }

  static CachingCpuAllocator& Instance() {
    static auto* instance = new CachingCpuAllocator();  // never destroyed: tensors may outlive statics
    return *instance;
  }

  size_t EmptyCache() {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t released = 0;
    for (auto& [size, c] : free_) {
      for (void* block : c.blocks) munmap(block, size);
      released += size * c.blocks.size();
      c.blocks.clear();
    }
    cached_bytes_ = 0;
    high_water_ = in_use_;  // asked to give memory back: the budget starts again from now
    return released;
  }

  size_t CachedBytes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_bytes_;
  }

 private:
  CachingCpuAllocator() {
    if (const char* cap = std::getenv("TORCHLORA_CPU_CACHE_BYTES")) cap_bytes_ = std::strtoull(cap, nullptr, 10);
  }

  at::DataPtr Allocate(size_t bytes) const {
    auto* self = const_cast<CachingCpuAllocator*>(this);
    if (bytes == 0) return at::DataPtr(nullptr, at::Device(at::DeviceType::CPU));
    void* block = nullptr;
    size_t size = 0;
    if (bytes < kLargeBytes) {
      if (posix_memalign(&block, kAlignment, bytes + kHeader) != 0) {
        TORCH_CHECK(false, "DefaultCPUAllocator: can't allocate memory: you tried to allocate ", bytes, " bytes.");
      }
    } else {
      size = SizeClass(bytes + kHeader);
      block = self->TakeCachedOrMakeRoom(size);
      if (block == nullptr) {
        block = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (block == MAP_FAILED) {
          self->Returned(size);
          TORCH_CHECK(false, "CPU allocator: can't allocate memory: you tried to allocate ", bytes, " bytes.");
        }
      }
    }
    *static_cast<size_t*>(block) = size;
    void* data = static_cast<char*>(block) + kHeader;
    return at::DataPtr(data, data, &Free, at::Device(at::DeviceType::CPU));
  }

  // A cached block of `size`, counted in use; or a block made of evicted ones (Reuse), or
  // nullptr, when the caller maps a new one (also counted in use). Blocks are evicted so that
  // blocks in use and cached stay within the most ever in use at once (high_water_), plus
  // kSlackBytes when `size` is under it. Between two collections the GC-freed loop holds a
  // varying number of blocks of each size, so a miss is normal; the budget lets the cache
  // keep them all, where unmapping as many bytes as it maps on every miss made the sizes take
  // turns missing. Without the slack, the loop's sizes still evicted each other whenever one
  // collection's mix differed from the last (both measured on the seed: docs/memory.md). A
  // block of kSlackBytes or more (the seed's 40 MB evaluation temporaries) gets no slack: a new
  // phase gives back what the last one cached. Sizes least recently asked for go first: a
  // finished phase's buffers before the loop's own.
  void* TakeCachedOrMakeRoom(size_t size) {
    std::vector<std::pair<void*, size_t>> victims;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      Class& wanted = free_[size];
      wanted.last_use = ++clock_;
      in_use_ += size;
      if (!wanted.blocks.empty()) {
        void* block = wanted.blocks.back();
        wanted.blocks.pop_back();
        cached_bytes_ -= size;
        return block;
      }
      high_water_ = std::max(high_water_, in_use_);
      const size_t budget = high_water_ + (size < kSlackBytes ? kSlackBytes : 0);
      size_t excess = in_use_ + cached_bytes_ > budget ? in_use_ + cached_bytes_ - budget : 0;
      if (excess > 0) {
        std::vector<std::pair<uint64_t, size_t>> order;  // (last use, size) of the sizes cached
        for (auto& [other, c] : free_) {
          if (!c.blocks.empty()) order.emplace_back(c.last_use, other);
        }
        std::sort(order.begin(), order.end());
        for (auto [last_use, other] : order) {
          std::vector<void*>& blocks = free_[other].blocks;
          while (!blocks.empty() && excess > 0) {
            victims.emplace_back(blocks.back(), other);
            blocks.pop_back();
            cached_bytes_ -= other;
            excess = other >= excess ? 0 : excess - other;
          }
          if (excess == 0) break;
        }
      }
    }
    return Reuse(victims, size);
  }

  // The block for a miss made out of the blocks evicted for it: the pages of one victim are
  // moved to a block of `size` (mremap: the part they cover is already resident, so only the
  // rest of a larger block page-faults, where a fresh mapping faults on every page), the
  // others are unmapped. nullptr when nothing was evicted or the move failed: the caller
  // maps a fresh block.
  static void* Reuse(std::vector<std::pair<void*, size_t>>& victims, size_t size) {
    if (victims.empty()) return nullptr;
    // The smallest victim that covers `size`, or else the largest.
    const auto better = [size](const std::pair<void*, size_t>& a, const std::pair<void*, size_t>& b) {
      const bool a_covers = a.second >= size;
      if (a_covers != (b.second >= size)) return a_covers;
      return a_covers ? a.second < b.second : a.second > b.second;
    };
    const auto best = std::min_element(victims.begin(), victims.end(), better);
    void* moved = mremap(best->first, best->second, size, MREMAP_MAYMOVE);
    if (moved == MAP_FAILED) {
      moved = nullptr;
    } else {
      victims.erase(best);
    }
    for (auto [block, bytes] : victims) munmap(block, bytes);
    return moved;
  }

  // A block of `size` counted in use by TakeCachedOrMakeRoom was never mapped after all.
  void Returned(size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    in_use_ -= size;
  }

  void Give(void* block, size_t size) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      in_use_ -= size;
      if (cached_bytes_ + size <= cap_bytes_) {
        free_[size].blocks.push_back(block);
        cached_bytes_ += size;
        return;
      }
    }
    munmap(block, size);
  }

  static void Free(void* data) {
    if (data == nullptr) return;
    void* block = static_cast<char*>(data) - kHeader;
    const size_t size = *static_cast<size_t*>(block);
    if (size == 0) std::free(block);
    else Instance().Give(block, size);
  }

  struct Class {
    std::vector<void*> blocks;  // cached, free
    uint64_t last_use = 0;      // clock_ at the last allocation of this size
  };
  std::mutex mutex_;
  std::map<size_t, Class> free_;
  uint64_t clock_ = 0;       // large allocations so far
  size_t in_use_ = 0;        // bytes of large blocks handed out and not yet freed
  size_t high_water_ = 0;    // the most in_use_ has been (since the last EmptyCache)
  size_t cached_bytes_ = 0;
  size_t cap_bytes_ = size_t{512} << 20;
};

void InstallAllocator() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (std::getenv("TORCHLORA_DEFAULT_ALLOCATOR") != nullptr) return;  // for comparisons
    c10::SetCPUAllocator(&CachingCpuAllocator::Instance(), /*priority=*/100);
    // Small buffers stay on glibc's heap; a generous trim threshold stops its top from
    // shrinking and regrowing around every collection (page faults: +0.25 us per small op).
    if (std::getenv("MALLOC_TRIM_THRESHOLD_") == nullptr) mallopt(M_TRIM_THRESHOLD, 64 << 20);
  });
}

// setCollector(collect, limitBytes, tensorBytes): collect(major) (a GC, from TS) runs once the
// live tensors grew by limitBytes, each counting tensorBytes besides its storage; null: never.
Napi::Value SetCollector(const Napi::CallbackInfo& info) {
  AddonData& data = Data(info.Env());
  if (info[0].IsFunction()) data.collect = Napi::Persistent(info[0].As<Napi::Function>());
  else data.collect.Reset();
  data.collect_min_limit = data.collect_limit = info[1].As<Napi::Number>().Int64Value();
  data.tensor_weight = info[2].As<Napi::Number>().Int64Value();
  data.collect_baseline = data.Weighted();
  return info.Env().Undefined();
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  const AddonData& data = Data(info.Env());
  Napi::Object stats = Napi::Object::New(info.Env());
  stats.Set("tensors", static_cast<double>(data.live_tensors));
  stats.Set("bytes", static_cast<double>(data.live_bytes));
  stats.Set("cachedBytes", static_cast<double>(CachingCpuAllocator::Instance().CachedBytes()));
  return stats;
}

Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(CachingCpuAllocator::Instance().EmptyCache()));
}

// A program that keeps what it makes (a list being filled) frees little per collection: once
// such collections take more than 1/kCollectShare of the time, the limit doubles, up to
// kMaxCollectLimit, so that it pays a few collections, not one per limit.
constexpr int64_t kMaxCollectLimit = int64_t{1} << 30;
constexpr int64_t kCollectShare = 20;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Runs the collector: a minor GC, or a major one when `major`.
void Collect(napi_env env, AddonData& data, bool major) {
  napi_value function = nullptr;
  napi_value receiver = nullptr;
  napi_value argument = nullptr;
  napi_value result = nullptr;
  napi_get_reference_value(env, data.collect.operator napi_ref(), &function);
  napi_get_undefined(env, &receiver);
  napi_get_boolean(env, major, &argument);
  if (function == nullptr || napi_call_function(env, receiver, function, 1, &argument, &result) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) napi_get_and_clear_last_exception(env, &result);
  }
}

}  // namespace

void MaybeCollect(napi_env env, AddonData& data) {
  if (data.collecting || data.collect.IsEmpty()) return;
  const int64_t before = data.Weighted();
  const int64_t growth = before - data.collect_baseline;
  // Disposed tensors leave their ids to the GC: V8 alone scavenges once its young generation
  // is full, then processes ~100,000 ids' weak handles in one batch (a 1x1 add disposed at
  // once: 1.70 us, against 1.18 left to these collections). So every limit's worth of ids
  // made, disposed or not, also gets a minor GC, which leaves the limit as it is.
  const bool grown = growth >= data.collect_limit;
  if (!grown && data.wrapped_since_collect * data.tensor_weight < data.collect_limit) return;
  const int64_t start = NowNs();
  data.collecting = true;  // the collector's own allocations must not start another
  // A minor GC frees what was dropped while young. Tensors that outlived two of them (an
  // evaluation's 40 MB temporaries, each of which triggers one) are in the old generation:
  // when the minor one finds little, a major one looks there.
  Collect(env, data, false);
  if (grown && (before - data.Weighted()) * 2 < growth) Collect(env, data, true);
  data.collecting = false;
  const int64_t after = data.Weighted();
  const int64_t end = NowNs();
  // A collection that finds little doubles the limit only when it was costly (see
  // kCollectShare). A cheap one leaves the limit as it is: each of an evaluation's 40 MB
  // results is alive at the next call but garbage one call later (the seed's last evaluation:
  // with the limit doubled on findings alone, add's two operands stayed alive through mse's
  // two temporaries, +80 MB at the seed's peak).
  if (grown) {
    const bool found_garbage = (before - after) * 2 >= growth;
    if (found_garbage) {
      data.collect_limit = data.collect_min_limit;
    } else if ((end - start) * kCollectShare > start - data.last_collect_ns) {
      data.collect_limit = std::min(data.collect_limit * 2, kMaxCollectLimit);
    }
  }
  data.collect_baseline = after;
  data.last_collect_ns = end;
  data.wrapped_since_collect = 0;
}

void InitMemory(Napi::Env env, Napi::Object exports) {
  InstallAllocator();
  TORCHLORA_EXPORT(exports, "memoryStats", Stats);
  TORCHLORA_EXPORT(exports, "emptyCache", EmptyCache);
  TORCHLORA_EXPORT(exports, "setCollector", SetCollector);
  (void)env;
}

}  // namespace torchlora
