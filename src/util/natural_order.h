// Natural order of names that carry numbers: a run of digits compares by its value, so "api.2"
// comes before "api.10" (review UX L11: ingest's metadata listed api.0, api.1, api.10, api.11, ...,
// api.2). Everything else compares byte by byte, as std::string does.
#pragma once

#include <cstddef>
#include <string_view>

namespace infertrace {

inline bool natural_less(std::string_view a, std::string_view b) {
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      // Compare the two digit runs by value: without leading zeros, the longer is larger; of equal
      // length, the first digit that differs decides. Equal values with other zero padding ("07",
      // "7") fall back to the run length, so the order stays strict.
      size_t ie = i, je = j;
      while (ie < a.size() && digit(a[ie])) ++ie;
      while (je < b.size() && digit(b[je])) ++je;
      size_t is = i, js = j;
      while (is + 1 < ie && a[is] == '0') ++is;
      while (js + 1 < je && b[js] == '0') ++js;
      if (ie - is != je - js) return ie - is < je - js;
      for (size_t k = 0; k < ie - is; ++k)
        if (a[is + k] != b[js + k]) return a[is + k] < b[js + k];
      if (ie - i != je - j) return ie - i < je - j;
      i = ie, j = je;
      continue;
    }
    if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
    ++i, ++j;
  }
  return a.size() - i < b.size() - j;
}

}  // namespace infertrace
