// refuse_our_stderr (cli/output_file.h) on another descriptor of stderr's file (`--plot /dev/fd/3
// 3>&2`): refused unless the user gave us one file as stdout and stderr (`>f 2>&1`), which it
// judges by stdout as the user opened it. An output named as our stdout points fd 1 at stderr
// (stdout_for_output), and fd 1 then always looked joined with stderr (review BX L5).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "cli/output_file.h"
#include "temp_dir.h"
#include "util/inherited_descriptor.h"

namespace infertrace::cli {
namespace {

namespace fs = std::filesystem;

// In a child (its descriptors are changed): stdout to `out`, stderr to `err`, fd 3 on stderr's
// file; `take_stdout_aside`: an output named /dev/stdout was resolved before. Exit 0: refused,
// 1: allowed, 2: the setup failed.
int child_verdict(const fs::path& out, const fs::path& err, bool take_stdout_aside) {
  const pid_t child = ::fork();
  if (child == 0) {
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    const int e = out == err ? o : ::open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (o < 0 || e < 0 || ::dup2(o, 1) < 0 || ::dup2(e, 2) < 0 || ::dup2(2, 3) < 0) ::_exit(2);
    try {
      if (take_stdout_aside) stdout_for_output("/dev/stdout");
      refuse_our_stderr("/dev/fd/3", "--plot", "sweep");
      ::_exit(1);
    } catch (const UsageError&) {
      ::_exit(0);
    } catch (...) {
      ::_exit(2);
    }
  }
  int status = 0;
  if (child < 0 || ::waitpid(child, &status, 0) != child || !WIFEXITED(status)) return 2;
  return WEXITSTATUS(status);
}

TEST(OutputOnStderr, AnotherDescriptorOnStderrsFileIsRefused) {
  const TempDir d("output-on-stderr");
  EXPECT_EQ(child_verdict(d.path / "out.txt", d.path / "err.txt", false), 0);
}

// The same after stdout was taken aside for another output: fd 1 now points at stderr, but the
// user's stdout is still out.txt, not joined with stderr (was allowed).
TEST(OutputOnStderr, RefusedAlsoAfterStdoutWasTakenAside) {
  const TempDir d("output-on-stderr");
  EXPECT_EQ(child_verdict(d.path / "out.txt", d.path / "err.txt", true), 0);
}

// `>f 2>&1`: the user joined the streams; any output on that file is theirs to mix.
TEST(OutputOnStderr, AllowedWhenTheUserJoinedStdoutAndStderr) {
  const TempDir d("output-on-stderr");
  EXPECT_EQ(child_verdict(d.path / "both.txt", d.path / "both.txt", false), 1);
  EXPECT_EQ(child_verdict(d.path / "both.txt", d.path / "both.txt", true), 1);
}

}  // namespace
}  // namespace infertrace::cli
