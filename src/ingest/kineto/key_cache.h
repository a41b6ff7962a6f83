// Remembers the object keys the direct event scan met recently, with what it decided about each
// (docs/ingest.md, "Direct event scan"). The events of a trace repeat a few dozen keys ("External
// id", "queued", "registers per thread", ...): a key found here is recognised by four masked 8-byte
// compares, without scanning it for its closing quote and without a dispatch on its first letter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace infertrace::kineto {

template <typename Kind>
class KeyCache {
 public:
  // The longest key (with its closing quote) that is remembered; longer ones are always looked at.
  static constexpr size_t kMaxLength = 32;

  struct Hit {
    Kind kind;
    size_t length;  // the key's bytes and its closing quote
  };

  // `k` is a key's first byte (after its opening quote), with at least kMaxLength readable bytes
  // from there. True and `hit` filled when the text at `k` is a remembered key followed by its
  // closing quote: the same text, byte for byte, as when it was remembered.
  bool find(const char* k, Hit& hit) const {
    const Entry& e = slots_[slot(k)];
    uint64_t diff = 0;
    for (size_t i = 0; i < 4; ++i) diff |= (load8(k + 8 * i) ^ e.words[i]) & e.masks[i];
    if (diff != 0 || e.length == 0) return false;
    hit = {e.kind, e.length};
    return true;
  }

  // Remembers the key at `k` of `length` bytes with its closing quote (the caller checked that it
  // is a whole key without escapes); replaces whatever had the same slot.
  void remember(const char* k, size_t length, Kind kind) {
    if (length == 0 || length > kMaxLength) return;
    Entry& e = slots_[slot(k)];
    for (size_t i = 0; i < 4; ++i) {
      const size_t first = 8 * i;
      const size_t n = length > first ? (length - first < 8 ? length - first : 8) : 0;
      e.masks[i] = n == 8 ? ~uint64_t(0) : (uint64_t(1) << (8 * n)) - 1;
      e.words[i] = load8(k + first) & e.masks[i];
    }
    e.length = static_cast<uint8_t>(length);
    e.kind = kind;
  }

 private:
  struct Entry {
    uint64_t words[4] = {0, 0, 0, 0};
    uint64_t masks[4] = {0, 0, 0, 0};  // all zero with length 0: an empty slot matches nothing
    uint8_t length = 0;
    Kind kind{};
  };

  static uint64_t load8(const char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }

  // By the key's first four bytes: every key of four or more characters is wholly inside them,
  // and a shorter one brings its quote and ':' (a key this short that shares its slot only
  // costs a lookup that misses).
  static size_t slot(const char* k) {
    uint32_t w;
    std::memcpy(&w, k, 4);
    return (w * 0x9E3779B1u) >> (32 - kSlotBits);
  }

  static constexpr unsigned kSlotBits = 6;
  Entry slots_[size_t(1) << kSlotBits];
};

}  // namespace infertrace::kineto
