#include "ingest/kineto/event_sink.h"

#include "ingest/kineto/category_table.h"
#include "trace/runtime_cbid_names.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

namespace infertrace::kineto {

namespace {

// A C0 control character or DEL (0x7F), as util/text_clean.h counts them.
bool is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }

bool has_control_char(std::string_view s) {
  unsigned char acc = 0;
  for (unsigned char c : s) acc |= static_cast<unsigned char>(is_control(c));
  return acc != 0;
}

}  // namespace

StrId EventSink::intern_name(std::string_view s, bool escaped) {
  // The JSON text cannot hold a raw C0 control character (the parser rejects one); it may hold a
  // raw DEL, which JSON allows, but then the reader sets `escaped` too (piece_reader_impl.h str()).
  // So only such a name needs the scan.
  if (!escaped || !has_control_char(s)) return t_.strings.intern(s);
  return t_.strings.intern(cleaned_name(s, escaped));
}

std::string EventSink::cleaned_name(std::string_view s, bool escaped) {
  if (!escaped || !has_control_char(s)) return std::string(s);
  // A name with a raw control character (JSON allows them escaped, e.g. "\u0007") would garble
  // terminal tables: keep the name readable and say that it was changed.
  std::string clean(s);
  for (char& c : clean) {
    if (is_control(static_cast<unsigned char>(c))) c = '?';
  }
  t_.count_cleaned("names_with_control_chars_replaced");
  return clean;
}

ApiKind EventSink::api_kind_slow(StrId name, const RawEvent& e) {
  // A name whose control characters were replaced is interned changed, so it is classified as it is.
  if (name == kNoString || e.name_escaped) return classify_api(e.name);
  if (name >= api_kind_of_.size()) api_kind_of_.resize(name + 1, kUnclassified);
  if (api_kind_of_[name] == kUnclassified) api_kind_of_[name] = static_cast<uint8_t>(classify_api(e.name));
  return static_cast<ApiKind>(api_kind_of_[name]);
}

StrId EventSink::invalid_api_name(const RawEvent& e, StrId name) {
  // Runtime callback ids only: a driver call's id is in another numbering (cupti_driver_cbid.h).
  const bool runtime = e.cat == "cuda_runtime" || e.cat == "Runtime";
  const std::string_view api = runtime && e.cbid.ok() ? runtime_api_of_cbid(e.cbid.v) : std::string_view();
  if (api.empty()) {
    ++invalid_kept_;
    return name;
  }
  ++invalid_resolved_;
  return t_.strings.intern(api);
}

EventSink::ThreadSeen& EventSink::thread_seen(int64_t pid, int64_t tid) {
  last_key_ = ThreadKey{pid, tid};
  last_thread_ = &threads_[last_key_];  // unordered_map references stay valid across inserts
  return *last_thread_;
}

namespace {

// The legacy export's device processes: "<DEVICE> functions" other than "CPU functions" (torch
// writes "CUDA functions", and forks their own device names).
bool is_legacy_device_pid(std::string_view pid) {
  constexpr std::string_view kSuffix = " functions";
  return pid.size() > kSuffix.size() && pid.substr(pid.size() - kSuffix.size()) == kSuffix && pid != "CPU functions";
}

}  // namespace

bool EventSink::usable(const RawEvent& e, Cat cat, bool legacy) {
  // Times: an event we would place at a wrong time is worse than one we leave out and count.
  if (e.ts.state != FieldState::Ok || e.dur.state != FieldState::Ok) {
    const FieldState bad = e.ts.state != FieldState::Ok ? e.ts.state : e.dur.state;
    const bool ts_bad = e.ts.state != FieldState::Ok;
    if (bad == FieldState::Missing)
      t_.count_skipped(ts_bad ? "skipped_missing_ts" : "skipped_missing_dur");
    else if (bad == FieldState::BadType)
      t_.count_skipped(ts_bad ? "skipped_bad_type_ts" : "skipped_bad_type_dur");
    else
      t_.count_skipped("skipped_int_out_of_range");
    return false;
  }
  if (e.dur.v < 0) {
    t_.count_skipped("skipped_negative_dur");
    return false;
  }
  // Kineto writes absolute times (microseconds of a system clock, 10^12 and more): a ts of exactly 0
  // is a field a tool zeroed, and kept it would stretch every span (inference latency, a launch's
  // latency) across the whole clock. The legacy export counts from the profile's start, where 0
  // is a real time (a range opened as profiling began). So is one that infertrace's Chrome export
  // marked (args "zero_ts": "real", RawEvent::zero_ts_real): it writes the times of the trace it
  // read, where a legacy trace's 0 was kept, and writes them as a Kineto trace's (category, numeric
  // pid), which the legacy rule no longer recognises (review RT M2).
  if (e.ts.v == 0 && !legacy && !e.zero_ts_real) {
    t_.count_skipped("skipped_zero_ts");
    return false;
  }
  if (e.ts.v > INT64_MAX - e.dur.v) {
    t_.count_skipped("skipped_int_out_of_range");
    return false;
  }
  // Identifiers: a present but unusable id would silently break links, so the event is left out.
  for (const IntField* f : {&e.correlation, &e.device, &e.stream, &e.external_id, &e.pid, &e.tid}) {
    if (f->state == FieldState::OutOfRange) {
      t_.count_skipped("skipped_int_out_of_range");
      return false;
    }
  }
  if (e.correlation.state == FieldState::BadType || e.external_id.state == FieldState::BadType ||
      (cat == Cat::Gpu && (e.device.state == FieldState::BadType || e.stream.state == FieldState::BadType))) {
    t_.count_skipped("skipped_bad_type_arg");
    return false;
  }
  // A correlation id below -1 on a call or a GPU row (review CX L2). CUPTI's ids are unsigned and
  // Kineto writes them as they are, so a negative one comes from a damaged or synthetic file; -1
  // stays "no id" (the value of the id column for none, which infertrace's own Chrome export writes
  // for GPU work without a call). Read as "no id", the call and its GPU work were reported as
  // orphans "whose correlation matches no API call" though their ids matched, and TKLQT lost them
  // silently; left out and counted here, as any other unusable id is.
  if (e.correlation.ok() && e.correlation.v < -1 && (cat == Cat::Gpu || cat == Cat::Api)) {
    t_.count_skipped("skipped_negative_correlation");
    return false;
  }
  return true;
}

int64_t EventSink::named_id(NamedIds& n, std::string_view name) {
  auto it = n.ids.find(name);
  if (it == n.ids.end()) it = n.ids.emplace(std::string(name), n.next--).first;
  return it->second;
}

int64_t EventSink::stored_id(NamedIds& n, const IntField& f) {
  if (f.named()) return named_id(n, f.name());
  if (!f.ok()) return -1;
  // -1 stays the number it is ("none"); below it, the number is read as a name (its decimal text:
  // 12 and "12" are one pid, so -2 and "-2" are one name too), which a named id cannot collide with.
  // (Formatted on the stack: the map takes a string_view lookup, so only a new name allocates.)
  if (f.v < -1) [[unlikely]] {
    char text[24];  // INT64_MIN is 20 characters
    const auto r = std::to_chars(text, text + sizeof(text), f.v);
    return named_id(n, std::string_view(text, static_cast<size_t>(r.ptr - text)));
  }
  return f.v;
}

std::pair<int64_t, int64_t> EventSink::named_thread(const RawEvent& e) {
  return {stored_id(named_pids_, e.pid), stored_id(named_tids_, e.tid)};
}

void EventSink::add_not_complete(const RawEvent& e) {
  if (e.ph.size() != 1) {
    t_.count_skipped(e.ph.empty() ? "skipped_missing_ph" : "skipped_unknown_ph");
    return;
  }
  if (e.ph[0] == 'M') {
    // Metadata: thread names become the threads' comm, also of a named pid or tid.
    if (e.has_arg_name && e.name == "thread_name" && present(e.pid) && present(e.tid)) {
      const auto [pid, tid] = named_thread(e);
      auto& thread = threads_[ThreadKey{pid, tid}];
      // "thread N" for thread N itself is no name: it is what an export gives a nameless thread's
      // track (every track is named there), and read as a name it made a nameless thread "thread 1"
      // after an --chrome round trip (review FMT L5).
      if (e.arg_name_escaped || e.arg_name != "thread " + std::to_string(tid))
        thread.comm = intern_name(e.arg_name, e.arg_name_escaped);
    } else if (e.has_arg_name && e.name == "process_name" && present(e.pid)) {
      // The pid alone: a process_name's tid (0, or anything) names nothing, and numbering it would
      // shift the ids of the named tids used after it.
      process_names_[stored_id(named_pids_, e.pid)] = cleaned_name(e.arg_name, e.arg_name_escaped);
    }
  }
}

void EventSink::add(const RawEvent& e) {
  ++added_;
  // Only the dispatch, with the work in tail calls: an event that makes no row (flows, instants,
  // counters: a quarter of a trace) then costs no register saves and restores.
  if (e.ph.size() == 1 && e.ph[0] == 'X') [[likely]]
    return add_complete(e);
  // Flows, instants and counters are context only: only metadata and bad phases go further.
  if (e.ph.size() != 1 || e.ph[0] == 'M') return add_not_complete(e);
}

void EventSink::add_complete(const RawEvent& e) {
  const CatInfo info = classify_category(e.cat);  // (no category: an operator of the legacy export)
  const Cat cat = info.cat;
  if (cat == Cat::Other) return add_other_host(e);
  // Only the legacy autograd export writes complete events without a category: its host events
  // under pid "CPU functions", its device events (kernels) under "CUDA functions" (the device's
  // name, "NPU functions", ...) with the device as tid and no correlation. Those are not read as
  // GPU activity (nothing links them to their launches), and must not become host operators
  // either: they are counted as skipped.
  // (A named pid too: the legacy export always writes one; a hand-edited Kineto trace with an empty
  // category and a numeric pid keeps Kineto's rules, ts 0 included.)
  const bool legacy = e.cat.empty() && e.pid.named();
  if (legacy && is_legacy_device_pid(e.pid.name())) [[unlikely]] {
    t_.count_skipped("skipped_legacy_device_event");
    return;
  }

  // Almost every event has its times and no bad or out-of-range field (FieldState BadType = 2 and
  // OutOfRange = 3 both have bit 1; Missing = 0 and Ok = 1 do not): one test of all the states
  // ORed together, and of the two times, passes those. The rest (which may still be usable: a
  // bad pid, say) is checked exactly, in the original order, by usable().
  static_assert(static_cast<unsigned>(FieldState::Named) == 4);  // (needs_named_thread)
  static_assert(static_cast<unsigned>(FieldState::Missing) == 0 && static_cast<unsigned>(FieldState::Ok) == 1 &&
                static_cast<unsigned>(FieldState::BadType) == 2 && static_cast<unsigned>(FieldState::OutOfRange) == 3);
  const unsigned states = static_cast<unsigned>(e.ts.state) | static_cast<unsigned>(e.dur.state) |
                          static_cast<unsigned>(e.pid.state) | static_cast<unsigned>(e.tid.state) |
                          static_cast<unsigned>(e.correlation.state) | static_cast<unsigned>(e.device.state) |
                          static_cast<unsigned>(e.stream.state) | static_cast<unsigned>(e.external_id.state);
  const unsigned both_times = static_cast<unsigned>(e.ts.state) & static_cast<unsigned>(e.dur.state);
  ns_t end;  // (meaningful only when both times are Ok: a missing field's v is -1)
  const bool overflow = __builtin_add_overflow(e.ts.v, e.dur.v, &end);
  // (A correlation below -1 goes to usable(), which leaves a call's or GPU row's out: review CX L2.)
  const bool plain = ((states & 2u) == 0) & ((both_times & 1u) != 0) & (e.dur.v >= 0) & !overflow & ((e.ts.v != 0) | legacy) &
                     (e.correlation.v >= -1);
  if (!plain) [[unlikely]] {
    if (!usable(e, cat, legacy)) {
      skipped_gpu_ += cat == Cat::Gpu;  // a trace whose every GPU row is unusable is not a CPU-only one
      return;
    }
  }
  zero_dur_ += e.dur.v == 0;

  StrId name = kNoString;
  if (e.has_name) name = e.name_escaped ? intern_name(e.name, true) : t_.strings.intern(e.name);
  // Missing identifiers read -1 (their v may hold anything else). The value is loaded first so
  // that GCC picks with a conditional move: for `ok() ? v : -1` it made a jump per field.
  const auto id = [](const IntField& f) {
    const int64_t v = f.v;
    return f.state == FieldState::Ok ? v : int64_t{-1};
  };
  switch (cat) {
    case Cat::Gpu: {
      if (e.device.ok() && (e.device.v < INT32_MIN || e.device.v > INT32_MAX)) {
        t_.count_skipped("skipped_int_out_of_range");
        ++skipped_gpu_;
        return;
      }
      const size_t i = gpu_rows_.next();
      GpuActivityTable& g = t_.gpu;
      g.start[i] = e.ts.v;
      g.dur[i] = e.dur.v;
      g.kind[i] = info.kind;
      // Kineto writes a GPU row's device as its pid and its stream as its tid too: a row without
      // args.device (args.stream) takes them from there, so rows of two GPUs are not one device -1
      // whose kernels fusion chains together (review CX L6).
      int64_t device = id(e.device), stream = id(e.stream);
      if (!e.device.ok() && e.pid.ok() && e.pid.v >= 0 && e.pid.v <= INT32_MAX) [[unlikely]]
        device = e.pid.v;
      if (!e.stream.ok() && e.tid.ok() && e.tid.v >= 0) [[unlikely]]
        stream = e.tid.v;
      g.device[i] = static_cast<int32_t>(device);  // (in int32 range: checked above, or just now)
      g.stream[i] = stream;
      g.correlation[i] = id(e.correlation);
      g.external_id[i] = id(e.external_id);
      g.name[i] = name;
      g.grid_x[i] = e.grid[0];
      g.grid_y[i] = e.grid[1];
      g.grid_z[i] = e.grid[2];
      g.block_x[i] = e.block[0];
      g.block_y[i] = e.block[1];
      g.block_z[i] = e.block[2];
      break;
    }
    case Cat::Api: {
      // PyTorch 2.0 and older wrote newer runtime calls (cudaLaunchKernelExC above all) as
      // "INVALID": named by their callback id, or they were no launch calls (review KV58 H1).
      // (Classified by the name it gets: api_kind() reads the event's own text on a first sight.)
      const bool invalid = e.name.size() == 7 && e.name == "INVALID";
      if (invalid) [[unlikely]]
        name = invalid_api_name(e, name);
      const ApiKind kind = invalid ? classify_api(t_.str(name)) : api_kind(name, e);
      const size_t i = api_rows_.next();
      ApiCallTable& a = t_.api;
      a.start[i] = e.ts.v;
      a.dur[i] = e.dur.v;
      // A call the export marked "not measured" is written with dur 0 for the viewers: its duration
      // is unknown (-1, as in the recording it came from), not a measured zero (review RT M1: a round
      // trip through --chrome turned 4,556 unmeasured launch calls into zero-length ones, and a
      // linked launch's whole latency from its launch part into its queue part).
      if (e.dur_not_measured && e.dur.v == 0) [[unlikely]] {
        a.dur[i] = -1;
        --zero_dur_;
      }
      a.pid[i] = id(e.pid);
      a.tid[i] = id(e.tid);
      a.cpu[i] = -1;  // Kineto does not say
      a.correlation[i] = id(e.correlation);
      a.external_id[i] = id(e.external_id);
      a.stream[i] = -1;  // nor this (a launch's stream is on its kernel)
      a.name[i] = name;
      a.kind[i] = kind;
      if (needs_named_thread(e)) [[unlikely]] {
        const auto [pid, tid] = named_thread(e);
        a.pid[i] = pid, a.tid[i] = tid;
        if (present(e.pid) && present(e.tid)) note_thread(pid, tid, e.ts.v, end);
        break;
      }
      if (e.pid.ok() && e.tid.ok()) note_thread(e.pid.v, e.tid.v, e.ts.v, end);
      break;
    }
    case Cat::Op: {
      const size_t i = op_rows_.next();
      OperatorTable& o = t_.ops;
      o.start[i] = e.ts.v;
      o.dur[i] = e.dur.v;
      o.pid[i] = id(e.pid);
      o.tid[i] = id(e.tid);
      o.external_id[i] = id(e.external_id);
      o.name[i] = name;
      o.user_annotation[i] = info.user_annotation ? 1 : 0;
      if (needs_named_thread(e)) [[unlikely]] {
        const auto [pid, tid] = named_thread(e);
        o.pid[i] = pid, o.tid[i] = tid;
        if (present(e.pid) && present(e.tid)) note_thread(pid, tid, e.ts.v, end);
        break;
      }
      if (e.pid.ok() && e.tid.ok()) note_thread(e.pid.v, e.tid.v, e.ts.v, end);
      break;
    }
    case Cat::Other:
      break;
  }
}

void EventSink::add_other_host(const RawEvent& e) {
  // Categories that are not the traced program's host work, and so do not open the inference
  // latency window of a trace without operators (docs/metrics.md "Inference latency"):
  //   - the profiler's own bookkeeping: "Trace" is Kineto's span of the whole profiling window
  //     ("PyTorch Profiler (0)" on the "Spans" track: it starts before the first event the program
  //     made, when the profiler was armed), and "overhead" ("Overhead" in older Kineto) is CUPTI's
  //     own time (e.g. "Activity Buffer Request"), which the program did not ask for; every
  //     fixture in tests/ has one of each;
  //   - ranges on a device's track that are not read as GPU activity: "gpu_user_annotation" (a
  //     record_function range as the GPU ran it), "cuda_sync" (CUPTI's synchronization records on
  //     a stream's track) and "cuda_profiler_range" (CUPTI profiler ranges).
  //   - the OS events of a recording as infertrace's --chrome export writes them (syscall, on_cpu,
  //     hardirq, softirq, recorder_loss: report/export_categories.h; no Kineto trace has them): the
  //     recording had no such host starts, so its export read back has none either (a syscall
  //     before the first CUDA call would have moved the start of its inference latency).
  // Every other category of a complete event (python_function above all, a runtime of another
  // vendor, a category of a newer Kineto) is a host event.
  static constexpr std::string_view kNotHost[] = {"Trace",         "overhead",  "Overhead", "gpu_user_annotation",
                                                  "cuda_sync",     "cuda_profiler_range",   "syscall",
                                                  "on_cpu",        "hardirq",   "softirq",  "recorder_loss"};
  for (const std::string_view c : kNotHost)
    if (e.cat == c) return;
  // Only a usable start: a ts of 0 is a zeroed field in a Kineto trace (as usable() reads it); an
  // event without one says nothing. Nothing is counted as skipped: these events were never rows.
  if (!e.ts.ok() || (e.ts.v == 0 && !e.zero_ts_real)) return;
  t_.other_host_starts.push_back(e.ts.v);
}

void EventSink::finish() {
  trim_rows();
  // Only threads that ran host events; GPU "threads" (pid = device, tid = stream) are not threads.
  std::vector<std::pair<ThreadKey, ThreadSeen>> rows;
  for (const auto& kv : threads_) {
    if (kv.second.has_events()) rows.push_back(kv);
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.first.pid != b.first.pid ? a.first.pid < b.first.pid : a.first.tid < b.first.tid;
  });
  for (const auto& [name, id] : named_pids_.ids)
    process_names_.try_emplace(id, name);  // a process_name event says it better
  std::map<int64_t, std::string_view> tid_names;
  for (const auto& [name, id] : named_tids_.ids) tid_names.emplace(id, name);
  for (const auto& [k, s] : rows) {
    ThreadInfo ti;
    ti.pid = k.pid;
    ti.tid = k.tid;
    ti.comm = s.comm;
    if (ti.comm == kNoString && tid_names.count(k.tid)) ti.comm = t_.strings.intern(tid_names[k.tid]);
    ti.first_ts = s.first;
    ti.last_ts = s.last;
    t_.threads.push(ti);
  }
  // Process names only for processes with host events (Kineto also names one per GPU).
  for (const auto& [k, s] : rows) {
    auto it = process_names_.find(k.pid);
    if (it != process_names_.end()) t_.meta["process_name." + std::to_string(k.pid)] = it->second;
  }
  if (zero_dur_ > 0) t_.meta["kineto.zero_duration_events"] = std::to_string(zero_dur_);
  if (invalid_resolved_ > 0) t_.meta["invalid_api_names_resolved"] = std::to_string(invalid_resolved_);
  if (invalid_kept_ > 0) t_.meta["invalid_api_names_kept"] = std::to_string(invalid_kept_);
  if (skipped_gpu_ > 0) t_.meta["skipped_gpu_events"] = std::to_string(skipped_gpu_);
}

}  // namespace infertrace::kineto
