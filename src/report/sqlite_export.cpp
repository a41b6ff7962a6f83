#include "report/sqlite_export.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <string_view>

#include "analysis/launch_count_bound.h"  // launch_calls_lower_bound, as analyze --json
#include "ingest/recording/cupti_callbacks.h"  // recorded_calls_note
#include "ingest/recording/itrace_format.h"   // kLossableEvents: loss_window's per-type columns
#include "report/analyze_json.h"  // api_kind_label: one spelling of API kinds in JSON and SQLite
#include "report/sqlite_db.h"

namespace infertrace {

namespace {

// Table and index definitions; docs/sqlite-schema.md documents each column. Times are integer
// nanoseconds on the trace's clock; unknown values are NULL.
constexpr const char* kSchema = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE skipped (reason TEXT PRIMARY KEY, count INTEGER NOT NULL);
CREATE TABLE thread (pid INTEGER, tid INTEGER, comm TEXT, first_ts_ns INTEGER, last_ts_ns INTEGER);
CREATE TABLE gpu_activity (id INTEGER PRIMARY KEY, ts_ns INTEGER NOT NULL, dur_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL, kind TEXT NOT NULL, device INTEGER, stream INTEGER, correlation INTEGER,
  external_id INTEGER, name TEXT, grid_x INTEGER, grid_y INTEGER, grid_z INTEGER,
  block_x INTEGER, block_y INTEGER, block_z INTEGER);
CREATE TABLE api_call (id INTEGER PRIMARY KEY, ts_ns INTEGER NOT NULL, dur_ns INTEGER, pid INTEGER,
  tid INTEGER, cpu INTEGER, correlation INTEGER, external_id INTEGER, stream INTEGER, name TEXT,
  kind TEXT NOT NULL, grid_x INTEGER, grid_y INTEGER, grid_z INTEGER,
  block_x INTEGER, block_y INTEGER, block_z INTEGER);
CREATE TABLE operator (id INTEGER PRIMARY KEY, ts_ns INTEGER NOT NULL, dur_ns INTEGER NOT NULL,
  pid INTEGER, tid INTEGER, external_id INTEGER, name TEXT, user_annotation INTEGER NOT NULL);
CREATE TABLE sched_switch (id INTEGER PRIMARY KEY, ts_ns INTEGER NOT NULL, cpu INTEGER,
  prev_pid INTEGER, prev_tid INTEGER, prev_comm TEXT, prev_state INTEGER, preempted INTEGER NOT NULL,
  next_pid INTEGER, next_tid INTEGER, next_comm TEXT);
CREATE TABLE wakeup (id INTEGER PRIMARY KEY, ts_ns INTEGER NOT NULL, cpu INTEGER, pid INTEGER,
  tid INTEGER, waker_pid INTEGER, waker_tid INTEGER);
CREATE TABLE irq (id INTEGER PRIMARY KEY, ts_ns INTEGER NOT NULL, dur_ns INTEGER NOT NULL, cpu INTEGER,
  kind TEXT NOT NULL, irq INTEGER, name TEXT, pid INTEGER, tid INTEGER, source TEXT NOT NULL);
CREATE TABLE loss_window (cpu INTEGER, first_ts_ns INTEGER NOT NULL, last_ts_ns INTEGER NOT NULL,
  lost_total INTEGER NOT NULL, api INTEGER NOT NULL, switch INTEGER NOT NULL, wakeup INTEGER NOT NULL,
  irq INTEGER NOT NULL, syscall INTEGER NOT NULL, task INTEGER NOT NULL, fdname INTEGER NOT NULL);
CREATE TABLE syscall (id INTEGER PRIMARY KEY, ts_ns INTEGER NOT NULL, dur_ns INTEGER NOT NULL,
  pid INTEGER, tid INTEGER, nr INTEGER, name TEXT, ret INTEGER, fd_target TEXT);
CREATE TABLE task (id INTEGER PRIMARY KEY, ts_ns INTEGER NOT NULL, pid INTEGER, tid INTEGER,
  kind TEXT NOT NULL, parent_tid INTEGER, state TEXT, comm TEXT);
CREATE TABLE launch (api_id INTEGER PRIMARY KEY REFERENCES api_call(id),
  gpu_id INTEGER NOT NULL REFERENCES gpu_activity(id), activities INTEGER NOT NULL,
  latency_ns INTEGER NOT NULL, launch_ns INTEGER NOT NULL, queue_ns INTEGER NOT NULL,
  api_ns INTEGER, clamped INTEGER NOT NULL);
CREATE TABLE launch_summary (metric TEXT PRIMARY KEY, value);
CREATE TABLE api_stat (name TEXT, kind TEXT, calls INTEGER, linked INTEGER, api_total_ns INTEGER,
  latency_total_ns INTEGER, launch_total_ns INTEGER, queue_total_ns INTEGER, timed_calls INTEGER);
CREATE TABLE kernel_stat (name TEXT, count INTEGER, total_ns INTEGER, min_ns INTEGER, max_ns INTEGER,
  mean_ns REAL, launches INTEGER, latency_total_ns INTEGER, launch_total_ns INTEGER, queue_total_ns INTEGER);
CREATE TABLE operator_stat (name TEXT, calls INTEGER, kernels INTEGER, launch_tax_ns INTEGER,
  gpu_time_ns INTEGER, cpu_time_ns INTEGER, launch_part_ns INTEGER, queue_part_ns INTEGER);
CREATE TABLE stream_stat (device INTEGER, stream INTEGER, kernels INTEGER, memcpys INTEGER,
  memsets INTEGER, busy_ns INTEGER, kernel_time_ns INTEGER);
CREATE TABLE device_stat (device INTEGER, busy_ns INTEGER, idle_ns INTEGER);
CREATE TABLE host_thread_stat (pid INTEGER, tid INTEGER, name TEXT, operators INTEGER, active_ns INTEGER,
  idle_ns INTEGER, span_ns INTEGER);
CREATE TABLE host_operator_stat (name TEXT, count INTEGER, total_ns INTEGER, self_ns INTEGER);
CREATE TABLE analysis_json (verb TEXT NOT NULL, doc TEXT NOT NULL);
)sql";

// Indexes are built after the bulk insert (faster than maintaining them row by row).
constexpr const char* kIndexes = R"sql(
CREATE INDEX gpu_activity_correlation ON gpu_activity(correlation);
CREATE INDEX gpu_activity_stream_ts ON gpu_activity(device, stream, ts_ns);
CREATE INDEX gpu_activity_name ON gpu_activity(name);
CREATE INDEX api_call_correlation ON api_call(correlation);
CREATE INDEX api_call_thread_ts ON api_call(tid, ts_ns);
CREATE INDEX operator_external_id ON operator(external_id);
CREATE INDEX operator_thread_ts ON operator(tid, ts_ns);
CREATE INDEX sched_switch_cpu_ts ON sched_switch(cpu, ts_ns);
CREATE INDEX sched_switch_prev_tid ON sched_switch(prev_tid, ts_ns);
CREATE INDEX sched_switch_next_tid ON sched_switch(next_tid, ts_ns);
CREATE INDEX wakeup_tid_ts ON wakeup(tid, ts_ns);
CREATE INDEX irq_cpu_ts ON irq(cpu, ts_ns);
CREATE INDEX syscall_thread_ts ON syscall(tid, ts_ns);
CREATE INDEX syscall_name ON syscall(name);
CREATE INDEX launch_gpu ON launch(gpu_id);
CREATE VIEW launch_detail AS
  SELECT l.api_id, a.name AS api, a.tid, a.ts_ns AS api_ts_ns, a.dur_ns AS api_dur_ns,
         g.name AS kernel, g.device, g.stream, g.ts_ns AS gpu_ts_ns, g.dur_ns AS gpu_dur_ns,
         l.activities, l.latency_ns, l.launch_ns, l.queue_ns, l.clamped
  FROM launch l JOIN api_call a ON a.id = l.api_id JOIN gpu_activity g ON g.id = l.gpu_id;
)sql";

const char* gpu_kind_name(GpuKind k) {
  switch (k) {
    case GpuKind::Kernel: return "kernel";
    case GpuKind::Memcpy: return "memcpy";
    case GpuKind::Memset: return "memset";
  }
  return "kernel";
}

const char* source_name(TraceSource s) {
  switch (s) {
    case TraceSource::Kineto: return "kineto";
    case TraceSource::Recording: return "recording";
    case TraceSource::Unknown: break;
  }
  return "unknown";
}

// The `meta` key of the trace's own META key / fact `k`: `k` itself, unless it is a key the export
// writes (schema_version, source, file, names_cleaned.REASON) or begins with the prefix that marks
// such a key, "input.": then "input." + k. One key per fact, none the export's own (review SQ L4:
// a recording's names_cleaned.* key failed the export on meta's primary key, and schema_version,
// source and file were dropped).
std::string input_meta_key(const std::string& k) {
  const bool exporters = k == "schema_version" || k == "source" || k == "file" || k.rfind("names_cleaned.", 0) == 0 ||
                         k.rfind("input.", 0) == 0;
  return exporters ? "input." + k : k;
}

void write_events(SqliteDb& db, const Trace& t, SqliteSummary& rows) {
  {
    SqliteStmt st(db, "INSERT INTO meta VALUES (?, ?)");
    st.text("schema_version").text(std::to_string(kSqliteSchemaVersion)).step();
    st.text("source").text(source_name(t.source)).step();
    st.text("file").text(t.file).step();
    for (auto& [k, v] : t.meta) st.text(input_meta_key(k)).text(v).step();
    // Names kept with characters replaced: no skipped events, so not in `skipped` (review CX L8).
    for (auto& [reason, n] : t.names_cleaned) st.text("names_cleaned." + reason).text(std::to_string(n)).step();
  }
  {
    SqliteStmt st(db, "INSERT INTO skipped VALUES (?, ?)");
    for (auto& [reason, n] : t.skipped) st.text(reason).i64(n).step();
  }
  {
    SqliteStmt st(db, "INSERT INTO thread VALUES (?, ?, ?, ?, ?)");
    for (size_t i = 0; i < t.threads.size(); ++i)
      st.opt(t.threads.pid[i]).opt(t.threads.tid[i]).opt_text(t.str(t.threads.comm[i]))
          .i64(t.threads.first_ts[i]).i64(t.threads.last_ts[i]).step();
    rows["thread"] = static_cast<int64_t>(t.threads.size());
  }
  {
    SqliteStmt st(db, "INSERT INTO gpu_activity VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    const auto& g = t.gpu;
    for (size_t i = 0; i < g.size(); ++i) {
      st.i64(static_cast<int64_t>(i)).i64(g.start[i]).i64(g.dur[i]).i64(g.start[i] + g.dur[i])
          .text(gpu_kind_name(g.kind[i])).opt(g.device[i]).opt(g.stream[i]).opt(g.correlation[i])
          .opt(g.external_id[i]).opt_text(t.str(g.name[i]));
      // Geometry is 0 when the source does not have it: NULL then.
      for (uint32_t v : {g.grid_x[i], g.grid_y[i], g.grid_z[i], g.block_x[i], g.block_y[i], g.block_z[i]})
        (g.grid_x[i] > 0) ? st.i64(v) : st.null();
      st.step();
    }
    rows["gpu_activity"] = static_cast<int64_t>(g.size());
  }
  {
    SqliteStmt st(db, "INSERT INTO api_call VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    const auto& a = t.api;
    for (size_t i = 0; i < a.size(); ++i) {
      st.i64(static_cast<int64_t>(i)).i64(a.start[i]).opt(a.dur[i]).opt(a.pid[i]).opt(a.tid[i])
          .opt(a.cpu[i]).opt(a.correlation[i]).opt(a.external_id[i]).opt(a.stream[i])
          .opt_text(t.str(a.name[i])).text(api_kind_label(a.kind[i]));
      // The geometry a launch call was given (recordings): NULL where the source has none.
      const bool known = a.has_geometry(i);
      for (int k = 0; k < 6; ++k) {
        const uint32_t v = k < 3 ? (known ? a.geometry[i].grid[k] : 0) : (known ? a.geometry[i].block[k - 3] : 0);
        known ? st.i64(v) : st.null();
      }
      st.step();
    }
    rows["api_call"] = static_cast<int64_t>(a.size());
  }
  {
    SqliteStmt st(db, "INSERT INTO operator VALUES (?,?,?,?,?,?,?,?)");
    const auto& o = t.ops;
    for (size_t i = 0; i < o.size(); ++i)
      st.i64(static_cast<int64_t>(i)).i64(o.start[i]).i64(o.dur[i]).opt(o.pid[i]).opt(o.tid[i])
          .opt(o.external_id[i]).opt_text(t.str(o.name[i])).i64(o.user_annotation[i]).step();
    rows["operator"] = static_cast<int64_t>(o.size());
  }
  {
    SqliteStmt st(db, "INSERT INTO sched_switch VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    const auto& s = t.switches;
    for (size_t i = 0; i < s.size(); ++i)
      st.i64(static_cast<int64_t>(i)).i64(s.ts[i]).opt(s.cpu[i]).opt(s.prev_pid[i]).opt(s.prev_tid[i])
          .opt_text(t.str(s.prev_comm[i])).i64(s.prev_state[i]).i64(s.preempted[i]).opt(s.next_pid[i])
          .opt(s.next_tid[i]).opt_text(t.str(s.next_comm[i])).step();
    rows["sched_switch"] = static_cast<int64_t>(s.size());
  }
  {
    SqliteStmt st(db, "INSERT INTO wakeup VALUES (?,?,?,?,?,?,?)");
    const auto& w = t.wakeups;
    for (size_t i = 0; i < w.size(); ++i)
      st.i64(static_cast<int64_t>(i)).i64(w.ts[i]).opt(w.cpu[i]).opt(w.pid[i]).opt(w.tid[i])
          .opt(w.waker_pid[i]).opt(w.waker_tid[i]).step();
    rows["wakeup"] = static_cast<int64_t>(w.size());
  }
  {
    SqliteStmt st(db, "INSERT INTO irq VALUES (?,?,?,?,?,?,?,?,?,?)");
    const auto& q = t.irqs;
    for (size_t i = 0; i < q.size(); ++i)
      st.i64(static_cast<int64_t>(i)).i64(q.ts[i]).i64(q.dur[i]).opt(q.cpu[i])
          .text(q.kind[i] == IrqKind::Soft ? "soft" : "hard").opt(q.irq[i]).opt_text(t.str(q.name[i]))
          .opt(q.pid[i]).opt(q.tid[i]).text(q.source_name(i)).step();
    rows["irq"] = static_cast<int64_t>(q.size());
  }
  {
    SqliteStmt st(db, "INSERT INTO syscall VALUES (?,?,?,?,?,?,?,?,?)");
    const auto& s = t.syscalls;
    for (size_t i = 0; i < s.size(); ++i) {
      st.i64(static_cast<int64_t>(i)).i64(s.ts[i]).i64(s.dur[i]).opt(s.pid[i]).opt(s.tid[i]).opt(s.nr[i])
          .opt_text(t.str(s.name[i])).i64(s.ret[i]);
      // fd_target is an interned path id (or -1).
      if (s.fd_target[i] > 0 && static_cast<size_t>(s.fd_target[i]) < t.strings.size())
        st.text(t.str(static_cast<StrId>(s.fd_target[i])));
      else
        st.null();
      st.step();
    }
    rows["syscall"] = static_cast<int64_t>(s.size());
  }
  {
    // The process tree (Trace::tasks): kind by name; the attach state as /proc's letter (NULL
    // unknown, and for the other kinds); parent_tid for a new thread or process only.
    SqliteStmt st(db, "INSERT INTO task VALUES (?,?,?,?,?,?,?,?)");
    const TaskTable& k = t.tasks;
    for (size_t i = 0; i < k.size(); ++i) {
      const char* kind = k.kind[i] == TaskKind::Existing ? "existing"
                         : k.kind[i] == TaskKind::New    ? "new"
                         : k.kind[i] == TaskKind::Exec   ? "exec"
                         : k.kind[i] == TaskKind::Rename ? "rename"
                                                         : "exit";
      st.i64(static_cast<int64_t>(i)).i64(k.ts[i]).opt(k.pid[i]).opt(k.tid[i]).text(kind).opt(k.parent_tid[i]);
      if (k.state[i]) st.text(std::string(1, k.state[i]));
      else st.null();
      st.opt_text(t.str(k.comm[i])).step();
    }
    rows["task"] = static_cast<int64_t>(k.size());
  }
  {
    // One column per type the recorder can lose (itrace::kLossableEvents), named here: a type added
    // there without its column in kSchema fails here, on the first export, and a reordered list
    // still fills each column with its own type (review DO).
    std::string columns = "cpu,first_ts_ns,last_ts_ns,lost_total", values = "?,?,?,?";
    for (const itrace::LossableEvent& e : itrace::kLossableEvents) columns += std::string(",") + e.name, values += ",?";
    SqliteStmt st(db, "INSERT INTO loss_window (" + columns + ") VALUES (" + values + ")");
    for (const LossWindow& w : t.loss_windows) {
      st.opt(w.cpu).i64(w.first).i64(w.last).i64(w.total());
      for (const itrace::LossableEvent& e : itrace::kLossableEvents) {
        const auto it = w.lost.find(e.name);
        st.i64(it == w.lost.end() ? 0 : it->second);
      }
      st.step();
    }
    // Listed only when there is a row: an export without loss prints what it printed before.
    if (!t.loss_windows.empty()) rows["loss_window"] = static_cast<int64_t>(t.loss_windows.size());
  }
}

void write_launch_analysis(SqliteDb& db, const Trace& t, const LaunchAnalysis& a, SqliteSummary& rows) {
  {
    SqliteStmt st(db, "INSERT INTO launch VALUES (?,?,?,?,?,?,?,?)");
    for (const LaunchLink& l : a.links)
      st.i64(l.api).i64(l.first_gpu).i64(l.activities).i64(l.latency).i64(l.launch_part).i64(l.queue)
          .opt(t.api.dur[l.api]).i64(l.clamped ? 1 : 0).step();
    rows["launch"] = static_cast<int64_t>(a.links.size());
  }
  {
    // Same keys as `infertrace analyze --json` (docs/json-schema.md).
    SqliteStmt st(db, "INSERT INTO launch_summary VALUES (?, ?)");
    const std::pair<const char*, int64_t> ints[] = {
        {"kernels", a.kernels}, {"memcpys", a.memcpys}, {"memsets", a.memsets},
        {"gpu_activities", a.gpu_activities}, {"launch_calls", a.launch_calls},
        {"linked_launch_calls", a.linked_launch_calls}, {"sync_calls", a.sync_calls},
        {"api_calls", a.api_calls}, {"operators", a.operators}, {"graph_launches", a.graph_launches},
        {"tklqt_ns", a.tklqt}, {"tklqt_launch_ns", a.tklqt_launch}, {"tklqt_queue_ns", a.tklqt_queue},
        {"api_time_ns", a.api_time}, {"inference_latency_ns", a.inference_latency},
        {"gpu_busy_ns", a.gpu_busy}, {"gpu_idle_ns", a.gpu_idle}, {"host_active_ns", a.host_active},
        {"cpu_idle_ns", a.cpu_idle}, {"t_begin_ns", a.t_begin}, {"t_end_ns", a.t_end},
        {"clock_skew_clamped", a.clock_skew_clamped}, {"orphan_activities", a.orphan_activities},
        {"orphan_launch_calls", a.orphan_launch_calls}, {"launch_thread_pid", a.launch_thread_pid},
        {"launch_thread_tid", a.launch_thread_tid}, {"host_sync_ns", a.host_sync},
        {"activities_of_other_calls", a.activities_of_other_calls},
        {"duplicate_correlation_calls", a.duplicate_correlation_calls},
        {"launch_calls_unknown_duration", a.launch_calls_unknown_duration},
        {"zero_duration_events", t.zero_duration_events()},
        {"invalid_api_names_resolved", t.invalid_api_names_resolved()},
        {"invalid_api_names_kept", t.invalid_api_names_kept()},
        {"duplicate_calls_of_other_processes", a.duplicate_calls_of_other_processes},
        {"shared_id_activities_by_device", a.shared_id_activities_by_device},
        {"shared_id_activities_unresolved", a.shared_id_activities_unresolved},
        {"launch_thread_annotations", a.launch_thread_annotations},
        {"host_active_without_annotations_ns", a.host_active_without_annotations},
        {"cpu_idle_without_annotations_ns", a.cpu_idle_without_annotations},
        {"profiler_steps", a.profiler_steps},
        // analyze --json's bool (review AK M1), as 0 or 1.
        {"cpu_bound_gpu_busy", a.cpu_bound_gpu_busy ? 1 : 0}};
    // As analyze --json: without GPU activity the launch figures are NULL, not 0, and the reason
    // is stored under undefined_reason.
    // And as there: a process without a launch callback leaves every launch sum unknown.
    const std::vector<const char*>& undefined = gpu_defined_keys();
    const std::vector<const char*>& launch_keys = launch_measured_keys();
    const bool unmeasured = !t.launch_coverage.measured();
    const auto listed = [](const std::vector<const char*>& keys, std::string_view k) {
      return std::any_of(keys.begin(), keys.end(), [&](const char* u) { return k == u; });
    };
    const auto is_undefined = [&](std::string_view k) {
      return (a.gpu_undefined() && listed(undefined, k)) || (unmeasured && listed(launch_keys, k)) ||
             (a.host_undefined() && listed(host_keys_without_thread(), k)) || (k == "api_time_ns" && a.api_time_unknown()) ||
             (k == "akd_ns" && a.akd_undefined()) ||
             // No launching thread: NULL, as analyze --json's null launch_thread (not the model's -1).
             (a.launch_thread_launches == 0 && (k == "launch_thread_pid" || k == "launch_thread_tid"));
    };
    for (auto& [k, v] : ints) {
      if (is_undefined(k))
        st.text(k).null().step();
      else
        st.text(k).i64(v).step();
    }
    // As analyze --json: a share of the inference latency (NULL below without one).
    const auto share = [&](ns_t x) {
      return a.inference_latency > 0 ? static_cast<double>(x) / static_cast<double>(a.inference_latency) : 0.0;
    };
    const std::pair<const char*, double> reals[] = {
        {"akd_ns", a.akd_ns}, {"gpu_idle_fraction", share(a.gpu_idle)}, {"cpu_idle_fraction", share(a.cpu_idle)},
        {"cpu_idle_without_annotations_fraction", share(a.cpu_idle_without_annotations)}};
    for (auto& [k, v] : reals) {
      // A share of an empty inference latency is unknown: NULL, as analyze --json (review AK L2).
      if (is_undefined(k) || (a.inference_latency <= 0 && std::string_view(k) != "akd_ns"))
        st.text(k).null().step();
      else
        st.text(k).dbl(v).step();
    }
    if (is_undefined("bound")) st.text("bound").null().step();
    else st.text("bound").opt_text(a.bound).step();
    // As analyze --json: what the IL window starts at (review CX L5).
    if (is_undefined("t_begin_from")) st.text("t_begin_from").null().step();
    else st.text("t_begin_from").text(a.t_begin_from).step();
    // Stored when analyze --json has it (review BD L8): why a trace with GPU work has no verdict.
    if (a.bound.empty() && !a.gpu_undefined()) st.text("bound_undefined_reason").text(a.bound_undefined_reason).step();
    if (a.gpu_undefined()) st.text("undefined_reason").text(a.gpu_undefined_reason()).step();
    if (a.host_undefined()) st.text("host_undefined_reason").text(a.host_undefined_reason).step();
    if (unmeasured) st.text("launch_undefined_reason").text(t.launch_coverage.unmeasured_reason).step();
    if (t.launch_coverage.partial()) st.text("launch_partial_note").text(t.launch_coverage.partial_note).step();
    // The API rows and orphan count of such a recording count what was recorded (as analyze --json says).
    if (const std::string note = recorded_calls_note(t.launch_coverage); !note.empty())
      st.text("recorded_calls_note").text(note).step();
    // analyze --json's launch_calls_bound object, flattened to the table's scalars: whether
    // launch_calls counts fewer than ran (0 or 1), and why (only when it does).
    const LaunchCountBound bound = launch_count_bound(t);
    st.text("launch_calls_lower_bound").i64(bound.lower_bound ? 1 : 0).step();
    if (bound.lower_bound) st.text("launch_calls_bound_reason").text(bound.cause).step();
  }
  if (a.host) {
    const HostAnalysis& h = *a.host;
    SqliteStmt th(db, "INSERT INTO host_thread_stat VALUES (?,?,?,?,?,?,?)");
    for (auto& x : h.threads)
      th.opt(x.pid).opt(x.tid).opt_text(t.str(x.comm)).i64(x.operators).i64(x.active).i64(x.idle).i64(h.span).step();
    rows["host_thread_stat"] = static_cast<int64_t>(h.threads.size());
  }
  {
    // Every trace: the operators by self time (the table kept its name from when only traces
    // without GPU activity had them).
    SqliteStmt op(db, "INSERT INTO host_operator_stat VALUES (?,?,?,?)");
    for (auto& o : a.by_self.operators) op.opt_text(t.str(o.name)).i64(o.count).i64(o.total).i64(o.self).step();
    rows["host_operator_stat"] = static_cast<int64_t>(a.by_self.operators.size());
  }
  {
    SqliteStmt st(db, "INSERT INTO api_stat VALUES (?,?,?,?,?,?,?,?,?)");
    for (auto& r : a.by_api) {
      st.opt_text(t.str(r.name)).text(api_kind_label(r.kind)).i64(r.calls).i64(r.linked);
      if (r.timed > 0) st.i64(r.api_total);
      else st.null();  // no call with a known duration: unknown, as analyze --json's null
      st.i64(r.latency_total).i64(r.launch_total).i64(r.queue_total).i64(r.timed).step();
    }
    rows["api_stat"] = static_cast<int64_t>(a.by_api.size());
  }
  {
    SqliteStmt st(db, "INSERT INTO kernel_stat VALUES (?,?,?,?,?,?,?,?,?,?)");
    for (auto& k : a.kernels_by_name)
      st.opt_text(t.str(k.name)).i64(k.count).i64(k.total).i64(k.min).i64(k.max)
          .dbl(k.count ? static_cast<double>(k.total) / static_cast<double>(k.count) : 0.0)
          .i64(k.launches).i64(k.latency).i64(k.launch_part).i64(k.queue_part).step();
    rows["kernel_stat"] = static_cast<int64_t>(a.kernels_by_name.size());
  }
  {
    SqliteStmt st(db, "INSERT INTO operator_stat VALUES (?,?,?,?,?,?,?,?)");
    for (auto& o : a.by_operator)
      st.opt_text(t.str(o.name)).i64(o.calls).i64(o.kernels).i64(o.launch_tax).i64(o.gpu_time).i64(o.cpu_time)
          .i64(o.launch_part).i64(o.queue_part).step();
    rows["operator_stat"] = static_cast<int64_t>(a.by_operator.size());
  }
  {
    SqliteStmt st(db, "INSERT INTO stream_stat VALUES (?,?,?,?,?,?,?)");
    for (auto& s : a.by_stream)
      st.opt(s.device).opt(s.stream).i64(s.kernels).i64(s.memcpys).i64(s.memsets).i64(s.busy)
          .i64(s.kernel_time).step();
    SqliteStmt dv(db, "INSERT INTO device_stat VALUES (?,?,?)");
    for (auto& d : a.by_device) dv.opt(d.device).i64(d.busy).i64(d.idle).step();
    // Counted as every other table is (review SQ L5: the summary line never listed these two).
    rows["stream_stat"] = static_cast<int64_t>(a.by_stream.size());
    rows["device_stat"] = static_cast<int64_t>(a.by_device.size());
  }
}

}  // namespace

SqliteSummary write_sqlite_file(const Trace& trace, const std::string& path, const SqliteAnalyses& analyses, int fd) {
  std::optional<SqliteDb> opened;
  if (fd >= 0)
    opened.emplace(path, fd);
  else
    opened.emplace(path);
  SqliteDb& db = *opened;
  SqliteSummary rows;
  db.exec(kSchema);
  db.exec("BEGIN");
  write_events(db, trace, rows);
  if (analyses.launch) write_launch_analysis(db, trace, *analyses.launch, rows);
  {
    SqliteStmt st(db, "INSERT INTO analysis_json VALUES (?, ?)");
    for (auto& [verb, doc] : analyses.json_results) st.text(verb).text(doc).step();
    rows["analysis_json"] = static_cast<int64_t>(analyses.json_results.size());
  }
  db.exec("COMMIT");
  db.exec(kIndexes);
  return rows;
}

}  // namespace infertrace
