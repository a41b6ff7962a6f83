// write_csv_tables (report/exports.h): the recording tables as CSV with the fixed columns of
// docs/recording-format.md. Unknown values (-1 in the Trace) are empty fields.
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include "report/exports.h"
#include "report/text_table.h"
#include "util/error.h"

namespace infertrace {

namespace {

class CsvFile {
 public:
  CsvFile(const std::filesystem::path& p, const char* header) : path_(p.string()), out_(p) {
    if (!out_) throw Error(path_ + ": cannot create");
    out_ << header << '\n';
  }
  ~CsvFile() noexcept(false) {
    out_.flush();
    if (!out_ && std::uncaught_exceptions() == 0) throw Error(path_ + ": write failed");
  }
  CsvFile& num(int64_t v) { return sep() << v, *this; }
  CsvFile& opt(int64_t v) {  // -1 = unknown -> empty field
    sep();
    if (v != -1) out_ << v;
    return *this;
  }
  CsvFile& str(std::string_view s) { return sep() << csv_escape(std::string(s)), *this; }
  void end() {
    out_ << '\n';
    first_ = true;
  }

 private:
  std::ofstream& sep() {
    if (!first_) out_ << ',';
    first_ = false;
    return out_;
  }
  std::string path_;
  std::ofstream out_;
  bool first_ = true;
};

}  // namespace

void write_csv_tables(const Trace& t, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(dir + ": cannot create directory: " + ec.message());
  const std::filesystem::path d(dir);
  {
    // Exactly the columns issue 3 specifies (users' scripts read them): the correlation of a launch
    // is in gpu.csv instead, as the launch's own timestamp and thread.
    CsvFile f(d / "launches.csv", "ts_ns,pid,tid,cpu,api,dur_ns,stream");
    for (size_t i = 0; i < t.api.size(); ++i) {
      f.num(t.api.start[i]).opt(t.api.pid[i]).opt(t.api.tid[i]).opt(t.api.cpu[i]).str(t.str(t.api.name[i]));
      f.opt(t.api.dur[i]).opt(t.api.stream[i]).end();
    }
  }
  if (t.gpu.size() > 0) {  // CUPTI-mode recordings only: what the GPU ran, with the launch that made it
    std::unordered_map<int64_t, size_t> launch_of;  // correlation -> first API row carrying it
    for (size_t i = 0; i < t.api.size(); ++i)
      if (t.api.correlation[i] >= 0) launch_of.emplace(t.api.correlation[i], i);
    CsvFile f(d / "gpu.csv",
              "ts_ns,dur_ns,kind,device,stream,correlation,launch_ts_ns,launch_tid,name,grid_x,grid_y,grid_z,block_x,block_y,"
              "block_z");
    static constexpr const char* kKind[] = {"kernel", "memcpy", "memset"};
    const auto& g = t.gpu;
    for (size_t i = 0; i < g.size(); ++i) {
      f.num(g.start[i]).num(g.dur[i]).str(kKind[static_cast<int>(g.kind[i]) % 3]).opt(g.device[i]).opt(g.stream[i]);
      f.opt(g.correlation[i]);
      const auto l = g.correlation[i] >= 0 ? launch_of.find(g.correlation[i]) : launch_of.end();
      if (l != launch_of.end()) f.num(t.api.start[l->second]).opt(t.api.tid[l->second]);
      else f.opt(-1).opt(-1);
      // Geometry 0 means unknown (copies, sets, traces without it): empty fields, as SQLite's NULL.
      f.str(t.str(g.name[i]));
      for (uint32_t v : {g.grid_x[i], g.grid_y[i], g.grid_z[i], g.block_x[i], g.block_y[i], g.block_z[i]})
        f.opt(g.grid_x[i] > 0 ? int64_t{v} : int64_t{-1});
      f.end();
    }
  } else {
    // No GPU rows: a gpu.csv left by an earlier export into this directory would be read with the
    // new tables as if it belonged to them.
    std::filesystem::remove(d / "gpu.csv", ec);
  }
  {
    CsvFile f(d / "switches.csv", "ts_ns,cpu,prev_pid,prev_tid,prev_comm,prev_state,preempted,next_pid,next_tid,next_comm");
    const auto& s = t.switches;
    for (size_t i = 0; i < s.size(); ++i) {
      f.num(s.ts[i]).opt(s.cpu[i]).opt(s.prev_pid[i]).opt(s.prev_tid[i]).str(t.str(s.prev_comm[i])).num(s.prev_state[i]);
      f.num(s.preempted[i] ? 1 : 0).opt(s.next_pid[i]).opt(s.next_tid[i]).str(t.str(s.next_comm[i])).end();
    }
  }
  {
    CsvFile f(d / "wakeups.csv", "ts_ns,cpu,pid,tid,waker_pid,waker_tid");
    const auto& w = t.wakeups;
    for (size_t i = 0; i < w.size(); ++i)
      f.num(w.ts[i]).opt(w.cpu[i]).opt(w.pid[i]).opt(w.tid[i]).opt(w.waker_pid[i]).opt(w.waker_tid[i]).end();
  }
  {
    CsvFile f(d / "irqs.csv", "ts_ns,cpu,kind,irq,name,dur_ns,pid,tid");
    const auto& q = t.irqs;
    for (size_t i = 0; i < q.size(); ++i) {
      f.num(q.ts[i]).opt(q.cpu[i]).str(q.kind[i] == IrqKind::Soft ? "soft" : "hard").opt(q.irq[i]).str(t.str(q.name[i]));
      f.num(q.dur[i]).opt(q.pid[i]).opt(q.tid[i]).end();
    }
  }
  {
    CsvFile f(d / "syscalls.csv", "ts_ns,pid,tid,nr,name,dur_ns,ret");
    const auto& s = t.syscalls;
    for (size_t i = 0; i < s.size(); ++i)
      f.num(s.ts[i]).opt(s.pid[i]).opt(s.tid[i]).opt(s.nr[i]).str(t.str(s.name[i])).num(s.dur[i]).num(s.ret[i]).end();
  }
  {
    CsvFile f(d / "threads.csv", "pid,tid,comm,first_ts_ns,last_ts_ns");
    const auto& th = t.threads;
    for (size_t i = 0; i < th.size(); ++i)
      f.opt(th.pid[i]).opt(th.tid[i]).str(t.str(th.comm[i])).num(th.first_ts[i]).num(th.last_ts[i]).end();
  }
}

}  // namespace infertrace
