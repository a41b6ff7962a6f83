#include "analysis/suffix_array.h"

#include <limits>
#include <stdexcept>

namespace infertrace {

namespace {

constexpr uint32_t kEmpty = std::numeric_limits<uint32_t>::max();

// One level of SA-IS over s[0, n) with symbols in [0, k); s[n-1] is the unique smallest symbol.
// `sa` (n entries) is also the work space of the reduced problem, so memory stays near n words.
class InducedSort {
 public:
  InducedSort(const uint32_t* s, uint32_t* sa, uint32_t n, uint32_t k) : s_(s), sa_(sa), n_(n), k_(k) {}

  void run() {
    if (n_ == 1) {
      sa_[0] = 0;
      return;
    }
    classify();
    count_buckets();

    // 1. Sort the LMS substrings: LMS positions in any order at their bucket tails, then induce.
    fill(0, n_);
    set_tails();
    for (uint32_t i = 1; i < n_; ++i)
      if (lms(i)) sa_[--cursor_[s_[i]]] = i;
    induce();

    // 2. Name the sorted LMS substrings; equal substrings share a name.
    uint32_t n1 = 0;
    for (uint32_t i = 0; i < n_; ++i)
      if (lms(sa_[i])) sa_[n1++] = sa_[i];
    fill(n1, n_);
    uint32_t names = 0, prev = kEmpty;
    for (uint32_t i = 0; i < n1; ++i) {
      const uint32_t pos = sa_[i];
      if (prev == kEmpty || !same_lms_substring(pos, prev)) ++names;
      prev = pos;
      sa_[n1 + pos / 2] = names - 1;  // LMS positions are at least 2 apart: no two share a slot
    }
    // Gather the names in text order into the tail of sa: the reduced string.
    for (uint32_t i = n_, j = n_; i-- > n1;)
      if (sa_[i] != kEmpty) sa_[--j] = sa_[i];
    uint32_t* s1 = sa_ + (n_ - n1);

    // 3. Sort the reduced string's suffixes: recursively unless every name is distinct.
    if (names < n1) {
      InducedSort(s1, sa_, n1, names).run();
    } else {
      for (uint32_t i = 0; i < n1; ++i) sa_[s1[i]] = i;
    }

    // 4. Reduced ranks back to LMS positions, placed in order at their bucket tails, then induce.
    for (uint32_t i = 1, j = 0; i < n_; ++i)
      if (lms(i)) s1[j++] = i;
    for (uint32_t i = 0; i < n1; ++i) sa_[i] = s1[sa_[i]];
    fill(n1, n_);
    set_tails();
    for (uint32_t i = n1; i-- > 0;) {
      const uint32_t pos = sa_[i];
      sa_[i] = kEmpty;
      sa_[--cursor_[s_[pos]]] = pos;
    }
    induce();
  }

 private:
  // S-type: s[i] < s[i+1], or equal and s[i+1] is S-type; the terminator is S-type.
  void classify() {
    stype_.assign(n_, 0);
    stype_[n_ - 1] = 1;
    for (uint32_t i = n_ - 1; i-- > 0;)
      stype_[i] = s_[i] < s_[i + 1] || (s_[i] == s_[i + 1] && stype_[i + 1]);
  }
  bool lms(uint32_t i) const { return i != kEmpty && i > 0 && stype_[i] && !stype_[i - 1]; }

  void count_buckets() {
    start_.assign(static_cast<size_t>(k_) + 1, 0);
    for (uint32_t i = 0; i < n_; ++i) ++start_[s_[i] + 1];
    for (uint32_t c = 0; c < k_; ++c) start_[c + 1] += start_[c];
  }
  void set_heads() { cursor_.assign(start_.begin(), start_.end() - 1); }
  void set_tails() { cursor_.assign(start_.begin() + 1, start_.end()); }
  void fill(uint32_t from, uint32_t to) {
    for (uint32_t i = from; i < to; ++i) sa_[i] = kEmpty;
  }

  // L-type suffixes from left to right at bucket heads, then S-type from right to left at tails.
  void induce() {
    set_heads();
    for (uint32_t i = 0; i < n_; ++i) {
      const uint32_t j = sa_[i];
      if (j != kEmpty && j > 0 && !stype_[j - 1]) sa_[cursor_[s_[j - 1]]++] = j - 1;
    }
    set_tails();
    for (uint32_t i = n_; i-- > 0;) {
      const uint32_t j = sa_[i];
      if (j != kEmpty && j > 0 && stype_[j - 1]) sa_[--cursor_[s_[j - 1]]] = j - 1;
    }
  }

  // Two LMS substrings (from an LMS position to the next, inclusive) are equal when symbols and
  // types agree up to and including the next LMS position of both. The terminator is unique, so
  // neither comparison runs past it.
  bool same_lms_substring(uint32_t a, uint32_t b) const {
    for (uint32_t d = 0;; ++d) {
      if (s_[a + d] != s_[b + d] || stype_[a + d] != stype_[b + d]) return false;
      if (d > 0 && (lms(a + d) || lms(b + d))) return lms(a + d) && lms(b + d);
    }
  }

  const uint32_t* s_;
  uint32_t* sa_;
  uint32_t n_, k_;
  std::vector<uint8_t> stype_;
  std::vector<uint32_t> start_, cursor_;
};

}  // namespace

std::vector<uint32_t> suffix_array(const std::vector<uint32_t>& s, uint32_t alphabet) {
  if (s.empty()) return {};
  if (s.size() >= kEmpty) throw std::length_error("suffix_array: string too long");
  if (s.back() != 0) throw std::invalid_argument("suffix_array: the last symbol must be the terminator 0");
  std::vector<uint32_t> sa(s.size());
  InducedSort(s.data(), sa.data(), static_cast<uint32_t>(s.size()), alphabet).run();
  return sa;
}

}  // namespace infertrace
