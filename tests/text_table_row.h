// The cells of one row of a terminal table (report/text_table.h prints cells two or more spaces
// apart), found by the row's first cell: for tests that read a printed table back.
#pragma once

#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace infertrace {

// The row of `text` whose first cell is `name`: its cells; a test failure and {} when there is none.
inline std::vector<std::string> text_row(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(name + "  ", 0) == 0) {
      std::vector<std::string> cells;
      const std::regex gap(" {2,}");
      for (std::sregex_token_iterator it(line.begin(), line.end(), gap, -1), end; it != end; ++it) cells.push_back(*it);
      return cells;
    }
  ADD_FAILURE() << "no row " << name << " in\n" << text;
  return {};
}

}  // namespace infertrace
