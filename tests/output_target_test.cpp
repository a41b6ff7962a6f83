// Where the verbs write their outputs (util/output_target.h, cli/output_file.h's write_whole), on
// nodes and links made in a temporary directory (never the machine's own /dev/null or /dev/full):
// a device or FIFO is written into and stays a node, a symlink's target is replaced and the link
// stays a link, a directory is refused, a regular file is replaced only when the new one is whole.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "cli/output_file.h"
#include "file_text.h"
#include "temp_dir.h"
#include "util/output_target.h"

namespace infertrace {
namespace {

namespace fs = std::filesystem;


// Major 242 lies in the block range Linux reserves for local/experimental use (240-254, not
// registered on the machines we run on: open() of such a node gives ENXIO).
constexpr unsigned kUnusedBlockMajor = 242;

// Writes `text` through write_whole, as every verb's single-file output does.
void write_text(const std::string& out, const std::string& text) {
  cli::write_whole(out, [&](const std::string& to) {
    std::ofstream f(to, std::ios::binary);
    f << text;
    f.close();
    if (!f) throw Error("cannot write " + to);
    return 0;
  });
}

TEST(OutputTarget, NewAndRegularFilesAreWrittenThroughAPartialFile) {
  TempDir d("output-target");
  const std::string out = (d.path / "a.html").string();
  EXPECT_FALSE(resolve_output_target(out).stream);
  EXPECT_EQ(resolve_output_target(out).path, out);
  write_text(out, "one");
  EXPECT_EQ(slurp(out), "one");
  // A failed write leaves the old file as it was, and no .partial.
  EXPECT_THROW(cli::write_whole(out, [](const std::string& to) -> int {
                 std::ofstream(to) << "half";
                 throw Error("disk full");
               }),
               Error);
  EXPECT_EQ(slurp(out), "one");
  EXPECT_FALSE(fs::exists(out + ".partial"));
}

TEST(OutputTarget, CharacterDeviceIsWrittenIntoAndStaysADevice) {
  TempDir d("output-target");
  const std::string node = (d.path / "mynull").string();
  if (::mknod(node.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) GTEST_SKIP() << "mknod needs root";
  const OutputTarget t = resolve_output_target(node);
  EXPECT_TRUE(t.stream);
  EXPECT_EQ(t.kind, "character device");
  write_text(node, "discarded");
  EXPECT_TRUE(fs::is_character_file(node));
  EXPECT_FALSE(fs::exists(node + ".partial"));
  // A format that must be renamed into place is refused on it.
  EXPECT_THROW(require_regular_output(node, "an SQLite database"), Error);
}

// A block device made here with a major number no driver has registered (so even a writer that
// ignored the refusal could not reach a disk): refused, directly and through a link, node kept.
TEST(OutputTarget, BlockDeviceIsRefused) {
  TempDir d("output-target");
  const std::string node = (d.path / "mydisk").string();
  if (::mknod(node.c_str(), S_IFBLK | 0600, makedev(kUnusedBlockMajor, 0)) != 0) GTEST_SKIP() << "mknod needs root";
  fs::create_symlink("mydisk", d.path / "disklink");
  for (const std::string& out : {node, (d.path / "disklink").string()}) {
    try {
      resolve_output_target(out);
      ADD_FAILURE() << out << ": a block device was accepted as an output";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("is a block device; infertrace does not write to disks"), std::string::npos)
          << e.what();
    }
    EXPECT_THROW(write_text(out, "over the partition table"), Error) << out;
  }
  EXPECT_TRUE(fs::is_block_file(node));
  EXPECT_FALSE(fs::exists(node + ".partial"));
}

TEST(OutputTarget, FifoGetsTheBytesAndStaysAFifo) {
  TempDir d("output-target");
  const std::string fifo = (d.path / "pipe").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // A reader held open (read-write, so this open does not wait for a writer) takes the bytes.
  const int rd = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK);
  ASSERT_GE(rd, 0);
  EXPECT_EQ(resolve_output_target(fifo).kind, "FIFO");
  write_text(fifo, "through the pipe");
  char buf[64] = {};
  const ssize_t n = ::read(rd, buf, sizeof buf);
  ::close(rd);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "through the pipe");
  EXPECT_EQ(fs::status(fifo).type(), fs::file_type::fifo);
}

TEST(OutputTarget, SymlinkTargetIsReplacedAndTheLinkStays) {
  TempDir d("output-target");
  fs::create_directory(d.path / "sub");
  std::ofstream(d.path / "sub" / "target.html") << "old";
  fs::create_symlink("sub/target.html", d.path / "link.html");
  const std::string link = (d.path / "link.html").string();
  EXPECT_EQ(fs::path(resolve_output_target(link).path), fs::canonical(d.path / "sub" / "target.html"));
  write_text(link, "new");
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(slurp(d.path / "sub" / "target.html"), "new");
  EXPECT_FALSE(fs::exists(d.path / "link.html.partial"));
}

// A replaced file keeps its mode (and, when we are root, its owner), as an editor's save does: a
// private file reached through a link into another directory must not become world-readable.
// A hard link to the old file keeps the old bytes (the rename gives the name a new inode).
TEST(OutputTarget, ReplacedFileKeepsItsModeAndOwner) {
  TempDir d("output-target");
  fs::create_directory(d.path / "private");
  const fs::path target = d.path / "private" / "report.html";
  std::ofstream(target) << "old";
  ASSERT_EQ(::chmod(target.c_str(), 0640), 0);
  const bool root = ::geteuid() == 0;
  if (root) {
    ASSERT_EQ(::chown(target.c_str(), 1234, 4321), 0);
  }
  fs::create_hard_link(target, d.path / "hardlink.html");
  fs::create_symlink("private/report.html", d.path / "link.html");
  const fs::path plain = d.path / "plain.html";
  std::ofstream(plain) << "old";
  ASSERT_EQ(::chmod(plain.c_str(), 0600), 0);
  write_text((d.path / "link.html").string(), "new");
  write_text(plain.string(), "new");
  struct stat st{};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(slurp(target), "new");
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  if (root) {
    EXPECT_EQ(st.st_uid, 1234u);
    EXPECT_EQ(st.st_gid, 4321u);
  }
  EXPECT_EQ(slurp(d.path / "hardlink.html"), "old");
  ASSERT_EQ(::stat(plain.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  // A new file gets the usual mode of a created file (the umask's), nothing taken from elsewhere.
  write_text((d.path / "new.html").string(), "x");
  ASSERT_EQ(::stat((d.path / "new.html").c_str(), &st), 0);
  const mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(st.st_mode & 0777, 0666u & ~mask);
}

// review BF HIGH 1: OUT.partial has a predictable name in a directory its owner controls. A link
// planted there (r.html.partial -> a root-only file) must be removed, not written through, and
// never lend the victim the output's owner or mode; a partial swapped for a link while the writer
// runs is refused before anything is renamed.
TEST(OutputTarget, PlantedPartialLinkIsRemovedNotFollowed) {
  TempDir d("output-target");
  const fs::path victim = d.path / "victim";
  std::ofstream(victim) << "secret";
  ASSERT_EQ(::chmod(victim.c_str(), 0600), 0);
  const fs::path out = d.path / "r.html";
  std::ofstream(out) << "old";
  ASSERT_EQ(::chmod(out.c_str(), 0666), 0);
  const bool root = ::geteuid() == 0;
  if (root) {
    ASSERT_EQ(::chown(out.c_str(), 65534, 65534), 0);
  }
  fs::create_symlink(victim, d.path / "r.html.partial");
  struct stat before{};
  ASSERT_EQ(::stat(victim.c_str(), &before), 0);
  write_text(out.string(), "new");
  struct stat after{};
  ASSERT_EQ(::stat(victim.c_str(), &after), 0);
  EXPECT_EQ(slurp(victim), "secret");
  EXPECT_EQ(after.st_mode & 07777, 0600u);
  EXPECT_EQ(after.st_uid, before.st_uid);
  EXPECT_EQ(after.st_gid, before.st_gid);
  EXPECT_FALSE(fs::is_symlink(out));
  EXPECT_EQ(slurp(out), "new");
  EXPECT_FALSE(fs::exists(fs::symlink_status(d.path / "r.html.partial")));

  // The name swapped for a link to the victim before the writer opens its path (review BI HIGH-1:
  // a racer did it in 9 of 20 runs): the writer's path names the file created, not the name, so
  // the victim keeps its bytes; the swapped name is then refused, the old output stays, the link
  // is removed.
  const fs::path name = d.path / "r.html.partial";
  EXPECT_THROW(cli::write_whole(out.string(),
                                [&](const std::string& to) {
                                  fs::remove(name);
                                  fs::create_symlink(victim, name);
                                  std::ofstream(to) << "newer";
                                  return 0;
                                }),
               Error);
  EXPECT_EQ(slurp(victim), "secret");
  ASSERT_EQ(::stat(victim.c_str(), &after), 0);
  EXPECT_EQ(after.st_mode & 07777, 0600u);
  EXPECT_EQ(after.st_uid, before.st_uid);
  EXPECT_EQ(slurp(out), "new");
  EXPECT_FALSE(fs::exists(fs::symlink_status(d.path / "r.html.partial")));
}

TEST(OutputTarget, DanglingSymlinkCreatesItsTarget) {
  TempDir d("output-target");
  fs::create_symlink("made.svg", d.path / "dangling.svg");
  write_text((d.path / "dangling.svg").string(), "<svg/>");
  EXPECT_TRUE(fs::is_symlink(d.path / "dangling.svg"));
  EXPECT_EQ(slurp(d.path / "made.svg"), "<svg/>");
}

TEST(OutputTarget, DirectoryAndLinkToOneAreRefused) {
  TempDir d("output-target");
  fs::create_directory(d.path / "dir");
  fs::create_symlink("dir", d.path / "dirlink");
  EXPECT_THROW(resolve_output_target((d.path / "dir").string()), Error);
  EXPECT_THROW(write_text((d.path / "dirlink").string(), "x"), Error);
  EXPECT_TRUE(fs::is_directory(d.path / "dir"));
  EXPECT_TRUE(fs::is_empty(d.path / "dir"));
}

// A link the kernel refuses to follow is an error, not a dangling link whose end gets written:
// EACCES here comes from a directory the (unprivileged) user may not search; with
// fs.protected_symlinks=1 root gets the same errno for another user's link in /tmp, and writing
// where the chain seems to end would replace a file the kernel itself protected.
TEST(OutputTarget, LinkTheKernelRefusesToFollowIsAnErrorNotADanglingLink) {
  TempDir d("output-target");
  fs::permissions(d.path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
  fs::create_directory(d.path / "pub");
  fs::create_directory(d.path / "priv");
  std::ofstream(d.path / "priv" / "t.html") << "private";
  fs::create_symlink("../priv/t.html", d.path / "pub" / "t.html");
  fs::permissions(d.path / "priv", fs::perms::none);
  const std::string link = (d.path / "pub" / "t.html").string();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // exit 0: refused with the errno; 1: taken as dangling; 2: another message; 3: no EACCES here
    if (::getuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    struct stat st{};
    if (::lstat(link.c_str(), &st) != 0 || ::stat(link.c_str(), &st) == 0 || errno != EACCES) ::_exit(3);
    try {
      resolve_output_target(link);
      ::_exit(1);
    } catch (const Error& e) {
      ::_exit(std::string(e.what()).find(std::strerror(EACCES)) != std::string::npos ? 0 : 2);
    }
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  fs::permissions(d.path / "priv", fs::perms::owner_all);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 3) GTEST_SKIP() << "no EACCES from stat() here (cannot drop to uid 65534?)";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: the refused link was taken as dangling; 2: the error does not give the cause";
  EXPECT_EQ(slurp(d.path / "priv" / "t.html"), "private");
}

// `-o /dev/fd/N` (and /proc/self/fd/N, a link to either: what /dev/stdout is) writes into the
// descriptor the shell opened: at its offset, so what the shell group wrote before and after stays,
// and with its O_APPEND; never a reopened, truncated file, nor a file renamed over the shell's.
TEST(OutputTarget, OwnDescriptorIsWrittenAtItsOffsetAndKeepsTheFile) {
  TempDir d("output-target");
  const fs::path file = d.path / "group.txt";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  fs::create_symlink("/proc/self/fd/" + std::to_string(fd), d.path / "stdout-like");
  const std::string names[] = {"/dev/fd/" + std::to_string(fd), "/proc/self/fd/" + std::to_string(fd),
                               (d.path / "stdout-like").string()};
  ASSERT_EQ(::write(fd, "H\n", 2), 2);
  std::string expected = "H\n";
  for (const std::string& name : names) {
    const OutputTarget t = resolve_output_target(name);
    EXPECT_EQ(t.descriptor, fd) << name;
    EXPECT_TRUE(t.stream) << name;
    write_text(name, "[" + name + "]");
    expected += "[" + name + "]";
    EXPECT_THROW(require_regular_output(name, "an SQLite database"), Error) << name;
  }
  ASSERT_EQ(::write(fd, "F\n", 2), 2);
  expected += "F\n";
  struct stat before{}, after{};
  ASSERT_EQ(::fstat(fd, &before), 0);
  ::close(fd);
  ASSERT_EQ(::stat(file.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);  // the same file, not one renamed over it
  EXPECT_EQ(slurp(file), expected);
  EXPECT_TRUE(fs::is_symlink(d.path / "stdout-like"));
  EXPECT_EQ(std::distance(fs::directory_iterator(d.path), fs::directory_iterator()), 2);  // no .partial
}

TEST(OutputTarget, OwnDescriptorOpenedForAppendIsAppendedTo) {
  TempDir d("output-target");
  const fs::path file = d.path / "log.txt";
  std::ofstream(file) << "earlier\n";
  const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  write_text("/dev/fd/" + std::to_string(fd), "appended\n");
  ::close(fd);
  EXPECT_EQ(slurp(file), "earlier\nappended\n");
}

TEST(OutputTarget, DescriptorNotOursOrNotWritableIsRefused) {
  TempDir d("output-target");
  const fs::path file = d.path / "read-only.txt";
  std::ofstream(file) << "data";
  const int fd = ::open(file.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_THROW(resolve_output_target("/dev/fd/" + std::to_string(fd)), Error);
  const int closed = ::dup(fd);
  ::close(closed);
  EXPECT_THROW(resolve_output_target("/proc/self/fd/" + std::to_string(closed)), Error);
  ::close(fd);
  // Another process's descriptor (our parent's stdout) cannot be written as ours.
  EXPECT_THROW(resolve_output_target("/proc/" + std::to_string(::getppid()) + "/fd/1"), Error);
  EXPECT_EQ(slurp(file), "data");
}

}  // namespace
}  // namespace infertrace
