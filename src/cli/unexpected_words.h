// The words a verb did not take, for parse_and_run's "not expected" message (header-only, without
// CLI11: parse_and_run.h is shared by infertrace and infertrace-serve, and the unit tests link no CLI11).
#pragma once

#include <string>
#include <vector>

#include "util/text_clean.h"

namespace infertrace::cli {

// CLI11's ExtrasError names the words it did not take last first, and with the `--` that ended the
// options among them: `sched -- a b` said "not expected: b --". This names them as typed: in their
// order, the `--` that ended the options left out (one typed after it is a word like any other, and
// named), "The following argument(s) ... not expected: a b"; "" when `remaining` holds none of the
// words (then CLI11's own message stands). Positionals fill from the left, so the words not taken
// are each word's last occurrences.
inline std::string unexpected_words(const std::vector<std::string>& words, const std::vector<std::string>& remaining) {
  size_t separator = words.size();  // the first `--`: never a word of the command line's own
  for (size_t i = 1; i < words.size() && separator == words.size(); ++i)
    if (words[i] == "--") separator = i;
  size_t typed_dashes = 0;  // `--` words after the separator: data, as typed
  for (size_t i = separator + 1; i < words.size(); ++i) typed_dashes += words[i] == "--";
  std::vector<bool> named(words.size(), false);
  size_t dashes = 0;
  for (const std::string& w : remaining) {
    if (w == "--" && ++dashes > typed_dashes) continue;  // CLI11's separator, not the user's word
    for (size_t i = words.size(); i-- > 1;)
      if (i != separator && !named[i] && words[i] == w) {
        named[i] = true;
        break;
      }
  }
  std::string list;
  size_t n = 0;
  for (size_t i = 1; i < words.size(); ++i)
    if (named[i]) list += (n++ ? " " : "") + escaped_text(words[i]);  // quoted as numeric values are
  if (n == 0) return "";
  return n == 1 ? "The following argument was not expected: " + list
                : "The following arguments were not expected: " + list;
}

}  // namespace infertrace::cli
