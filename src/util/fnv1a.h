// FNV-1a, 64 bits (FNV's offset basis and prime): a hash that is the same in every build and run,
// unlike std::hash, for keys that are stored (the chat-template variants' code, serve/chat_inst.h;
// a saved analysis's launch-mix buckets, analysis/launch_mix.h). Fed byte by byte, so a key made of
// several fields is hashed without building a string first.
#pragma once

#include <cstdint>
#include <string_view>

namespace infertrace {

struct Fnv1a {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV's 64-bit offset basis
  void byte(uint8_t b) { h = (h ^ b) * 0x100000001b3ull; }  // FNV's 64-bit prime
  void bytes(std::string_view s) {
    for (const char c : s) byte(static_cast<uint8_t>(c));
  }
  void u32(uint32_t v) {  // little-endian, whatever the host's order
    for (int i = 0; i < 4; ++i) byte(static_cast<uint8_t>(v >> (8 * i)));
  }
};

inline uint64_t fnv1a64(std::string_view s) {
  Fnv1a f;
  f.bytes(s);
  return f.h;
}

}  // namespace infertrace
