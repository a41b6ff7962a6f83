// write_csv_tables (report/exports.h): the recording tables as CSV with the fixed columns of
// docs/recording-format.md. Unknown values (-1 in the Trace) are empty fields.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <utility>
#include <vector>

#include "analysis/launch.h"
#include "ingest/recording/itrace_format.h"  // kLossableEvents
#include "report/exports.h"
#include "report/staged_tables.h"
#include "report/text_table.h"
#include "util/error.h"

namespace infertrace {

namespace {

// One table, written to NAME.partial (created by PartialFile); CsvTables renames it to NAME once
// every table is complete (NAME: the table's path, or the file its symlinks name).
class CsvFile {
 public:
  CsvFile(const std::string& table, const std::string& partial, const char* header) : path_(table), out_(partial) {
    if (!out_) throw Error(table + ".partial: cannot create: " + std::strerror(errno));  // `partial` may be /proc/self/fd/N
    out_ << header << '\n';
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
  void close() {
    out_.close();
    if (!out_) throw Error(path_ + ": write failed (" + std::strerror(errno) + "); the tables in its directory are unchanged");
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

// Staged (report/staged_tables.h): every table goes to NAME.partial and the set is renamed into
// place only when all are complete, so a failed export leaves DIR with what it had.
class CsvTables {
 public:
  CsvTables(std::filesystem::path dir, RenamedTables* renamed) : staged_(std::move(dir), renamed) {}
  template <typename Fill>
  void table(const std::string& name, const char* header, Fill fill) {
    const std::string writer = staged_.stage(name);
    CsvFile f(staged_.target(count_++), writer, header);
    fill(f);
    f.close();
  }
  // No GPU rows: a gpu.csv left by an earlier export into this directory would be read with the
  // new tables as if it belonged to them.
  // The same for loss_windows.csv of a recording without loss, and operators.csv of a trace
  // without operators.
  void commit(bool keep_gpu, bool keep_loss, bool keep_ops) {
    std::vector<std::string> stale;
    if (!keep_gpu) stale.push_back("gpu.csv");
    if (!keep_loss) stale.push_back("loss_windows.csv");
    if (!keep_ops) stale.push_back("operators.csv");
    staged_.commit(stale);
  }

 private:
  StagedTables staged_;
  size_t count_ = 0;
};

// loss_windows.csv's header: the window, then one column per type the recorder can lose, named as
// META dropped.<type> names it (itrace::kLossableEvents, the recorder's own list).
std::string loss_windows_header() {
  std::string h = "cpu,first_ts_ns,last_ts_ns,lost_total";
  for (const itrace::LossableEvent& e : itrace::kLossableEvents) h += std::string(",") + e.name;
  return h;
}

}  // namespace

void write_csv_tables(const Trace& t, const std::string& dir, RenamedTables* renamed,
                      const std::vector<uint32_t>* launch_calls) {
  CsvTables out{std::filesystem::path(dir), renamed};
  // Exactly the columns issue 3 specifies (users' scripts read them): the correlation of a launch
  // is in gpu.csv instead, as the launch's own timestamp and thread.
  out.table("launches.csv", "ts_ns,pid,tid,cpu,api,dur_ns,stream", [&](CsvFile& f) {
    for (size_t i = 0; i < t.api.size(); ++i) {
      f.num(t.api.start[i]).opt(t.api.pid[i]).opt(t.api.tid[i]).opt(t.api.cpu[i]).str(t.str(t.api.name[i]));
      f.opt(t.api.dur[i]).opt(t.api.stream[i]).end();
    }
  });
  if (t.gpu.size() > 0) {  // CUPTI-mode recordings only: what the GPU ran, with the launch that made it
    // The call the analysis links it to (analysis/launch.h): the one the flow arrows start at.
    std::vector<uint32_t> own;
    const std::vector<uint32_t>& launch_of = launch_calls_of_gpu_rows(t, launch_calls, own);
    out.table("gpu.csv",
              "ts_ns,dur_ns,kind,device,stream,correlation,launch_ts_ns,launch_tid,name,grid_x,grid_y,grid_z,block_x,"
              "block_y,block_z",
              [&](CsvFile& f) {
                static constexpr const char* kKind[] = {"kernel", "memcpy", "memset"};
                const auto& g = t.gpu;
                for (size_t i = 0; i < g.size(); ++i) {
                  f.num(g.start[i]).num(g.dur[i]).str(kKind[static_cast<int>(g.kind[i]) % 3]).opt(g.device[i]);
                  f.opt(g.stream[i]).opt(g.correlation[i]);
                  if (const uint32_t l = launch_of[i]; l != kNoLaunchCall) f.num(t.api.start[l]).opt(t.api.tid[l]);
                  else f.opt(-1).opt(-1);
                  // Geometry 0 means unknown (copies, sets, traces without it): empty fields, as SQLite's NULL.
                  f.str(t.str(g.name[i]));
                  for (uint32_t v : {g.grid_x[i], g.grid_y[i], g.grid_z[i], g.block_x[i], g.block_y[i], g.block_z[i]})
                    f.opt(g.grid_x[i] > 0 ? int64_t{v} : int64_t{-1});
                  f.end();
                }
              });
  }
  out.table("switches.csv", "ts_ns,cpu,prev_pid,prev_tid,prev_comm,prev_state,preempted,next_pid,next_tid,next_comm",
            [&](CsvFile& f) {
              const auto& s = t.switches;
              for (size_t i = 0; i < s.size(); ++i) {
                f.num(s.ts[i]).opt(s.cpu[i]).opt(s.prev_pid[i]).opt(s.prev_tid[i]).str(t.str(s.prev_comm[i]));
                f.num(s.prev_state[i]).num(s.preempted[i] ? 1 : 0).opt(s.next_pid[i]).opt(s.next_tid[i]);
                f.str(t.str(s.next_comm[i])).end();
              }
            });
  out.table("wakeups.csv", "ts_ns,cpu,pid,tid,waker_pid,waker_tid", [&](CsvFile& f) {
    const auto& w = t.wakeups;
    for (size_t i = 0; i < w.size(); ++i)
      f.num(w.ts[i]).opt(w.cpu[i]).opt(w.pid[i]).opt(w.tid[i]).opt(w.waker_pid[i]).opt(w.waker_tid[i]).end();
  });
  out.table("irqs.csv", "ts_ns,cpu,kind,irq,name,dur_ns,pid,tid,source", [&](CsvFile& f) {
    const auto& q = t.irqs;
    for (size_t i = 0; i < q.size(); ++i) {
      f.num(q.ts[i]).opt(q.cpu[i]).str(q.kind[i] == IrqKind::Soft ? "soft" : "hard").opt(q.irq[i]).str(t.str(q.name[i]));
      f.num(q.dur[i]).opt(q.pid[i]).opt(q.tid[i]).str(q.source_name(i)).end();
    }
  });
  out.table("syscalls.csv", "ts_ns,pid,tid,nr,name,dur_ns,ret", [&](CsvFile& f) {
    const auto& s = t.syscalls;
    for (size_t i = 0; i < s.size(); ++i)
      f.num(s.ts[i]).opt(s.pid[i]).opt(s.tid[i]).opt(s.nr[i]).str(t.str(s.name[i])).num(s.dur[i]).num(s.ret[i]).end();
  });
  out.table("threads.csv", "pid,tid,comm,first_ts_ns,last_ts_ns", [&](CsvFile& f) {
    const auto& th = t.threads;
    for (size_t i = 0; i < th.size(); ++i)
      f.opt(th.pid[i]).opt(th.tid[i]).str(t.str(th.comm[i])).num(th.first_ts[i]).num(th.last_ts[i]).end();
  });
  if (!t.loss_windows.empty()) {  // recordings whose ring was full at some point: where the loss was
    const std::string header = loss_windows_header();
    out.table("loss_windows.csv", header.c_str(),
              [&](CsvFile& f) {
                for (const LossWindow& w : t.loss_windows) {
                  f.opt(w.cpu).num(w.first).num(w.last).num(w.total());
                  for (const itrace::LossableEvent& e : itrace::kLossableEvents) {
                    const auto it = w.lost.find(e.name);
                    f.num(it == w.lost.end() ? 0 : it->second);
                  }
                  f.end();
                }
              });
  }
  if (t.ops.size() > 0) {  // the trace's operators (Kineto), as SQLite's operator table has them (review DJ L4)
    out.table("operators.csv", "ts_ns,dur_ns,pid,tid,external_id,name,user_annotation", [&](CsvFile& f) {
      const auto& o = t.ops;
      for (size_t i = 0; i < o.size(); ++i)
        f.num(o.start[i]).num(o.dur[i]).opt(o.pid[i]).opt(o.tid[i]).opt(o.external_id[i]).str(t.str(o.name[i]))
            .num(o.user_annotation[i]).end();
    });
  }
  out.commit(t.gpu.size() > 0, !t.loss_windows.empty(), t.ops.size() > 0);
}

}  // namespace infertrace
