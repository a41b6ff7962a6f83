// record's checks before its output is opened (record/record_targets.h), on files in a temporary
// directory: what the command resolves to, dead --pid ids, and which existing outputs are refused
// (the command's executable, a --lib file, a non-recording, a directory) or allowed (a new file, an
// empty one, an earlier recording, a device). Nothing here may change an existing file.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "file_text.h"
#include "temp_dir.h"
#include "record/record_targets.h"
#include "util/error.h"

namespace infertrace {
namespace {

namespace fs = std::filesystem;


RecordOptions with_command(const std::string& out, const std::string& cmd) {
  RecordOptions o;
  o.output = out;
  o.command = {cmd};
  return o;
}

// The exit code of the Error `f` throws (0 when it throws none).
template <class F>
int error_code_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.exit_code();
  }
  return 0;
}

TEST(RecordTargets, CommandResolvesLikeExecvp) {
  EXPECT_EQ(command_executable("/bin/sh"), "/bin/sh");
  EXPECT_FALSE(command_executable("sh").empty());
  EXPECT_EQ(error_code_of([] { command_executable("/nonexistent/cmd"); }), 1);
  EXPECT_EQ(error_code_of([] { command_executable("no-such-command-infertrace-test"); }), 1);
  EXPECT_EQ(error_code_of([] { command_executable("/tmp"); }), 1);  // a directory
  TempDir d("record-targets");
  const fs::path plain = d.path / "notexec";
  std::ofstream(plain) << "#!/bin/sh\n";
  fs::permissions(plain, fs::perms::owner_read | fs::perms::owner_write);
  // Root may execute only what has some execute bit: access(X_OK) says so for root too.
  EXPECT_EQ(error_code_of([&] { command_executable(plain.string()); }), 1);
  try {
    command_executable("/nonexistent/cmd");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot run /nonexistent/cmd: "), std::string::npos) << e.what();
  }
}

TEST(RecordTargets, DeadPidIsRefused) {
  const pid_t p = ::fork();
  if (p == 0) ::_exit(0);
  int status = 0;
  ::waitpid(p, &status, 0);
  RecordOptions o;
  o.output = "/nonexistent-dir/never-written.itrace";
  o.pids = {static_cast<int>(p)};
  EXPECT_EQ(error_code_of([&] { check_record_targets(o); }), 1);
  o.pids = {static_cast<int>(::getpid())};
  EXPECT_EQ(error_code_of([&] { check_record_targets(o); }), 0);
}

// The message of the Error `f` throws ("" when it throws none).
template <class F>
std::string error_message_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Both files start with the recording header, so the rule "only a recording is overwritten" would
// let them through: only the executable and --lib checks themselves can refuse them.
TEST(RecordTargets, OutputThatIsTheCommandOrALibIsRefusedAndKept) {
  TempDir d("record-targets");
  const fs::path exe = d.path / "myscript";
  std::ofstream(exe) << "INFTRACE-looking executable\n";
  fs::permissions(exe, fs::perms::owner_all);
  const std::string before = slurp(exe);
  const std::string as_exe = error_message_of([&] { check_record_targets(with_command(exe.string(), exe.string())); });
  EXPECT_NE(as_exe.find("is the command's executable"), std::string::npos) << as_exe;
  EXPECT_EQ(error_code_of([&] { check_record_targets(with_command(exe.string(), exe.string())); }), 2);
  const fs::path lib = d.path / "lib.so";
  std::ofstream(lib) << "INFTRACE-looking library";
  RecordOptions o = with_command(lib.string(), "/bin/true");
  o.libs = {lib.string()};
  const std::string as_lib = error_message_of([&] { check_record_targets(o); });
  EXPECT_NE(as_lib.find("is the --lib"), std::string::npos) << as_lib;
  EXPECT_EQ(error_code_of([&] { check_record_targets(o); }), 2);
  EXPECT_EQ(slurp(exe), before);
  EXPECT_EQ(slurp(lib), "INFTRACE-looking library");
}

TEST(RecordTargets, OnlyARecordingOrAnEmptyFileIsOverwritten) {
  TempDir d("record-targets");
  const fs::path data = d.path / "notes.txt";
  std::ofstream(data) << "someone's notes";
  EXPECT_EQ(error_code_of([&] { check_record_targets(with_command(data.string(), "/bin/true")); }), 2);
  EXPECT_EQ(slurp(data), "someone's notes");
  const fs::path old = d.path / "old.itrace";
  std::ofstream(old) << "INFTRACE and the rest of an earlier recording";
  EXPECT_EQ(error_code_of([&] { check_record_targets(with_command(old.string(), "/bin/true")); }), 0);
  const fs::path empty = d.path / "empty.itrace";
  std::ofstream{empty};
  EXPECT_EQ(error_code_of([&] { check_record_targets(with_command(empty.string(), "/bin/true")); }), 0);
  EXPECT_EQ(error_code_of([&] { check_record_targets(with_command((d.path / "new.itrace").string(), "/bin/true")); }), 0);
  EXPECT_EQ(error_code_of([&] { check_record_targets(with_command(d.path.string(), "/bin/true")); }), 1);  // a directory
}

TEST(RecordTargets, DeviceOutputIsAllowed) {
  TempDir d("record-targets");
  const std::string node = (d.path / "mynull").string();
  if (::mknod(node.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) GTEST_SKIP() << "mknod needs root";
  EXPECT_EQ(error_code_of([&] { check_record_targets(with_command(node, "/bin/true")); }), 0);
}

// A block device (made here, with a major number no driver has registered) is refused: a typo
// such as -o /dev/sdb would otherwise stream the recording over a disk.
TEST(RecordTargets, BlockDeviceOutputIsRefused) {
  TempDir d("record-targets");
  const std::string node = (d.path / "mydisk").string();
  if (::mknod(node.c_str(), S_IFBLK | 0600, makedev(242, 0)) != 0) GTEST_SKIP() << "mknod needs root";
  try {
    check_record_targets(with_command(node, "/bin/true"));
    ADD_FAILURE() << "a block device was accepted as record's output";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is a block device"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_block_file(node));
}

// record -o /dev/stdout (any of our descriptors) is refused: the recorded command shares stdout and
// record prints its summary there, so the recording would be unreadable (review BF M2). Checked
// with a pipe's /dev/fd/N and /proc/self/fd/N, which leaves the test binary's own stdout alone.
TEST(RecordTargets, DescriptorOutputIsRefused) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  for (const std::string& out : {"/dev/fd/" + std::to_string(p[1]), "/proc/self/fd/" + std::to_string(p[1])}) {
    EXPECT_EQ(error_code_of([&] { check_record_targets(with_command(out, "/bin/true")); }), 2) << out;
    EXPECT_NE(error_message_of([&] { check_record_targets(with_command(out, "/bin/true")); }).find("name a file"),
              std::string::npos);
  }
  ::close(p[0]);
  ::close(p[1]);
}

}  // namespace
}  // namespace infertrace

namespace infertrace {

// A --lib named on the command line must be there to probe: a mistyped path was a warning, and the
// run was recorded without its launches (audit EW L9). Checked before the output is touched.
TEST(RecordTargets, MissingOrDirectoryLibIsRefused) {
  TempDir d("record-targets-lib");
  const fs::path out = d.path / "out.itrace";
  RecordOptions o = with_command(out.string(), "/bin/true");
  o.libs = {(d.path / "libcudart-typo.so").string()};
  std::string why = error_message_of([&] { check_record_targets(o); });
  EXPECT_NE(why.find("--lib " + o.libs[0] + ": No such file or directory"), std::string::npos) << why;
  EXPECT_EQ(error_code_of([&] { check_record_targets(o); }), 1);
  o.libs = {d.path.string()};
  why = error_message_of([&] { check_record_targets(o); });
  EXPECT_NE(why.find("Is a directory"), std::string::npos) << why;
  EXPECT_EQ(error_code_of([&] { check_record_targets(o); }), 1);
  const fs::path lib = d.path / "libreal.so";
  std::ofstream(lib) << "a library";
  o.libs = {lib.string()};
  EXPECT_EQ(error_code_of([&] { check_record_targets(o); }), 0);
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace infertrace
