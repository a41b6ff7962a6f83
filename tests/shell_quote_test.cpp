// shell_quote: one POSIX shell word. Expected words written by hand; each quoted one is also read
// back by /bin/sh (printf %s), which must print the original string.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>

#include "util/shell_quote.h"

namespace infertrace {
namespace {

std::string sh_echo(const std::string& word) {
  const std::string cmd = "printf %s " + word;
  std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(cmd.c_str(), "r"), ::pclose);
  std::string out;
  std::array<char, 256> buf;
  size_t n;
  while (p && (n = std::fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
  return out;
}

TEST(ShellQuote, SafePathsStayBareOthersAreSingleQuoted) {
  EXPECT_EQ(shell_quote("/work/main/build/dev/src/infertrace"), "/work/main/build/dev/src/infertrace");
  EXPECT_EQ(shell_quote("a-b_c.d+e,f:g@h"), "a-b_c.d+e,f:g@h");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("/opt/my tools/infertrace"), "'/opt/my tools/infertrace'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("$(rm -rf x)"), "'$(rm -rf x)'");
  for (const std::string s : {"/opt/my tools/x", "it's", "$(echo no)", "a;b|c&d", "`x`", "*?[", "~user", "\\n"})
    EXPECT_EQ(sh_echo(shell_quote(s)), s) << s;
}

}  // namespace
}  // namespace infertrace
