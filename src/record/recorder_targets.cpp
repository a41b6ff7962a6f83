// The recorder's targets: the CUDA libraries probed before anything runs, then either the command
// (-- CMD) forked and held before its exec until run() releases it, or the --pid processes marked
// traced with their live threads written; and the kernel's traced set, read back to tell when the
// targets are done and what the command's tree is.
#if INFERTRACE_HAVE_BPF

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "record/command_end.h"
#include "record/cuda_libraries.h"
#include "record/invoking_user.h"
#include "record/process_liveness.h"
#include "record/record_targets.h"
#include "record/recorder_session.h"
#include "record/stop_signals.h"
#include "util/error.h"

namespace infertrace::recorder_impl {

// What the command's child runs (exec_command_in_child), made before the fork.
struct CommandExec {
  std::string exe;
  InvokingUser user;
  // The command's argv (as given, argv[0] included), the same through /bin/sh for a script without
  // a #! line, and a #! line's interpreter for the message when it is missing: made before the fork.
  std::vector<char*> argv, sh_argv;
  std::string interpreter;
  // --cpus / --nice: made before the fork, applied by the child to itself alone (record's threads
  // keep their own affinity and nice value).
  cpu_set_t command_set;
  std::string command_cpus_text;
};

void Recorder::trace_tgid(uint32_t tgid, uint8_t state) {
  const int fd = bpf_map__fd(s_.skel->maps.traced);
  it_traced v{};
  v.state = state;  // leader_start 0: this entry is not tied to one incarnation of the id
  if (bpf_map_update_elem(fd, &tgid, &v, BPF_ANY) != 0)
    throw Error("record: cannot add pid " + std::to_string(tgid) + " to the traced set: " + std::strerror(errno) +
                (errno == E2BIG ? " (it holds " + std::to_string(max_processes(o_)) + " processes: --max-processes)" : ""));
}

void Recorder::start_or_attach_targets() {
  out_.meta("cuda.mode", cuda_mode_name(mode_));
  for (const auto& lib : o_.libs) attach_library(lib, true);
  for (const auto& lib : standard_cuda_libraries()) attach_library(lib, false);
  if (!o_.command.empty())
    start_command();
  else
    attach_pids();
}

void Recorder::start_command() {
  CommandExec c;
  // Checked before the output was opened too (check_record_targets); again here, for what changed since.
  c.exe = command_executable(o_.command[0]);
  const std::string& exe = c.exe;
  // The executable itself (static cudart) and its dynamic dependencies, before it starts, so
  // launches from its first instruction on are seen.
  attach_library(exe, false);
  for (auto& dep : elf_dependencies(exe))
    if (looks_like_cuda_library(dep) || std::find(o_.libs.begin(), o_.libs.end(), dep) != o_.libs.end())
      attach_library(dep, false);
  if (mode_ == CudaMode::Cupti) create_cupti_ring();
  c.user = invoking_user();  // looked up before fork: NSS is not fork-safe
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) throw Error(std::string("record: pipe: ") + std::strerror(errno));
  c.sh_argv = {const_cast<char*>("sh"), const_cast<char*>(exe.c_str())};
  for (auto& a : o_.command) c.argv.push_back(const_cast<char*>(a.c_str()));
  for (size_t i = 1; i < o_.command.size(); ++i) c.sh_argv.push_back(const_cast<char*>(o_.command[i].c_str()));
  c.argv.push_back(nullptr);
  c.sh_argv.push_back(nullptr);
  c.interpreter = script_interpreter(exe);
  CPU_ZERO(&c.command_set);
  for (int cpu : o_.command_cpus) {
    CPU_SET(cpu, &c.command_set);
    c.command_cpus_text += (c.command_cpus_text.empty() ? "" : ",") + std::to_string(cpu);
  }
  if (!o_.command_cpus.empty()) out_.meta("traced.command_cpus", c.command_cpus_text);
  if (o_.command_nice != 0) out_.meta("traced.command_nice_added", std::to_string(o_.command_nice));
  // The child gets the signal dispositions and mask record started with before anything can reach
  // it (stop_signals.h): a stop signal sent meanwhile stays pending for it, never runs record's handler.
  StopSignals::block_for_fork();
  child_ = ::fork();
  const int fork_errno = errno;
  // Only a started command shares record's process group and is record's to end: its processes'
  // stop signals (its `kill 0`) are its own, told apart as each arrives (with --pid a stop signal
  // from a traced process is a stop: a script's `record --pid $$ & ... kill $!`, review RX2 M1).
  if (child_ > 0)
    StopSignals::set_tree(child_, bpf_map__fd(s_.skel->maps.traced), bpf_map__value_size(s_.skel->maps.traced));
  if (child_ != 0) StopSignals::unblock_after_fork();
  if (child_ < 0) throw Error(std::string("record: fork: ") + std::strerror(fork_errno));
  if (child_ == 0) {
    StopSignals::restore_in_child();
    ::close(pipefd[1]);
    exec_command_in_child(c, pipefd[0]);
  }
  ::close(pipefd[0]);
  release_fd_ = pipefd[1];
  // Traced from before its exec, but its syscalls only from the exec on: until then it runs the
  // recorder's own code (reading the release byte, dropping privileges).
  trace_tgid(static_cast<uint32_t>(child_), IT_TRACED_BEFORE_EXEC);
  out_.meta("traced.command", o_.command[0]);
  out_.meta("traced.pid", std::to_string(child_));
}

// In the forked child: waits for the release byte, applies --cpus and --nice, becomes the invoking
// user, and runs the command; never returns.
void Recorder::exec_command_in_child(const CommandExec& c, int release_read_fd) {
  char byte;
  // Wait until the parent has put this process in the traced set.
  if (::read(release_read_fd, &byte, 1) != 1) ::_exit(127);
  // Before dropping privileges (lowering the nice value may need root's CAP_SYS_NICE). As
  // `taskset -c` and `nice -n` would, but on the command itself, which record then probed.
  if (!o_.command_cpus.empty() && ::sched_setaffinity(0, sizeof(c.command_set), &c.command_set) != 0) {
    std::fprintf(stderr, "infertrace: error: cannot pin the command to CPUs %s (--cpus): %s\n",
                 c.command_cpus_text.c_str(), std::strerror(errno));
    ::_exit(126);
  }
  if (o_.command_nice != 0) {
    errno = 0;
    const int now = ::getpriority(PRIO_PROCESS, 0);
    if ((now == -1 && errno != 0) || ::setpriority(PRIO_PROCESS, 0, now + o_.command_nice) != 0) {
      std::fprintf(stderr, "infertrace: error: cannot add %d to the command's nice value (--nice): %s%s\n",
                   o_.command_nice, std::strerror(errno),
                   errno == EACCES || errno == EPERM ? " (lowering it needs CAP_SYS_NICE or RLIMIT_NICE)" : "");
      ::_exit(126);
    }
  }
  // Run as the invoking user when started through sudo: that user's uid, gid and supplementary
  // groups (access to /dev/nvidia* or /dev/dri often comes from a group such as video or
  // render), and the HOME, USER and LOGNAME that go with them.
  if (c.user.switch_user) {
    if (!become(c.user)) ::_exit(126);
    if (!c.user.name.empty()) {
      ::setenv("HOME", c.user.home.c_str(), 1);
      ::setenv("USER", c.user.name.c_str(), 1);
      ::setenv("LOGNAME", c.user.name.c_str(), 1);
    }
  }
  if (mode_ == CudaMode::Cupti) {
    ::setenv("CUDA_INJECTION64_PATH", cupti_lib_.c_str(), 1);
    ::setenv("INFERTRACE_CUPTI_RING", s_.cupti_ring_path.c_str(), 1);
  }
  // The file checked and probed above is the one run (execvp would search PATH again, with
  // glibc's own default when PATH is unset: another file, review RX L2); a file the kernel cannot
  // execute by itself goes to /bin/sh, as execvp does.
  ::execv(c.exe.c_str(), c.argv.data());
  const int exec_errno = errno;
  if (exec_errno == ENOEXEC) ::execv("/bin/sh", c.sh_argv.data());
  if (exec_errno == ENOENT && !c.interpreter.empty())
    std::fprintf(stderr, "infertrace: error: cannot run %s: its interpreter %s was not found\n", c.exe.c_str(),
                 c.interpreter.c_str());
  else
    std::fprintf(stderr, "infertrace: error: cannot run %s: %s\n", c.exe.c_str(), std::strerror(exec_errno));
  ::_exit(127);
}

void Recorder::attach_pids() {
  // Every process is checked and its CUDA libraries probed before any is marked traced: its
  // launches then count from the moment it is (review RP M2: the second --pid was traced 64 ms
  // after the first, behind the first's library probes, and a process's own launches between its
  // mark and its probes were lost while the wall time counted them). Probes fire only for traced
  // processes, so probing first records nothing early.
  for (int pid : o_.pids) {
    const unsigned long long start = process_start_ticks(pid);
    if (!process_running(pid, start)) throw Error("record: no process with pid " + std::to_string(pid) + " (it has exited)");
    pid_start_ticks_[pid] = start;
    for (auto& p : mapped_cuda_candidates(pid))
      if (looked_at_.insert(p).second) attach_library(p, false);
  }
  std::string traced_pids;  // META traced.pid: one key, every process (the reader keeps one value a key)
  for (int pid : o_.pids) {
    if (!process_running(pid, pid_start_ticks_[pid]))
      throw Error("record: no process with pid " + std::to_string(pid) + " (it exited while record attached)");
    // The process's events are recorded from this moment on: its live threads are stamped with it.
    // (They were stamped with the start of the recorder, before the BPF programs were loaded and
    // attached: analyze's wall time then began ~70 ms before anything could be recorded, 7% of a
    // --duration 1 recording, and every share of wall time was that much too small.) Read just
    // before trace_tgid(): an event can follow the moment the process is marked traced, so a stamp
    // read after it could fall later than the first events of its threads.
    const auto traced_from = static_cast<uint64_t>(monotonic_ns());
    if (first_traced_ns_ == 0) first_traced_ns_ = static_cast<int64_t>(traced_from);
    trace_tgid(static_cast<uint32_t>(pid), IT_TRACED);
    traced_pids += (traced_pids.empty() ? "" : ",") + std::to_string(pid);
    write_existing_threads(pid, traced_from);
  }
  out_.meta("traced.pid", traced_pids);
}

// Threads alive now: the kernel reports only threads created from here on. Each one's state
// is read here, after the stamp and after the process entered the traced set (the switch
// probes were attached before): every switch from the mark on, microseconds after the stamp, is
// recorded, so the walk can tell a thread that blocked or woke between the stamp and this read
// by its first switch (a switch-in first: off the CPU at the stamp; a switch-out first: on it;
// offcpu_walk.h). Read before the stamp instead, a thread that woke in between would have no
// such witness. A thread that blocked between the stamp and the mark is counted off the CPU
// from the stamp: up to that gap (a map update) too early.
void Recorder::write_existing_threads(int pid, uint64_t traced_from) {
  const std::string dir = "/proc/" + std::to_string(pid);
  std::error_code ec;
  for (auto& t : std::filesystem::directory_iterator(dir + "/task", ec)) {
    it_task_state s{};
    it_task& e = s.t;
    e.h.type = IT_EV_TASK;
    e.h.ts = traced_from;
    e.h.pid = static_cast<uint32_t>(pid);
    e.h.tid = static_cast<uint32_t>(std::stoul(t.path().filename().string()));
    e.kind = IT_TASK_EXISTING;
    std::ifstream cf(t.path() / "comm");
    std::string comm;
    std::getline(cf, comm);
    std::strncpy(e.comm, comm.c_str(), IT_COMM_LEN - 1);
    s.state = static_cast<uint8_t>(thread_state(pid, static_cast<pid_t>(e.h.tid)));
    out_.record(IT_EV_TASK, &s, sizeof(s));
    counts_[IT_EV_TASK]++;
    // The summary's launches per thread name it too (review RP L3: only threads the kernel
    // reported, those created or ended while recording, had a name there).
    note_task(e.h.ts, e.h.pid, e.h.tid, comm.substr(0, IT_COMM_LEN - 1), false);
  }
}

bool Recorder::command_done() {
  if (child_ <= 0) {
    // --pid mode: done when every traced process is gone: the named ones and what they started
    // since (the kernel's traced set; review RP H2: a child making launches was cut off when its
    // parent exited). A zombie (exited, not yet reaped) is gone, and a named pid that another
    // process has taken since is too (review RP H1: kill(pid, 0) held a recording open for as long
    // as the target's parent did not reap it).
    if (o_.pids.empty()) return false;
    for (int pid : o_.pids)
      if (process_running(pid, pid_start_ticks_[pid])) return false;
    for (pid_t pid : traced_tgids())
      if (process_running(pid)) return false;
    return true;
  }
  int status;
  const pid_t r = ::waitpid(child_, &status, WNOHANG);
  if (r == child_) {
    sum_.command_exit_status = shell_status(status);
    sum_.command_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    drain();  // (the exit records of its threads, written before it could be reaped: command_end_ns())
    const int64_t end = command_end_ns();
    sum_.command_wall_ns = (end > command_start_ns_ ? end : monotonic_ns()) - command_start_ns_;
    // What the command left running (a launcher's background job, a daemon): not recorded from here
    // on, said in the summary and META (review SG L5).
    for (pid_t pid : traced_tgids())
      if (pid != child_ && pid != ::getpid() && process_running(pid)) sum_.left_running.push_back(pid);
    std::sort(sum_.left_running.begin(), sum_.left_running.end());
    child_ = -1;
    return true;
  }
  return false;
}

std::vector<pid_t> Recorder::traced_processes() {
  if (o_.command.empty()) return {};  // --pid: those processes are not record's to end
  return traced_tgids();
}

// The process ids in the kernel's traced set now.
std::vector<pid_t> Recorder::traced_tgids() {
  std::vector<pid_t> out;
  const int fd = bpf_map__fd(s_.skel->maps.traced);
  uint32_t key = 0, next;
  uint32_t* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    out.push_back(static_cast<pid_t>(next));
    key = next;
    prev = &key;
  }
  return out;
}

}  // namespace infertrace::recorder_impl

#endif  // INFERTRACE_HAVE_BPF
