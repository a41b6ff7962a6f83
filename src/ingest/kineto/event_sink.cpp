#include "ingest/kineto/event_sink.h"

#include "ingest/kineto/category_table.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace infertrace::kineto {

namespace {

bool has_control_char(std::string_view s) {
  unsigned char acc = 0;
  for (unsigned char c : s) acc |= static_cast<unsigned char>(c < 0x20);
  return acc != 0;
}

}  // namespace

StrId EventSink::intern_name(std::string_view s, bool escaped) {
  // The JSON text cannot hold a raw control character (the parser rejects one), so only a name
  // whose escapes were undone needs the scan.
  if (!escaped || !has_control_char(s)) return t_.strings.intern(s);
  // A name with a raw control character (JSON allows them escaped, e.g. "\u0007") would garble
  // terminal tables: keep the name readable and say that it was changed.
  std::string clean(s);
  for (char& c : clean) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  t_.count_skipped("names_with_control_chars_replaced");
  return t_.strings.intern(clean);
}

ApiKind EventSink::api_kind(StrId name, const RawEvent& e) {
  // The kind depends on the name alone, and a trace has few distinct API names: classify each once.
  // A name whose control characters were replaced is interned changed, so it is classified as it is.
  if (name == kNoString || e.name_escaped) return classify_api(e.name);
  if (name >= api_kind_of_.size()) api_kind_of_.resize(name + 1, kUnclassified);
  if (api_kind_of_[name] == kUnclassified) api_kind_of_[name] = static_cast<uint8_t>(classify_api(e.name));
  return static_cast<ApiKind>(api_kind_of_[name]);
}

EventSink::ThreadSeen& EventSink::thread_seen(int64_t pid, int64_t tid) {
  last_key_ = ThreadKey{pid, tid};
  last_thread_ = &threads_[last_key_];  // unordered_map references stay valid across inserts
  return *last_thread_;
}

bool EventSink::usable(const RawEvent& e, Cat cat) {
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
  return true;
}

void EventSink::add(const RawEvent& e) {
  ++added_;
  if (e.ph.size() != 1) {
    t_.count_skipped(e.ph.empty() ? "skipped_missing_ph" : "skipped_unknown_ph");
    return;
  }
  if (e.ph[0] == 'M') {
    // Metadata: thread names become the threads' comm.
    if (e.has_arg_name && e.name == "thread_name" && e.pid.ok() && e.tid.ok()) {
      threads_[ThreadKey{e.pid.v, e.tid.v}].comm = intern_name(e.arg_name, e.arg_name_escaped);
    } else if (e.has_arg_name && e.name == "process_name" && e.pid.ok()) {
      process_names_[e.pid.v] = std::string(e.arg_name);
    }
    return;
  }
  if (e.ph[0] != 'X') return;  // flows, instants, counters: context only

  const CatInfo info = classify_category(e.cat);
  const Cat cat = info.cat;
  if (cat == Cat::Other) return;
  const GpuKind kind = info.kind;
  const bool user_annotation = info.user_annotation;

  // Every check below fails on almost no event: test them all at once with bitwise operations
  // (one predictable branch), and only when one fails, find which in the original order.
  const auto bit = [](const IntField& f) { return 1u << static_cast<unsigned>(f.state); };
  constexpr unsigned kOk = 1u << static_cast<unsigned>(FieldState::Ok);
  constexpr unsigned kOutOfRange = 1u << static_cast<unsigned>(FieldState::OutOfRange);
  constexpr unsigned kBadType = 1u << static_cast<unsigned>(FieldState::BadType);
  const unsigned any_id = bit(e.correlation) | bit(e.device) | bit(e.stream) | bit(e.external_id) | bit(e.pid) |
                          bit(e.tid);
  const unsigned typed_ids =
      bit(e.correlation) | bit(e.external_id) | (cat == Cat::Gpu ? bit(e.device) | bit(e.stream) : 0u);
  const bool times_ok = (bit(e.ts) & bit(e.dur) & kOk) != 0;
  ns_t end;  // (meaningful only when times_ok: a missing field's v is -1)
  const bool overflow = __builtin_add_overflow(e.ts.v, e.dur.v, &end);
  const bool unusual = !times_ok | (e.dur.v < 0) | overflow | ((any_id & kOutOfRange) != 0) |
                       ((typed_ids & kBadType) != 0);
  if (unusual) [[unlikely]] {
    if (!usable(e, cat)) return;
  }
  zero_dur_ += e.dur.v == 0;

  StrId name = kNoString;
  if (e.has_name) name = e.name_escaped ? intern_name(e.name, true) : t_.strings.intern(e.name);
  switch (cat) {
    case Cat::Gpu: {
      if (e.device.ok() && (e.device.v < INT32_MIN || e.device.v > INT32_MAX)) {
        t_.count_skipped("skipped_int_out_of_range");
        return;
      }
      GpuActivity a;
      a.start = e.ts.v;
      a.dur = e.dur.v;
      a.kind = kind;
      a.device = e.device.ok() ? static_cast<int32_t>(e.device.v) : -1;
      a.stream = e.stream.ok() ? e.stream.v : -1;
      a.correlation = e.correlation.ok() ? e.correlation.v : -1;
      a.external_id = e.external_id.ok() ? e.external_id.v : -1;
      a.name = name;
      for (int i = 0; i < 3; ++i) {
        a.grid[i] = e.grid[i];
        a.block[i] = e.block[i];
      }
      t_.gpu.push(a);
      break;
    }
    case Cat::Api: {
      ApiCall c;
      c.start = e.ts.v;
      c.dur = e.dur.v;
      c.pid = e.pid.ok() ? e.pid.v : -1;
      c.tid = e.tid.ok() ? e.tid.v : -1;
      c.correlation = e.correlation.ok() ? e.correlation.v : -1;
      c.external_id = e.external_id.ok() ? e.external_id.v : -1;
      c.name = name;
      c.kind = api_kind(name, e);
      t_.api.push(c);
      if (e.pid.ok() && e.tid.ok()) note_thread(e.pid.v, e.tid.v, e.ts.v, end);
      break;
    }
    case Cat::Op: {
      Operator o;
      o.start = e.ts.v;
      o.dur = e.dur.v;
      o.pid = e.pid.ok() ? e.pid.v : -1;
      o.tid = e.tid.ok() ? e.tid.v : -1;
      o.external_id = e.external_id.ok() ? e.external_id.v : -1;
      o.name = name;
      o.user_annotation = user_annotation;
      t_.ops.push(o);
      if (e.pid.ok() && e.tid.ok()) note_thread(e.pid.v, e.tid.v, e.ts.v, end);
      break;
    }
    case Cat::Other:
      break;
  }
}

void EventSink::finish() {
  // Only threads that ran host events; GPU "threads" (pid = device, tid = stream) are not threads.
  std::vector<std::pair<ThreadKey, ThreadSeen>> rows;
  for (const auto& kv : threads_) {
    if (kv.second.has_events()) rows.push_back(kv);
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.first.pid != b.first.pid ? a.first.pid < b.first.pid : a.first.tid < b.first.tid;
  });
  for (const auto& [k, s] : rows) {
    ThreadInfo ti;
    ti.pid = k.pid;
    ti.tid = k.tid;
    ti.comm = s.comm;
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
}

}  // namespace infertrace::kineto
