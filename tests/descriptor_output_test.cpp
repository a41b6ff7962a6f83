// `-o /dev/stdout` and friends (util/inherited_descriptor.h's DescriptorOutput, review BF M3/L6): a
// pipe is written straight into, with no scratch file; a redirected regular file gets the output
// through a scratch file that is unlinked before the writer runs, so an interrupted run leaves
// nothing in TMPDIR; a non-blocking descriptor waits for its reader instead of failing at EAGAIN.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "cli/output_file.h"
#include "file_text.h"

namespace infertrace {
namespace {

namespace fs = std::filesystem;

// A private TMPDIR for the test's lifetime, so "nothing left in TMPDIR" can be checked.
struct PrivateTmpdir {
  fs::path path;
  std::string old;
  bool had_old;
  PrivateTmpdir() {
    std::string t = (fs::temp_directory_path() / "descriptor-output-XXXXXX").string();
    path = ::mkdtemp(t.data());
    const char* o = std::getenv("TMPDIR");
    had_old = o != nullptr;
    if (o) old = o;
    ::setenv("TMPDIR", path.c_str(), 1);
  }
  ~PrivateTmpdir() {
    if (had_old) ::setenv("TMPDIR", old.c_str(), 1);
    else ::unsetenv("TMPDIR");
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  bool empty() const { return fs::is_empty(path); }
};

std::string fd_name(int fd) { return "/dev/fd/" + std::to_string(fd); }

std::string read_all(int fd) {
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
  return got;
}

TEST(DescriptorOutput, PipeIsWrittenStraightIntoIt) {
  PrivateTmpdir tmp;
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  std::string writer_path;
  cli::write_whole(fd_name(p[1]), [&](const std::string& to) {
    writer_path = to;
    // The writer's path opens the pipe itself, not a scratch file (an unlinked scratch would leave
    // TMPDIR empty too, so that alone could not tell).
    struct stat via{}, pipe_end{};
    EXPECT_EQ(::stat(to.c_str(), &via), 0);
    EXPECT_EQ(::fstat(p[1], &pipe_end), 0);
    EXPECT_TRUE(S_ISFIFO(via.st_mode)) << to << " is no pipe";
    EXPECT_EQ(via.st_ino, pipe_end.st_ino) << to << " is another file than the pipe";
    EXPECT_TRUE(tmp.empty()) << "a pipe needs no scratch file";
    std::ofstream(to) << "streamed";
    return 0;
  });
  ::close(p[1]);
  EXPECT_EQ(read_all(p[0]), "streamed");
  ::close(p[0]);
  EXPECT_EQ(writer_path.rfind("/proc/self/fd/", 0), 0u) << writer_path;
  EXPECT_TRUE(tmp.empty());
}

TEST(DescriptorOutput, RedirectedFileGetsItThroughAnUnlinkedScratch) {
  PrivateTmpdir tmp;
  const fs::path file = tmp.path / "out" / "redirected.txt";
  fs::create_directory(tmp.path / "out");
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "H\n", 2), 2);
  cli::write_whole(fd_name(fd), [&](const std::string& to) {
    // The scratch exists only as the descriptor the writer opens: a signal now leaves nothing.
    EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path), fs::directory_iterator()), 1) << "only out/";
    std::ofstream(to) << "whole";
    return 0;
  });
  ::close(fd);
  EXPECT_EQ(slurp(file), "H\nwhole");
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path), fs::directory_iterator()), 1);
}

// A socket cannot be reopened through /proc, so it gets the scratch copy; left O_NONBLOCK (as some
// CI runners leave their pipes) the copy must wait for the slow reader, not stop at EAGAIN.
TEST(DescriptorOutput, NonBlockingDescriptorWaitsForItsReader) {
  PrivateTmpdir tmp;
  int s[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
  ASSERT_EQ(::fcntl(s[0], F_SETFL, ::fcntl(s[0], F_GETFL) | O_NONBLOCK), 0);
  const std::string big(4u << 20, 'x');
  std::string got;
  std::thread reader([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the buffer fills first
    got = read_all(s[1]);
  });
  EXPECT_NO_THROW(cli::write_whole(fd_name(s[0]), [&](const std::string& to) {
    std::ofstream(to, std::ios::binary) << big;
    return 0;
  }));
  ::close(s[0]);
  reader.join();
  ::close(s[1]);
  EXPECT_EQ(got.size(), big.size());
  EXPECT_TRUE(tmp.empty());
}

}  // namespace
}  // namespace infertrace
