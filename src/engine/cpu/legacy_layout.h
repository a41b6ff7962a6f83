// Where each field of a legacy 32-value block lies (gguf/legacy_quant.h), per weight slot
// (kernel_table.h: 7 Q4_0, 8 Q4_1, 9 Q5_0, 10 Q5_1). Shared by the F32 kernels
// (simd_legacy.inc.h) and the integer prefill kernels (simd_int8_legacy.inc.h and their traits).
#pragma once

namespace infertrace::engine::cpu {

template <int Slot>
struct LegacyLayout {
  static_assert(Slot >= 7 && Slot <= 10, "a legacy slot");
  static constexpr bool kMin = Slot == 8 || Slot == 10;  // Q4_1, Q5_1: value = d*q + m
  static constexpr bool kFifth = Slot == 9 || Slot == 10;  // Q5_0, Q5_1
  static constexpr int kBytes = 18 + 2 * (Slot - 7);  // 18, 20, 22, 24
  static constexpr int kQhAt = kMin ? 4 : 2;
  static constexpr int kQsAt = kQhAt + (kFifth ? 4 : 0);
  static constexpr int kOffset = kMin ? 0 : kFifth ? 16 : 8;  // subtracted from q by the _0 types
};

}  // namespace infertrace::engine::cpu
