#include "record/record_targets.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "ingest/recording/itrace_format.h"
#include "record/cuda_libraries.h"
#include "record/invoking_user.h"
#include "record/output_lock.h"
#include "record/process_liveness.h"
#include "util/error.h"
#include "util/inherited_descriptor.h"
#include "util/output_target.h"

namespace infertrace {

namespace {

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec);
}

// The first bytes of an existing regular file: a recording (even a stub its recorder left when it
// was killed) starts with the magic, anything else is someone's data.
bool starts_as_recording(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[sizeof itrace::kMagic] = {};
  in.read(head, sizeof head);
  return in.gcount() == static_cast<std::streamsize>(sizeof head) && std::memcmp(head, itrace::kMagic, sizeof head) == 0;
}

void check_output(const RecordOptions& o, const std::string& exe) {
  const std::string& out = o.output;
  // The recorded command inherits our stdout, so its own output would be mixed into the
  // recording, and record prints its summary there: a recording needs a file (or a device).
  if (inherited_descriptor(out))
    throw UsageError("record: -o " + out + " is one of record's open descriptors (stdout, /dev/fd/N), which the "
                     "recorded command shares and record prints its summary to; name a file for the recording");
  const OutputTarget target = resolve_output_target(out);  // throws for a directory
  if (target.stream) return;
  struct stat st{};
  if (::stat(target.path.c_str(), &st) != 0) return;  // a new file
  // Another recorder writing it, or another process holding a flock on it (a reader's shared one):
  // refused now, before the probes load (~1 s); the writer's own lock at the open
  // (record/output_lock.h) is the rule, this only says it sooner, in the same words.
  if (S_ISREG(st.st_mode) && output_locked(target.path)) throw Error(output_in_use_message(out, output_lock_holder(st)));
  if (!exe.empty() && same_file(out, exe))
    throw UsageError("record: -o " + out + " is the command's executable; name another file for the recording");
  for (const std::string& lib : o.libs)
    if (same_file(out, lib)) throw UsageError("record: -o " + out + " is the --lib " + lib + "; name another file");
  if (st.st_size > 0 && !starts_as_recording(target.path))
    throw UsageError("record: -o " + out + " exists and is not a recording (no INFTRACE header); record overwrites "
                     "only an earlier recording: remove the file or name another one");
}

// Why `path` is no file this user may open with `mode` (access(2)'s R_OK, X_OK): missing, a
// directory, or not permitted; nullptr when it is fine.
const char* unusable_file(const std::string& path, int mode) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return std::strerror(errno);
  if (S_ISDIR(st.st_mode)) return std::strerror(EISDIR);
  if (::access(path.c_str(), mode) != 0) return std::strerror(errno);
  return nullptr;
}

}  // namespace

std::string script_interpreter(const std::string& path) {
  std::ifstream script(path);
  std::string first;
  if (!std::getline(script, first) || first.rfind("#!", 0) != 0) return {};
  if (!first.empty() && first.back() == '\r') first.pop_back();  // a CRLF script
  const size_t b = first.find_first_not_of(" \t", 2);
  if (b == std::string::npos) return {};
  const size_t e = first.find_first_of(" \t", b);
  return first.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

std::string command_executable(const std::string& command) {
  const std::string exe = resolve_in_path(command);
  if (exe.empty()) throw Error("record: cannot run " + command + ": not found in PATH");
  // A path given with a '/' is taken as it stands: checked here, so that a command that cannot
  // start is an error of `record` (exit 1), not a recording of a child that exited 127.
  if (const char* why = unusable_file(exe, X_OK)) throw Error("record: cannot run " + exe + ": " + why);
  // A script whose #! interpreter is missing cannot start either: said before anything is recorded.
  if (const std::string interp = script_interpreter(exe); !interp.empty() && interp[0] == '/')
    if (const char* why = unusable_file(interp, X_OK))
      throw Error("record: cannot run " + exe + ": its interpreter " + interp + ": " + why);
  // Through sudo the command is exec'd as the invoking user: what root may run, that user may not
  // (a root-only directory; review RX L1: exit 127 after the recording had started).
  if (const InvokingUser u = invoking_user(); u.switch_user)
    if (const int e = access_as(u, exe, X_OK); e != 0)
      throw Error("record: cannot run " + exe + " as uid " + std::to_string(u.uid) + " (SUDO_UID, the user sudo was run by): " +
                  std::strerror(e));
  return exe;
}

void check_record_targets(const RecordOptions& o) {
  const std::string exe = o.command.empty() ? std::string() : command_executable(o.command[0]);
  // A zombie (exited, its parent has not reaped it yet) answers kill(pid, 0) but runs no more.
  for (int pid : o.pids)
    if (!process_running(pid)) throw Error("record: no process with pid " + std::to_string(pid) + " (or it has exited)");
  // A library named on the command line is one the user wants probed: a mistyped path used to be
  // a warning, and the run was recorded without its launches (audit EW L9).
  for (const std::string& lib : o.libs)
    if (const char* why = unusable_file(lib, R_OK)) throw Error("record: --lib " + lib + ": " + why);
  check_output(o, exe);
}

}  // namespace infertrace
