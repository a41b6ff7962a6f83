#include "report/text_table.h"

#include <algorithm>

#include "util/display_width.h"

namespace infertrace {

TextTable::TextTable(std::vector<std::string> header, std::vector<Align> align)
    : header_(std::move(header)) {
  const bool given = !align.empty();
  align_ = std::move(align);
  align_.resize(header_.size(), Align::Right);
  if (!given && !header_.empty()) align_[0] = Align::Left;
}

void TextTable::add_row(std::vector<std::string> cells) {
  cells.resize(header_.size());
  rows_.push_back(std::move(cells));
}

void TextTable::print(std::ostream& os, const std::string& title) const {
  std::vector<size_t> w(header_.size());
  // Widths in terminal columns, not bytes or characters: a name with CJK characters, emoji or
  // combining marks must not shift the columns after it (util/display_width.h).
  for (size_t c = 0; c < header_.size(); ++c) w[c] = display_width(header_[c]);
  for (const auto& r : rows_)
    for (size_t c = 0; c < r.size(); ++c) w[c] = std::max(w[c], display_width(r[c]));
  if (!title.empty()) os << title << "\n";
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c) os << "  ";
      const std::string& s = cells[c];
      const size_t pad = w[c] - display_width(s);
      if (align_[c] == Align::Right) os << std::string(pad, ' ') << s;
      else if (c + 1 < cells.size()) os << s << std::string(pad, ' ');
      else os << s;
    }
    os << "\n";
  };
  line(header_);
  size_t total = 0;
  for (size_t c = 0; c < w.size(); ++c) total += w[c] + (c ? 2 : 0);
  os << std::string(total, '-') << "\n";
  for (const auto& r : rows_) line(r);
}

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

void TextTable::print_csv(std::ostream& os) const {
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t c = 0; c < cells.size(); ++c) os << (c ? "," : "") << csv_escape(cells[c]);
    os << "\n";
  };
  line(header_);
  for (const auto& r : rows_) line(r);
}

std::string short_kernel_name(const std::string& name, size_t max_len) {
  std::string s = name;
  if (s.rfind("void ", 0) == 0) s = s.substr(5);
  // "at::native::(anonymous namespace)::foo" reads "at::native::foo" (the parameter-list removal
  // below would leave "at::native::::foo").
  static const std::string anonymous = "(anonymous namespace)::";
  for (size_t at; (at = s.find(anonymous)) != std::string::npos;) s.erase(at, anonymous.size());
  // Remove the parameter list: the last top-level '(' group.
  std::string out;
  int angle = 0, paren = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (ch == '<') {
      ++angle;
      continue;
    }
    if (ch == '>') {
      if (angle > 0) --angle;
      continue;
    }
    if (angle > 0) continue;
    if (ch == '(') {
      ++paren;
      continue;
    }
    if (ch == ')') {
      if (paren > 0) --paren;
      continue;
    }
    if (paren > 0) continue;
    out += ch;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.empty()) out = s;
  return display_shorten(out, max_len);  // never inside a character (review CX M1), nor past max_len columns
}

}  // namespace infertrace
