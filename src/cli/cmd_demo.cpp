// `infertrace demo`: the README's main job. On any machine (no GPU needed, ~2 minutes on 2 cores):
// analyze the shipped H100 example traces (analyze, sweep, fusion), synthesize the tiny model, record
// the reference engine's run (eBPF when permitted), analyze it, run a short thread sweep, and write
// one HTML report with the headline findings.
//
// Traces are analyzed in-process; the other verbs run as subprocesses of /proc/self/exe with their
// documented flags, so the demo depends on them only through their command lines. A verb that is
// not built into this binary, or that fails, is reported as such in the output and in the report,
// never replaced by made-up results.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <system_error>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "cli/cmd_report.h"
#include "cli/output_file.h"
#include "cli/registry.h"
#include "util/error.h"
#include "util/write_text_file.h"

namespace fs = std::filesystem;

namespace infertrace::cli {

namespace {

struct RunResult {
  int code = -1;  // exit code; -1: could not start; 124: timed out
  std::string err_tail;
};

// Runs this executable with `args`, stdout to `out_file` (or inherited when empty), stderr captured.
RunResult run_self(const std::vector<std::string>& args, const std::string& out_file, const std::string& err_file,
                   int timeout_s) {
  RunResult r;
  const pid_t pid = fork();
  if (pid < 0) return r;
  if (pid == 0) {
    if (!out_file.empty()) {
      const int fd = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) dup2(fd, 1), close(fd);
    }
    const int efd = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (efd >= 0) dup2(efd, 2), close(efd);
    std::vector<char*> argv;
    static char self[] = "infertrace";
    argv.push_back(self);
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int status = 0;
  for (;;) {
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGTERM);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      r.code = 124;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (r.code != 124) r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream e(err_file);
  std::string line, last;
  while (std::getline(e, line))
    if (!line.empty()) last = line;
  r.err_tail = last;
  return r;
}

struct Options {
  std::string examples;
  std::string out_dir = "infertrace-demo";
  bool no_engine = false;
};

// examples/traces of the source tree: --examples, $INFERTRACE_SOURCE_DIR, next to the executable
// (build/<preset>/src/infertrace), or the source directory this binary was built from.
fs::path find_examples(const std::string& given) {
  std::vector<fs::path> candidates;
  if (!given.empty()) {
    if (!fs::is_directory(given)) throw UsageError("--examples " + given + ": not a directory");
    return given;
  }
  if (const char* src = std::getenv("INFERTRACE_SOURCE_DIR")) candidates.push_back(fs::path(src) / "examples/traces");
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec)
    for (fs::path p = exe.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path())
      candidates.push_back(p / "examples/traces");
  candidates.push_back(fs::path(INFERTRACE_SOURCE_DIR) / "examples/traces");
  for (auto& c : candidates)
    if (fs::is_directory(c)) return c;
  throw Error("demo: cannot find the example traces (examples/traces of the source tree); pass --examples DIR");
}

// Every file the demo writes into its folder, by name (verb_to_doc's FILE and FILE.stderr,
// run_verb's LOG.out and LOG.stderr, the model, the recording, the report), and the list of those
// a run wrote, kManifest. A run into a folder that an earlier demo wrote removes that run's files
// first, so that none of them (engine.itrace, threads.json of a run with the engine) is left beside
// the new report as if it were this run's (review UX L10); it removes only files the list names
// with the size and modification time they had when that run wrote them, and refuses, before
// writing anything, a folder holding a file of these names that no earlier run listed (the user's
// own report.html in `-o .`, one changed since, or one of a demo without the list): the demo
// would overwrite it, or leave it looking like its own (docs/report.md, "The demo's folder").
const char* const kManifest = "demo-files.txt";
const char* const kManifestHeader =
    "# infertrace demo: the files this run wrote here (name, size, mtime ns); the next demo into this "
    "folder removes them while unchanged";
const std::vector<std::string>& demo_file_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n = {"report.html", "tiny.gguf", "engine.itrace"};
    for (const char* doc : {"sweep.json", "fusion.json", "engine_analysis.json", "threads.json"})
      n.push_back(doc), n.push_back(std::string(doc) + ".stderr");
    for (const char* log : {"model_synth", "record", "engine_run"})
      n.push_back(std::string(log) + ".out"), n.push_back(std::string(log) + ".stderr");
    return n;
  }();
  return names;
}

struct FileStamp {
  uintmax_t size = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FileStamp& o) const { return size == o.size && mtime_ns == o.mtime_ns; }
};

// The stamp of a regular file (not a link to one); none for anything else or nothing.
std::optional<FileStamp> stamp_of(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(p, ec))) return std::nullopt;
  FileStamp s;
  s.size = fs::file_size(p, ec);
  if (ec) return std::nullopt;
  const auto t = fs::last_write_time(p, ec);
  if (ec) return std::nullopt;
  const auto since_1970 = std::chrono::file_clock::to_sys(t).time_since_epoch();
  s.mtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(since_1970).count();
  return s;
}

// The earlier run's list: name -> stamp. Empty when there is none; nullopt when a file of that name
// is there but is not such a list (then it is not the demo's either).
std::optional<std::map<std::string, FileStamp>> read_manifest(const fs::path& p) {
  std::map<std::string, FileStamp> out;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(p, ec))) return out;
  if (!stamp_of(p)) return std::nullopt;
  std::ifstream in(p);
  std::string line;
  if (!std::getline(in, line) || line != kManifestHeader) return std::nullopt;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name;
    FileStamp s;
    if (std::getline(fields, name, '\t') && fields >> s.size >> s.mtime_ns) out[name] = s;
  }
  return out;
}

class Demo {
 public:
  explicit Demo(const Options& o) : opt_(o), out_(o.out_dir) {}

  void run() {
    // The examples first: a wrong --examples leaves the folder as it was (it made an empty one, and
    // would have removed an earlier run's files before failing).
    const fs::path ex = find_examples(opt_.examples);
    std::vector<std::string> gpt2;
    std::vector<fs::path> traces;
    for (auto& e : fs::directory_iterator(ex))
      if (e.path().filename().string().find(".json") != std::string::npos) traces.push_back(e.path());
    // Before the folder is made: a --examples folder without traces leaves no empty -o folder behind
    // (review EB L5).
    if (traces.empty()) throw Error("demo: no example traces (*.json, *.json.gz) in " + ex.string());
    make_out_dir();
    try {
      clear_earlier_run();
    } catch (...) {
      remove_made_dirs_if_empty();
      throw;
    }
    data_.inputs.title = "infertrace demo";
    data_.say_duplicates = false;  // the recording and its sched document are both the demo's own
    // Natural order of batch sizes (bs1, bs2, ..., bs64), then the rest by name.
    auto batch = [](const fs::path& p) {
      const std::string n = p.filename().string();
      const size_t b = n.find("_bs");
      return b == std::string::npos ? 1 << 30 : std::atoi(n.c_str() + b + 3);
    };
    std::sort(traces.begin(), traces.end(), [&](const fs::path& a, const fs::path& b) {
      return std::make_pair(batch(a), a.filename().string()) < std::make_pair(batch(b), b.filename().string());
    });
    for (auto& p : traces)
      if (p.filename().string().rfind("gpt2_prefill_bs", 0) == 0) gpt2.push_back(p.string());
    step("analyze the H100 example traces", [&]() {
      for (auto& p : traces) add_report_input(data_, p.string());
      return std::to_string(traces.size()) + " traces from " + ex.string();
    });
    if (!gpt2.empty()) {
      std::vector<std::string> args = {"sweep"};
      args.insert(args.end(), gpt2.begin(), gpt2.end());
      args.push_back("--json");
      verb_to_doc("batch sweep of the GPT-2 traces", "sweep", "", args, "sweep.json");
      verb_to_doc("kernel fusion of GPT-2 at batch 1", "fusion", "", {"fusion", gpt2.front(), "--json"}, "fusion.json");
    }
    if (opt_.no_engine) {
      note("reference engine", "skipped (--no-engine)");
    } else {
      engine_steps();
    }
    const fs::path report = out_ / "report.html";
    const auto f = write_report(data_, report.string());
    remember({"report.html"});
    std::cout << "\nHeadline findings:\n";
    for (auto& line : f) std::cout << "  - " << line << "\n";
    if (f.empty()) {
      // Nothing could be analyzed: the report only lists what is missing. That is a failure.
      std::cout << "  (none: every analysis step above is missing or failed)\n";
      set_exit_code(1);
    }
    std::cout << "\nReport: " << fs::absolute(report).string() << "\n";
  }

 private:
  // Whether nothing is at `p`: ENOENT, or a name too long to be there. Any other error cannot tell,
  // so whatever is there is not taken for the run's own.
  static bool surely_absent(const fs::path& p) {
    std::error_code err;
    if (fs::exists(fs::symlink_status(p, err))) return false;
    return !err || err == std::errc::no_such_file_or_directory || err == std::errc::filename_too_long;
  }

  // Makes -o and the folders above it that are missing, remembering the topmost one it made, so a
  // failure before anything is written can remove what it made and nothing else.
  void make_out_dir() {
    std::error_code ec;
    fs::path p = fs::absolute(out_, ec);
    while (!ec && !p.empty()) {
      if (!surely_absent(p)) break;
      made_top_ = p;
      if (p == p.parent_path()) break;
      p = p.parent_path();
    }
    ec.clear();
    fs::create_directories(out_, ec);  // the raw filesystem_error read "cannot create directories: ... [PATH]"
    if (ec || !fs::is_directory(out_)) {
      const std::string why = ec ? ec.message() : std::string("not a directory");
      remove_made_dirs_if_empty();
      throw Error("-o " + out_.string() + ": cannot make it the demo's folder: " + why);
    }
  }

  // The folders make_out_dir made, from -o up to the topmost, each removed only while empty. A
  // folder that is not there (the last one, whose making failed) is passed over, not an end: its
  // parents made before it go too (review S44 L1: `-o a/b/c` whose c failed left a/b).
  void remove_made_dirs_if_empty() {
    if (made_top_.empty()) return;
    std::error_code ec;
    for (fs::path p = fs::absolute(out_, ec); !ec && !p.empty(); p = p.parent_path()) {
      if (!surely_absent(p) &&
          (!fs::is_directory(fs::symlink_status(p, ec)) || ec || !fs::is_empty(p, ec) || ec || !fs::remove(p, ec)))
        break;
      if (p == made_top_ || p == p.parent_path()) break;
    }
    made_top_.clear();
  }

  // Removes the files an earlier demo run listed in kManifest, while unchanged; refuses the folder
  // (Error, nothing written) when it holds a file of a demo name that run did not list as it is.
  void clear_earlier_run() {
    const fs::path list = out_ / kManifest;
    const auto earlier = read_manifest(list);
    std::vector<std::string> foreign, ours;
    if (!earlier) foreign.push_back(kManifest);
    std::error_code ec;
    for (const std::string& name : demo_file_names()) {
      if (!fs::exists(fs::symlink_status(out_ / name, ec))) continue;
      const auto listed = earlier ? earlier->find(name) : std::map<std::string, FileStamp>::const_iterator{};
      const auto now = stamp_of(out_ / name);
      if (earlier && listed != earlier->end() && now && *now == listed->second) ours.push_back(name);
      else foreign.push_back(name);
    }
    if (!foreign.empty()) {
      std::string names;
      for (const std::string& n : foreign) names += (names.empty() ? "" : ", ") + n;
      const bool one = foreign.size() == 1;
      throw Error("-o " + out_.string() + ": " + names + (one ? " is" : " are") +
                  " there, not as an earlier demo run wrote " + (one ? "it" : "them") + " (" + kManifest +
                  " lists what a run wrote), and the demo writes files of " + (one ? "that name" : "those names") +
                  ": move " + (one ? "it" : "them") + " away or choose another folder");
    }
    for (const std::string& n : ours)
      if (!fs::remove(out_ / n, ec))
        throw Error("-o " + out_.string() + ": cannot remove the earlier demo run's " + n + ": " + ec.message());
    if (fs::exists(fs::symlink_status(list, ec)) && !fs::remove(list, ec))
      throw Error("-o " + out_.string() + ": cannot remove " + kManifest + ": " + ec.message());
    if (!ours.empty())
      std::cout << "demo: removed the " << ours.size() << " files an earlier demo run wrote in " << out_.string()
                << " (" << kManifest << ")\n";
  }

  // Adds the files of these names that now exist to kManifest (rewritten whole after each step, so
  // that a run stopped half-way still lists what it wrote before the step it was in).
  void remember(const std::vector<std::string>& names) {
    for (const std::string& n : names)
      if (const auto s = stamp_of(out_ / n)) written_[n] = *s;
    // Whole or not at all (util/write_text_file.h): a full disk no longer leaves a cut list.
    std::ostringstream list;
    list << kManifestHeader << "\n";
    for (const auto& [name, s] : written_) list << name << "\t" << s.size << "\t" << s.mtime_ns << "\n";
    try {
      write_text_file((out_ / kManifest).string(), list.str());
    } catch (const Error& e) {
      std::cerr << "demo: " << e.what() << ": a later demo here will refuse this folder\n";
    }
  }

  void note(const std::string& what, const std::string& status) {
    std::cout << "demo: " << what << ": " << status << "\n" << std::flush;
    data_.inputs.notes.push_back({what, status});
  }

  // Runs fn and notes its outcome with the time since t0 (a step whose work began earlier, as a
  // verb run in a child before its document is read, passes that start).
  template <class Fn>
  bool step(const std::string& what, Fn fn,
            std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now()) {
    try {
      const std::string detail = fn();
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      char buf[32];
      std::snprintf(buf, sizeof buf, " (%.1f s)", s);
      note(what, "ok: " + detail + buf);
      return true;
    } catch (const std::exception& e) {
      note(what, std::string("failed: ") + e.what());
      return false;
    }
  }

  // Runs a verb that prints a JSON document and adds that document to the report.
  bool verb_to_doc(const std::string& what, const std::string& verb, const std::string& sub,
                   const std::vector<std::string>& args, const std::string& file, int timeout_s = 120) {
    if (!has_verb(verb, sub)) {
      note(what, "missing: `infertrace " + verb + (sub.empty() ? "" : " " + sub) + "` is not built into this binary");
      return false;
    }
    const fs::path path = out_ / file;
    const auto t0 = std::chrono::steady_clock::now();  // the child's run counts (review HR M1)
    const RunResult r = run_self(args, path.string(), (out_ / (file + ".stderr")).string(), timeout_s);
    remember({file, file + ".stderr"});
    if (r.code != 0) {
      note(what, "failed (exit " + std::to_string(r.code) + "): " + r.err_tail);
      return false;
    }
    return step(
        what,
        [&]() {
          add_report_input(data_, path.string(), file);
          return path.string();
        },
        t0);
  }

  bool run_verb(const std::string& what, const std::string& verb, const std::string& sub,
                const std::vector<std::string>& args, const std::string& log, int timeout_s = 120) {
    if (!has_verb(verb, sub)) {
      note(what, "missing: `infertrace " + verb + (sub.empty() ? "" : " " + sub) + "` is not built into this binary");
      return false;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const RunResult r = run_self(args, (out_ / (log + ".out")).string(), (out_ / (log + ".stderr")).string(), timeout_s);
    remember({log + ".out", log + ".stderr"});
    if (verb == "model") remember({"tiny.gguf"});
    if (verb == "record") remember({"engine.itrace"});
    if (r.code != 0) {
      note(what, "failed (exit " + std::to_string(r.code) + "): " + r.err_tail);
      return false;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, " (%.1f s)", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    note(what, std::string("ok") + buf);
    return true;
  }

  void engine_steps() {
    const std::string model = (out_ / "tiny.gguf").string();
    if (!run_verb("synthesize the tiny model", "model", "synth", {"model", "synth", "--preset", "tiny", "-o", model},
                  "model_synth")) {
      for (const char* later : {"record the engine's run with eBPF", "thread sweep (bench threads)"})
        note(later, "skipped: needs the tiny model");
      return;
    }
    const std::string rec = (out_ / "engine.itrace").string();
    const std::vector<std::string> engine = {"engine", "run", "-m", model, "--prompt-tokens", "32", "-n", "32", "-t", "2"};
    if (has_verb("record") && has_verb("engine", "run")) {
      std::vector<std::string> args = {"record", "-o", rec, "--"};
      args.push_back(fs::read_symlink("/proc/self/exe").string());
      args.insert(args.end(), engine.begin(), engine.end());
      if (run_verb("record the engine's run with eBPF", "record", "", args, "record")) {
        step("analyze the recording", [&]() {
          add_report_input(data_, rec, "engine.itrace");
          return rec;
        });
        verb_to_doc("scheduler/IRQ/syscall analysis of the recording", "sched", "", {"sched", rec, "--json"},
                    "engine_analysis.json");
      } else {
        // The record step failed, and its own note says why: no eBPF permission, or the engine
        // itself failed under record (record exits with a failed command's status). Either way an
        // unrecorded run is the next thing worth trying: it works without eBPF, and when the
        // engine is what failed, this step shows that failure on its own.
        run_verb("run the engine without recording", "engine", "run", engine, "engine_run");
      }
    } else {
      note("record the engine's run with eBPF", has_verb("record") ? "missing: `infertrace engine run` is not built"
                                                                  : "missing: `infertrace record` is not built into this binary");
      run_verb("run the engine", "engine", "run", engine, "engine_run");
    }
    verb_to_doc("thread sweep (bench threads)", "bench", "threads",
                {"bench", "threads", "-m", model, "-t", "1,2", "-r", "2", "-p", "32", "-n", "16", "-o", "json"},
                "threads.json", 180);
  }

  Options opt_;
  fs::path out_;
  fs::path made_top_;  // the topmost folder make_out_dir made for -o (empty: -o was there)
  ReportData data_;
  std::map<std::string, FileStamp> written_;  // what this run wrote, as kManifest lists it
};

const CommandRegistrar reg(10, "demo", [](CLI::App& app) {
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("demo", "Run the whole tool end to end on this machine (no GPU needed) and write "
                                         "an HTML report");
  cmd->add_option("--examples", opt->examples, "Folder with the example Kineto traces (default: the source tree's examples/traces: "
                  "$INFERTRACE_SOURCE_DIR's, the one in a folder above the executable, or the one it was built from)");
  cmd->add_option("-o,--out,--output", opt->out_dir, "Folder for the report and intermediate files")->capture_default_str();
  cmd->add_flag("--no-engine", opt->no_engine, "Only analyze the example traces");
  cmd->callback([opt]() {
    refuse_dash(opt->out_dir, "-o", "the demo's folder");  // made a folder called - (review CX L9)
    Demo(*opt).run();
  });
});

}  // namespace

}  // namespace infertrace::cli
