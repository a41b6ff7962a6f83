#include "cli/output_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "util/inherited_descriptor.h"

namespace infertrace::cli {

void check_output_file(const std::string& out, const std::vector<std::string>& inputs, const std::string& what,
                       const std::string& dir_made, const std::string& label) {
  // Throws for a directory or a socket, before anything is read.
  const OutputTarget t = resolve_output_target(out);
  refuse_input_as_output(out, inputs, what, label);
  if (t.stream) return;  // a device, FIFO or descriptor is written in place
  // A regular file is written beside itself and renamed into place: its directory must exist and
  // take new files. Checked here, not found out by the write after the whole run (review EB M2).
  std::string dir = std::filesystem::path(t.path).parent_path().string();
  if (dir.empty()) dir = ".";
  struct stat d{};
  if (::stat(dir.c_str(), &d) != 0 && errno == ENOENT && !dir_made.empty()) {
    if (made_along_with(dir, dir_made)) return;  // the directory the verb makes first (export's --csv DIR)
    errno = ENOENT;
  }
  if (::stat(dir.c_str(), &d) != 0)
    throw Error(out + ": cannot write there: directory " + dir + ": " + std::strerror(errno));
  if (!S_ISDIR(d.st_mode)) throw Error(out + ": cannot write there: " + dir + " is not a directory");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw Error(out + ": cannot write there: directory " + dir + ": " + std::strerror(errno));
}

bool made_along_with(const std::string& dir, const std::string& made) {
  std::error_code ec_made, ec_dir;
  const auto m = std::filesystem::weakly_canonical(std::filesystem::absolute(made, ec_made), ec_made);
  const auto d = std::filesystem::weakly_canonical(std::filesystem::absolute(dir, ec_dir), ec_dir);
  if (ec_made || ec_dir) return false;
  const auto bare = [](std::filesystem::path p) { return p.has_filename() ? p : p.parent_path(); };  // "d/" is d
  const auto rel = bare(m).lexically_relative(bare(d));  // "." for the same directory, "tables" for a parent
  return !rel.empty() && *rel.begin() != "..";
}

void refuse_input_as_output(const std::string& out, const std::vector<std::string>& inputs, const std::string& what,
                            const std::string& label) {
  // An output named as one of our descriptors is written into that descriptor, so the file it is
  // open on is what would be lost. By name it may look elsewhere: once an output took our stdout
  // aside (stdout_for_output), /dev/stdout names stderr (review S43 M1: `--chrome - t.json 1<>t.json`
  // and `>> t.json` wrote over the trace).
  struct stat o{};
  const std::optional<int> fd = inherited_descriptor(out);
  const int got = fd ? ::fstat(*fd == STDOUT_FILENO ? users_stdout() : *fd, &o) : ::stat(out.c_str(), &o);
  if (got != 0 || !S_ISREG(o.st_mode)) return;  // not there (yet), or no file to lose
  for (const std::string& in : inputs) {
    struct stat i{};
    if (::stat(in.c_str(), &i) != 0 || i.st_dev != o.st_dev || i.st_ino != o.st_ino) continue;
    const std::string shown = label.empty() ? out : label;
    // Our stdout by name (`-`, /dev/stdout): the user's redirection put the input there, not the name
    // (review S44 L4: "/dev/stdout: is the input trace" for `--chrome - t.json 1<>t.json`).
    if (fd == STDOUT_FILENO)
      throw Error(shown + ": the standard output is " + what + " (" + in + "), which the output would overwrite; "
                  "send stdout elsewhere, or name another file");
    throw Error(shown + ": is " + what + (in == out ? "" : " (" + in + ")") + "; name another file");
  }
}

std::string dash_as_stdout(const std::string& out) { return out == "-" ? "/dev/stdout" : out; }

void refuse_dash(const std::string& out, const std::string& option, const std::string& what) {
  if (out == "-")
    throw UsageError(option + " -: " + what + " cannot be written to standard output; name a file or directory "
                     "(./- for one called -)");
}

namespace {

// Whether `out` is written in place into the open file our stderr writes to: another of our
// descriptors on it (`--plot /dev/fd/3 3>&2`) or stderr's FIFO by name (review BT L5: only names
// of fd 2 itself were refused). A file renamed into place never is; a character device is not
// counted: /dev/null takes anything, and a terminal shows both streams anyway (as `--plot
// /dev/stdout` on one does). Nor is any descriptor on it when the user gave us one file as stdout
// and stderr (`>f 2>&1`, `2>&1 | tee`; fd 2 itself is refused before): they merged the two
// streams, and the verb's own stdout lines (its `--json`) mix there as well. Stdout as the user
// opened it, not fd 1: an output named as our stdout (this one, resolved just above, or an earlier
// one) has pointed fd 1 at stderr already (stdout_for_output), which made every stdout look joined
// (review BX L5).
bool shares_our_stderr(const std::string& out) {
  const OutputTarget t = resolve_output_target(out);
  struct stat err{}, node{}, std_out{};
  if (!t.stream || ::fstat(STDERR_FILENO, &err) != 0 || S_ISCHR(err.st_mode)) return false;
  if (::fstat(users_stdout(), &std_out) == 0 && std_out.st_dev == err.st_dev && std_out.st_ino == err.st_ino)
    return false;
  const int got = t.descriptor >= 0 ? ::fstat(t.descriptor, &node) : ::stat(t.path.c_str(), &node);
  return got == 0 && node.st_dev == err.st_dev && node.st_ino == err.st_ino;
}

}  // namespace

void refuse_our_stderr(const std::string& out, const std::string& option, const std::string& verb) {
  const std::string why = verb + " writes its progress, notes and errors to stderr, which would be mixed into the output";
  if (inherited_descriptor(out) == 2)
    throw UsageError(option + " " + out + ": " + why + "; name a file, or /dev/stdout (" + verb +
                     "'s own stdout lines then go to stderr)");
  if (shares_our_stderr(out))
    throw UsageError(option + " " + out + ": is the file stderr goes to as well; " + why +
                     "; send stderr elsewhere, or name a file");
}

}  // namespace infertrace::cli
