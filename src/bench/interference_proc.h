// Child processes for the interference experiment: each runs in its own process group so a load
// (stress-ng and its workers, fio jobs) is stopped as a whole, and an interrupted experiment (Ctrl-C,
// SIGTERM) still stops every load it started.
#pragma once

#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

namespace infertrace::bench {

// Installs SIGINT/SIGTERM/SIGHUP handlers (without SA_RESTART) that only set a flag, so waits return
// and the runner cleans up through its normal path.
void install_interrupt_handlers();
bool interrupted();
// The signal that interrupted the experiment (the last one), 0 when none did.
int interrupt_signal();

// True when `tool` is an executable on PATH (or an executable path).
bool have_tool(const std::string& tool);

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ChildProcess(ChildProcess&& o) noexcept;
  ChildProcess& operator=(ChildProcess&& o) noexcept;
  ~ChildProcess();  // stops the group if still running

  // Starts argv[0] (PATH lookup) in a new process group. With capture, stdout and stderr go to a
  // pipe read by wait_capture(); else stdout/stderr go to /dev/null (loads are noisy). With
  // `cgroup_procs`, the child joins that cgroup (writes its pid to the file) before exec, so every
  // process it forks is confined from the start. Without capture, `stderr_file` (when given) takes
  // the child's stderr instead of /dev/null (truncated first). The child gets SIGTERM when this
  // process dies (PR_SET_PDEATHSIG: a SIGKILLed bench left its loads running, review BX M2); the
  // calling thread must live as long as the child should.
  static ChildProcess start(const std::vector<std::string>& argv, bool capture, const std::string& cgroup_procs = "",
                            const std::string& stderr_file = "");

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  // Reads all output to its end; returns the child's exit status (128+signal when killed) or -1
  // when interrupted (the child group is then stopped). `exited_at`, when given, is set to when the
  // child itself was seen to exit (within 50 ms), which may be long before the output's end: a
  // background process it started can hold the pipe open.
  int wait_capture(std::string& output, std::chrono::steady_clock::time_point* exited_at = nullptr);
  // SIGTERM to the group, up to `grace_ms` for it to exit, then SIGKILL; reaps the child. Children
  // that left the group (fio's job workers make their own) are found by parent pid and killed too.
  void stop(int grace_ms = 2000);
  // Whether the child already ended by itself (reaped; `status` its exit code, 128+signal).
  bool exited_early(int& status);

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
};

}  // namespace infertrace::bench
