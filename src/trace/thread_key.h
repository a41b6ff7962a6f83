// A host thread as traces name it, (pid, tid), with a hash for unordered maps: the Kineto reader's
// thread table and the operator nesting pass both key their per-thread state by it.
#pragma once

#include <cstdint>
#include <functional>

namespace infertrace {

struct ThreadKey {
  int64_t pid, tid;
  bool operator==(const ThreadKey&) const = default;
};

struct ThreadKeyHash {
  size_t operator()(const ThreadKey& k) const {
    // Unsigned: Kineto pids/tids can be any int64 (a signed multiply would overflow).
    return std::hash<uint64_t>()(static_cast<uint64_t>(k.pid) * 1000003u ^ static_cast<uint64_t>(k.tid));
  }
};

}  // namespace infertrace
