#include "bench/interference.h"

#include <chrono>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <algorithm>
#include <memory>
#include <regex>
#include <sstream>
#include <thread>
#include <sched.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "bench/interference_loads.h"
#include "bench/interference_proc.h"
#include "bench/listen_wait.h"
#include "engine/runtime/thread_pool.h"
#include "util/cpu_list.h"
#include "util/error.h"
#include "util/finite_number.h"

namespace infertrace::bench {

namespace fs = std::filesystem;

// The isolated scenario's cpuset cgroup: PREFIX + PID + "-" + scenario (remove_stale_cgroups).
const std::string cgroup_prefix = "infertrace-noise-";

std::regex compile_metric_regex(const std::string& text) {
  std::regex re;
  try {
    re = std::regex(text, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw UsageError("--metric-regex: " + std::string(e.what()));
  }
  if (re.mark_count() == 0)
    throw UsageError("--metric-regex " + text + ": needs a capture group around the number (the metric is group 1), "
                     "e.g. 'tokens/s: ([0-9.]+)'");
  return re;
}

size_t metric_line_limit() {
  constexpr size_t kMax = 2048, kStackPerChar = 4096;
  rlimit rl{};
  if (getrlimit(RLIMIT_STACK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return kMax;
  return std::clamp<size_t>(static_cast<size_t>(rl.rlim_cur) / kStackPerChar, 16, kMax);
}

MetricScan extract_metric(const std::string& out, const std::regex& re, size_t max_line) {
  MetricScan scan;
  size_t end = out.size();
  while (true) {
    // The line [begin, end): after the previous '\n' or '\r' before `end`.
    const size_t nl = end == 0 ? std::string::npos : out.find_last_of("\r\n", end - 1);
    const size_t begin = nl == std::string::npos ? 0 : nl + 1;
    if (end - begin > max_line) {
      ++scan.long_lines_skipped;
    } else if (end > begin) {
      std::optional<double> v;
      const auto first = out.begin() + static_cast<std::ptrdiff_t>(begin), last = out.begin() + static_cast<std::ptrdiff_t>(end);
      for (auto it = std::sregex_iterator(first, last, re); it != std::sregex_iterator(); ++it) {
        scan.matched = true;
        // The whole group, finite: "12abc" or "inf" is no measurement (std::stod took both).
        if (const std::optional<double> number = parse_finite_number((*it)[1].str())) v = number;
      }
      if (v) {
        scan.value = v;
        break;
      }
    }
    if (nl == std::string::npos) break;
    end = nl;
  }
  return scan;
}

std::vector<std::string> known_scenarios() { return {"baseline", "cpu", "net", "disk", "heavy", "pinned", "isolated"}; }

namespace {

// How long a server load (iperf3 -s) may take to listen before the run is given up. Generous: it
// costs nothing when the server listens, and with the bench at nice 19 beside `stress-ng --cpu 8`
// on 2 busy CPUs the server once took over 10 s (review BT57 M1's repro, 1 run of 8 lost at 10 s).
constexpr double kServerListenTimeoutS = 30.0;

// "0.31", "10.0": seconds for the messages.
std::string format_seconds(double s) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(s < 10 ? 2 : 1);
  os << s;
  return os.str();
}

// Sleeps in small steps so an interrupt is noticed quickly.
void settle(double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!interrupted() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

// A TCP port nothing listens on now, from the kernel (bind to port 0): a fixed or pid-derived port
// can be taken, and iperf3 then fails to listen while its client talks to whoever has it.
int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 20000 + getpid() % 20000;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 20000 + getpid() % 20000;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

// Scratch directories of earlier runs that were killed (SIGKILL leaves fio's files behind, often
// hundreds of MB): named noise-scratch-PID, removed when that PID is no longer running.
void remove_stale_scratch(const std::string& out_dir, std::ostream& log) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(out_dir, ec)) {
    const std::string name = e.path().filename().string();
    const std::string prefix = "noise-scratch-";
    if (name.rfind(prefix, 0) != 0 || !e.is_directory(ec)) continue;
    const std::string pid = name.substr(prefix.size());
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (fs::exists("/proc/" + pid, ec)) continue;  // that run is still going
    fs::remove_all(e.path(), ec);
    if (!ec) log << "bench interference: removed " << e.path().string() << " (left by a killed run)\n";
  }
}

std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
  if (cpus.empty())
    for (long c = 0; c < std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)); ++c) cpus.push_back(static_cast<int>(c));
  return cpus;
}

std::string tail_of(const std::string& s, size_t n) { return s.size() <= n ? s : "..." + s.substr(s.size() - n); }

// "; its stderr: ..." with the end of what a load wrote to its stderr file (line ends as " | "), ""
// when it wrote nothing: "ended (status 1)" alone did not say why (review BX L4: stress-ng's "cwd
// not writable" went to /dev/null).
std::string said_on_stderr(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  if (text.empty()) return "";
  text = tail_of(text, 300);
  std::string out;
  for (char c : text) {
    if (c == '\n') out += " | ";
    else if (c != '\r') out += c;
  }
  return "; its stderr: " + out;
}

}  // namespace

std::vector<ScenarioResult> run_interference(const InterferenceOptions& o, std::ostream& log) {
  if (o.command.empty()) throw UsageError("bench interference: no command to run");
  if (o.repetitions < 1) throw UsageError("-r must be at least 1");
  std::optional<std::regex> re;
  if (!o.metric_regex.empty()) re = compile_metric_regex(o.metric_regex);
  // The CPUs this process may run on (its affinity mask: `taskset -c 0 infertrace ...` means CPU 0):
  // the default PIN is the last of them, and the isolated load gets the others (review BI L1: the
  // last online CPU, outside the user's mask). A --pin-cpus CPU outside the cgroup's cpuset fails
  // every pinned run, so it is a usage error (parse_pinning_cpus, as bench threads --cpus).
  const std::vector<int> allowed = allowed_cpus();
  const std::vector<int> pin =
      o.pin_cpus.empty() ? std::vector<int>{allowed.back()} : engine::parse_pinning_cpus(o.pin_cpus, "--pin-cpus");
  std::vector<int> others;
  for (int c : allowed)
    if (std::find(pin.begin(), pin.end(), c) == pin.end()) others.push_back(c);

  {
    // The error_code form: the throwing one says "filesystem error: cannot create directories: Not
    // a directory [afile]", naming neither the option nor what is in the way.
    std::error_code ec;
    fs::create_directories(o.out_dir, ec);
    if (ec || !fs::is_directory(o.out_dir))
      throw Error("--out-dir " + o.out_dir + ": cannot create the directory (" +
                       (ec ? ec.message() : std::string("a file of that name exists")) + ")");
  }
  remove_stale_scratch(o.out_dir, log);
  if (geteuid() == 0) remove_stale_cgroups(cgroup_prefix, log);
  const fs::path scratch = fs::path(o.out_dir) / ("noise-scratch-" + std::to_string(getpid()));
  // The loads' scratch directory, made before each run (the disk load's files are removed between
  // them): tried once here, so an --out-dir this user cannot write to is one message in the
  // project's words before any run, not the throwing form's "filesystem error: cannot create
  // directories: Permission denied [DIR/noise-scratch-PID]" (review CA L3).
  const auto make_scratch = [&] {
    std::error_code ec;
    fs::create_directories(scratch, ec);
    if (ec) throw Error("--out-dir " + o.out_dir + ": cannot write there (creating " + scratch.string() + ": " + ec.message() + ")");
  };
  make_scratch();
  {
    std::error_code ec;
    fs::remove(scratch, ec);  // (made again before each run)
  }
  PlanContext ctx;
  ctx.load_seconds = o.load_limit_s;
  ctx.scratch_dir = scratch.string();
  ctx.iperf_port = free_loopback_port();
  ctx.pin_cpus = format_cpu_list(pin);
  ctx.other_cpus = format_cpu_list(others);
  ctx.pin_covers_all = others.empty();
  if (std::any_of(o.scenarios.begin(), o.scenarios.end(), [](const std::string& n) { return n == "disk" || n == "heavy"; }))
    ctx.scratch_fs_in_ram = ram_backed_fs(o.out_dir);
  std::string why;
  ctx.have_cpuset_cgroup = cpuset_cgroup_available(why);
  // Tried before the first run, not guessed from the user id: root without CAP_SYS_NICE may not,
  // a user with RLIMIT_NICE may (review BX H1).
  if (std::find(o.scenarios.begin(), o.scenarios.end(), "pinned") != o.scenarios.end())
    ctx.can_lower_nice = can_lower_nice(10, ctx.nice_why);

  const size_t max_line = metric_line_limit();
  bool told_long_lines = false;  // the long lines --metric-regex left out are said once per experiment

  install_interrupt_handlers();
  // Plans (and the cpuset cgroup of a confined load) first; a scenario that cannot run is reported
  // once, up front.
  std::vector<ScenarioResult> results;
  std::vector<ScenarioPlan> plans;
  std::vector<std::unique_ptr<CpusetCgroup>> cgroups;  // removed on return, every path
  for (const std::string& name : o.scenarios) {
    plans.push_back(plan_scenario(name, ctx));
    const ScenarioPlan& plan = plans.back();
    ScenarioResult sr;
    sr.name = name, sr.description = plan.description, sr.skip_reason = plan.skip_reason;
    sr.nice_applied = plan.nice_applied;
    sr.warnings = plan.warnings;
    if (sr.skip_reason.empty() && plan.nice_applied == false)
      log << "bench interference: " << name << ": cannot lower the nice value by 10 (" << ctx.nice_why
          << "): the command runs "
          // Pinned to every CPU it may use is not pinned (the scenario's own warning says so too).
          << (ctx.pin_covers_all ? "on CPUs " + ctx.pin_cpus + " (every CPU it may use: not pinned)"
                                 : "pinned to CPUs " + ctx.pin_cpus)
          << " at this process's own nice, without `nice -n -10`, and the results say so (nice_applied false); "
             "run as root, or with CAP_SYS_NICE or a higher RLIMIT_NICE, for the priority part\n";
    cgroups.emplace_back();
    if (sr.skip_reason.empty() && plan.confine_loads) {
      cgroups.back() = std::make_unique<CpusetCgroup>(cgroup_prefix + std::to_string(getpid()) + "-" + name,
                                                      ctx.other_cpus);
      if (!cgroups.back()->ok()) sr.skip_reason = cgroups.back()->why();
    }
    if (!sr.skip_reason.empty()) log << "bench interference: skipping " << name << ": " << sr.skip_reason << "\n";
    else
      for (const std::string& w : sr.warnings) log << "bench interference: warning: " << name << ": " << w << "\n";
    results.push_back(sr);
  }

  // Repetitions interleaved (baseline 1, cpu 1, ..., baseline 2, cpu 2, ...), not one scenario's
  // runs in a block: a slow stretch of a shared machine (another job, a VM neighbour) then lands on
  // runs of every scenario alike instead of making one scenario look better or worse than it is.
  for (int rep = 0; rep < o.repetitions && !interrupted(); ++rep) {
    for (size_t si = 0; si < plans.size() && !interrupted(); ++si) {
      ScenarioResult& sr = results[si];
      const ScenarioPlan& plan = plans[si];
      const std::string& name = sr.name;
      if (!sr.skip_reason.empty()) continue;
      const CpusetCgroup* cg = cgroups[si].get();
      make_scratch();
      const auto loads_started = std::chrono::steady_clock::now();
      std::vector<ChildProcess> loads;  // stopped (whole groups) when this scope ends, on every path
      std::vector<std::string> load_err;  // each load's stderr, for the message when it fails
      std::string load_failed;
      for (const LoadCommand& l : plan.loads) {
        load_err.push_back((scratch / ("load-" + std::to_string(load_err.size() + 1) + ".stderr")).string());
        loads.push_back(ChildProcess::start(l.argv, false, cg ? cg->procs_file() : "", load_err.back()));
        if (l.listen_port) {
          // A server: its client starts once it listens, not after a fixed wait (review BT57 M1).
          int status = 0;
          bool exited = false;
          double waited = 0;
          const ListenOutcome lo = wait_until_listening(
              l.listen_port, kServerListenTimeoutS, [&] { return interrupted() || (exited = loads.back().exited_early(status)); },
              waited);
          const std::string server = "the load `" + l.argv[0] + "` (a server on 127.0.0.1:" + std::to_string(l.listen_port) + ") ";
          if (lo == ListenOutcome::timed_out)
            load_failed = server + "was not listening after " + format_seconds(waited) +
                          " s, so its client was not started: no neighbour to measure against" + said_on_stderr(load_err.back());
          else if (exited)
            load_failed = server + "exited (status " + std::to_string(status) + ") before it listened, so its client was not " +
                          "started: no neighbour to measure against" + said_on_stderr(load_err.back());
          if (!load_failed.empty() || interrupted()) break;
        }
      }
      if (!plan.loads.empty() && load_failed.empty()) settle(o.warmup_s);
      // Interrupted while the loads started: no run to measure (it used to start CMD anyway and
      // count a run made after the signal).
      if (interrupted()) break;
      // A load that already ended failed (a port taken, a full disk): the run would measure no
      // neighbour, so it is not counted.
      for (size_t k = 0; k < loads.size() && load_failed.empty(); ++k) {
        int status = 0;
        if (loads[k].exited_early(status))
          load_failed = "the load `" + plan.loads[k].argv[0] + "` ended (status " + std::to_string(status) +
                        ") before the command started: no neighbour to measure against" + said_on_stderr(load_err[k]);
      }
      if (!load_failed.empty()) {
        RunResult rr;
        rr.exit_code = -1;
        rr.error = load_failed;
        log << "bench interference: " << name << " run " << (rep + 1) << ": " << rr.error << "\n";
        for (ChildProcess& l : loads) l.stop();
        sr.runs.push_back(rr);
        continue;
      }

      RunResult rr;
      std::vector<std::string> argv;
      if (o.record) {
        rr.recording = (fs::path(o.out_dir) / (name + "-" + std::to_string(rep + 1) + ".itrace")).string();
        // record's summary (numbers: "command ran: 0.203 s", "recorded ... (0.0 MB)") goes to a file
        // of its own: printed on the stderr the command shares, it came last in the capture, so
        // --metric-regex's last match could be record's number (review BI M3).
        argv = {o.self_exe, "record", "-o", rr.recording, "--summary-file", rr.recording + ".summary.txt"};
        // CMD's CPUs and nice value set by record in the child it starts: behind a `taskset`/`nice`
        // prefix record probed those and missed CMD's own CUDA code (review TI H1).
        if (!plan.cmd_cpus.empty()) argv.insert(argv.end(), {"--cpus", plan.cmd_cpus});
        if (plan.cmd_nice != 0) argv.insert(argv.end(), {"--nice", std::to_string(plan.cmd_nice)});
        argv.push_back("--");
      } else {
        argv.insert(argv.end(), plan.cmd_prefix.begin(), plan.cmd_prefix.end());
      }
      argv.insert(argv.end(), o.command.begin(), o.command.end());
      log << "bench interference: " << name << " run " << (rep + 1) << "/" << o.repetitions << "\n" << std::flush;
      const auto t0 = std::chrono::steady_clock::now();
      ChildProcess cmd = ChildProcess::start(argv, true);
      std::string out;
      auto exited_at = std::chrono::steady_clock::now();
      rr.exit_code = cmd.wait_capture(out, &exited_at);
      if (rr.exit_code < 0) exited_at = std::chrono::steady_clock::now();  // interrupted: until then
      // Until the command exited, not until its output's end (a background child can hold the pipe).
      rr.wall_s = std::chrono::duration<double>(exited_at - t0).count();
      // A load that ended while CMD ran (its --load-limit reached, a crash) left CMD without its
      // neighbour for part of the run: measured, that run passed for one made beside the load
      // (review BI M2: "11.1% slower" where the hog present throughout gives 62-66%).
      std::string load_ended;
      for (size_t k = 0; k < loads.size() && load_ended.empty() && rr.exit_code >= 0; ++k) {
        int status = 0;
        if (loads[k].exited_early(status)) {
          // --load-limit named only when the load ran that long: a load that failed early (an
          // iperf3 client refused) was said to have met the limit (review BT57 M1).
          const double ran = std::chrono::duration<double>(std::chrono::steady_clock::now() - loads_started).count();
          load_ended = "the load `" + plan.loads[k].argv[0] + "` ended (status " + std::to_string(status) +
                       ") while the command ran: no neighbour for part of the run, so it is not counted" +
                       (ran + 1 >= o.load_limit_s ? " (it had run as long as its --load-limit of " + std::to_string(o.load_limit_s) + " s)"
                                                  : " (the loads had run " + format_seconds(ran) + " s, short of the --load-limit of " +
                                                        std::to_string(o.load_limit_s) + " s: it failed)") +
                       said_on_stderr(load_err[k]);
        }
      }
      // The scratch directory (fio's 4 x 64 MiB files) stays until the experiment ends: removed and
      // laid out again for every disk/heavy run, fio's sequential layout ran beside CMD instead of the
      // random writes (with a short --warmup), and the deletes stalled the bench for tens of seconds
      // on a discard-mounted disk (review BI L5).
      for (ChildProcess& l : loads) l.stop();
      if (rr.exit_code < 0) {
        rr.error = "interrupted";
      } else if (rr.exit_code != 0) {
        rr.error = "exited with status " + std::to_string(rr.exit_code) + ": " + tail_of(out, 400);
      } else if (re) {
        const MetricScan scan = extract_metric(out, *re, max_line);
        rr.metric = scan.value;
        if (scan.long_lines_skipped > 0 && !told_long_lines) {
          told_long_lines = true;
          log << "bench interference: " << name << " run " << (rep + 1) << ": --metric-regex left out "
              << scan.long_lines_skipped << " output line" << (scan.long_lines_skipped == 1 ? "" : "s") << " longer than "
              << max_line << " characters (the regex engine could overflow the stack on them); said once\n";
        }
        if (!rr.metric)
          rr.error = std::string(scan.matched ? "--metric-regex matched, but its group 1 is no number in any match: "
                                              : "--metric-regex matched nothing in the output: ") +
                     (scan.long_lines_skipped ? "(" + std::to_string(scan.long_lines_skipped) + " line(s) longer than " +
                                                    std::to_string(max_line) + " characters not matched) "
                                              : std::string()) +
                     tail_of(out, 400);
      }
      if (rr.error.empty() && !load_ended.empty()) rr.error = load_ended;
      if (!rr.error.empty()) log << "bench interference: " << name << " run " << (rep + 1) << ": " << rr.error << "\n";
      if (!rr.recording.empty() && !fs::exists(rr.recording)) rr.recording.clear();
      sr.runs.push_back(rr);
    }
  }
  std::error_code ec;
  // fio's 4 x 64 MiB of random 4k writes can take tens of seconds to delete (a `discard` mount):
  // said first, so the bench does not look hung (review TI L7). Not for the loads' stderr files alone.
  uintmax_t load_bytes = 0;
  for (auto it = fs::recursive_directory_iterator(scratch, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string file = it->path().filename().string();
    if (it->is_regular_file(ec) && !(file.rfind("load-", 0) == 0 && file.size() > 7 && file.substr(file.size() - 7) == ".stderr")) {
      const uintmax_t n = it->file_size(ec);
      load_bytes += ec ? 0 : n;
      ec.clear();
      if (load_bytes == 0) load_bytes = 1;  // an empty file of the load's still counts as one to remove
    }
  }
  if (load_bytes > 0)
    log << "bench interference: removing the disk load's scratch files in " << scratch.string() << " ("
        << (load_bytes + (1u << 20) - 1) / (1u << 20) << " MiB; on some file systems this takes a while)\n"
        << std::flush;
  ec.clear();
  fs::remove_all(scratch, ec);
  return results;
}

}  // namespace infertrace::bench
