// Suffix array of a string of integer symbols, by induced sorting (SA-IS, Nong, Zhang and Chan
// 2009): linear time and a few passes over the string, whatever the alphabet size or how
// repetitive the string is. The proximity-score fusion analysis sorts every kernel position by
// the chain that starts there, so that equal chains of every length sit side by side at once.
#pragma once

#include <cstdint>
#include <vector>

namespace infertrace {

// Sorted suffixes of `s` (values in [0, alphabet)). The last symbol must be 0 and occur nowhere
// else (a terminator, the smallest suffix). Needs s.size() < 2^32 - 1.
std::vector<uint32_t> suffix_array(const std::vector<uint32_t>& s, uint32_t alphabet);

}  // namespace infertrace
