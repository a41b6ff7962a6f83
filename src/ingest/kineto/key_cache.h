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

  // Where a lookup starts: the slot of the key that followed the previous one in an object of the
  // same `context` (see follow()), or of the first key of such an object. A guess that is right
  // (the usual case: objects of one kind repeat their keys in one order) costs no hashing and does
  // not wait for the key's bytes to know where to look. The context is the caller's (say, the
  // event's category), so that objects of different kinds keep their own orders.
  static constexpr unsigned kContexts = 16;
  static constexpr unsigned kObjectStart = 1u << 6;
  unsigned guess_after(unsigned context, unsigned slot) const { return next_[context % kContexts][slot]; }
  // Remembers that the key in `slot` followed the one in `previous` (or kObjectStart).
  void follow(unsigned context, unsigned previous, unsigned slot) {
    next_[context % kContexts][previous] = static_cast<uint8_t>(slot);
  }

  // `k` is a key's first byte (after its opening quote), with at least kMaxLength readable bytes
  // from there. True, with `hit` and its `slot` filled, when the text at `k` is a remembered key
  // followed by its closing quote: the same text, byte for byte, as when it was remembered.
  // `slot` comes in as the guess (guess_after()); it is tried first, then the key's own slot.
  bool find(const char* k, unsigned& slot, Hit& hit) const {
    if (matches(slots_[slot], k, hit)) return true;
    slot = slot_of(k);
    return matches(slots_[slot], k, hit);
  }

  // Remembers the key at `k` of `length` bytes with its closing quote (the caller checked that it
  // is a whole key without escapes) in `slot` (the one find() left), replacing what was there.
  void remember(const char* k, size_t length, Kind kind, unsigned slot) {
    if (length == 0 || length > kMaxLength) return;
    Entry& e = slots_[slot];
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

  static bool matches(const Entry& e, const char* k, Hit& hit) {
    uint64_t diff = 0;
    for (size_t i = 0; i < 4; ++i) diff |= (load8(k + 8 * i) ^ e.words[i]) & e.masks[i];
    if (diff != 0 || e.length == 0) return false;
    hit = {e.kind, e.length};
    return true;
  }

  static uint64_t load8(const char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }

  // By the key's first four bytes: every key of four or more characters is wholly inside them,
  // and a shorter one brings its quote and ':' (a key this short that shares its slot only
  // costs a lookup that misses).
  static unsigned slot_of(const char* k) {
    uint32_t w;
    std::memcpy(&w, k, 4);
    return (w * 0x9E3779B1u) >> (32 - kSlotBits);
  }

  static constexpr unsigned kSlotBits = 6;
  Entry slots_[size_t(1) << kSlotBits];
  uint8_t next_[kContexts][(size_t(1) << kSlotBits) + 1] = {};  // by slot, and kObjectStart last
};

}  // namespace infertrace::kineto
