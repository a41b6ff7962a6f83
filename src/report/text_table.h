// Plain-text tables for the terminal: a header row, aligned columns, numbers right-aligned.
// Every analysis prints through this so the CLI looks the same everywhere.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace infertrace {

class TextTable {
 public:
  enum class Align { Left, Right };
  // Columns whose alignment is not given are right-aligned except the first.
  explicit TextTable(std::vector<std::string> header, std::vector<Align> align = {});
  void add_row(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }
  void print(std::ostream& os, const std::string& title = "") const;
  // Same table as CSV (RFC 4180 quoting), header first.
  void print_csv(std::ostream& os) const;

 private:
  std::vector<std::string> header_;
  std::vector<Align> align_;
  std::vector<std::vector<std::string>> rows_;
};

// Shortens a demangled C++ kernel name for a table cell: drops template arguments and parameter
// lists ("void at::native::foo<4, bar>(int)" -> "at::native::foo"), then truncates to max_len
// terminal columns (never inside a UTF-8 character, nor between a combining mark and its base:
// util/display_width.h).
std::string short_kernel_name(const std::string& name, size_t max_len = 60);

std::string csv_escape(const std::string& s);

}  // namespace infertrace
