#include "analysis/chain_ids.h"

#include <stdexcept>

namespace infertrace {

namespace {

// Open-addressing table from a (head id, tail id) pair to a dense chain id. A key of all ones
// never occurs (it would need two kNoChain ids) and marks an empty slot.
class PairTable {
 public:
  PairTable() { rehash(1024); }

  // Returns the id of `key`, or `fresh` after storing it under that id.
  uint32_t find_or_add(uint64_t key, uint32_t fresh) {
    if ((size_ + 1) * 2 > keys_.size()) rehash(keys_.size() * 2);
    size_t slot = slot_of(key);
    while (true) {
      if (keys_[slot] == key) return vals_[slot];
      if (keys_[slot] == kEmpty) {
        keys_[slot] = key;
        vals_[slot] = fresh;
        ++size_;
        return fresh;
      }
      slot = (slot + 1) & mask_;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};

  size_t slot_of(uint64_t key) const { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_); }

  void rehash(size_t capacity) {
    std::vector<uint64_t> old_keys = std::move(keys_);
    std::vector<uint32_t> old_vals = std::move(vals_);
    keys_.assign(capacity, kEmpty);
    vals_.assign(capacity, 0);
    mask_ = capacity - 1;
    shift_ = 64;
    for (size_t c = capacity; c > 1; c >>= 1) --shift_;
    for (size_t i = 0; i < old_keys.size(); ++i) {
      if (old_keys[i] == kEmpty) continue;
      size_t slot = slot_of(old_keys[i]);
      while (keys_[slot] != kEmpty) slot = (slot + 1) & mask_;
      keys_[slot] = old_keys[i];
      vals_[slot] = old_vals[i];
    }
  }

  std::vector<uint64_t> keys_;
  std::vector<uint32_t> vals_;
  size_t mask_ = 0, size_ = 0;
  int shift_ = 64;
};

}  // namespace

ChainLevel single_kernels(const std::vector<uint32_t>& name, uint32_t n_names) {
  ChainLevel lv;
  lv.length = 1;
  lv.id = name;
  lv.first_pos.assign(n_names, kNoChain);
  lv.count.assign(n_names, 0);
  for (size_t p = 0; p < name.size(); ++p) {
    if (lv.first_pos[name[p]] == kNoChain) lv.first_pos[name[p]] = static_cast<uint32_t>(p);
    lv.count[name[p]] += 1;
  }
  return lv;
}

ChainLevel compose_chains(const ChainLevel& head, const ChainLevel& tail, const std::vector<uint32_t>& room) {
  if (static_cast<uint64_t>(head.length) + tail.length >= kNoChain) throw std::length_error("chain length overflow");
  ChainLevel lv;
  lv.length = head.length + tail.length;
  const size_t n = head.id.size();
  lv.id.assign(n, kNoChain);
  PairTable table;
  for (size_t p = 0; p < n; ++p) {
    if (room[p] < lv.length) continue;
    const uint32_t h = head.id[p], t = tail.id[p + head.length];
    const uint32_t fresh = static_cast<uint32_t>(lv.count.size());
    // A chain with a part that occurs once occurs once itself: it needs no table lookup. On long
    // lengths most windows are such one-offs, and skipping the table keeps it small.
    const uint32_t id = head.count[h] == 1 || tail.count[t] == 1
                            ? fresh
                            : table.find_or_add((static_cast<uint64_t>(h) << 32) | t, fresh);
    if (id == fresh) {
      lv.first_pos.push_back(static_cast<uint32_t>(p));
      lv.count.push_back(0);
    }
    lv.count[id] += 1;
    lv.id[p] = id;
  }
  return lv;
}

}  // namespace infertrace
