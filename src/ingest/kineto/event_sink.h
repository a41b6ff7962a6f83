// Turns the fields of one Kineto trace event into rows of the Trace tables: decides by category
// whether it is a GPU activity, a CUDA API call or an operator (docs/metrics.md section 1, old and
// new spellings), counts what it cannot use in Trace::skipped, and collects the host threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ingest/kineto/category_table.h"
#include "ingest/kineto/column_rows.h"
#include "trace/thread_key.h"
#include "trace/trace.h"

namespace infertrace::kineto {

// How a numeric field came out of the JSON.
// Named: a pid or tid written as a string that is not an integer ("CPU functions"): a name, not a
// number (IntField::name). Not a bad value (bit 1 clear: EventSink::add_complete's fast test).
enum class FieldState : uint8_t { Missing = 0, Ok, BadType, OutOfRange, Named };

struct IntField {
  // (A constructor, not member initialisers, so that {state, v} still reads as before name_len.)
  constexpr IntField(FieldState s = FieldState::Missing, int64_t value = -1) : state(s), v(value) {}
  FieldState state;
  // Named: the text (without escapes) is at address v, name_len long, and the sink gives it an id
  // of its own (EventSink::named_id). name_len sits in the padding after `state` and is set only
  // with Named: two string views in RawEvent, or a zeroed name_len in each of its eight fields,
  // made the per-event initialisation 12 to 16 instructions longer.
  uint32_t name_len;
  int64_t v;
  bool ok() const { return state == FieldState::Ok; }
  bool named() const { return state == FieldState::Named; }
  std::string_view name() const { return {reinterpret_cast<const char*>(static_cast<intptr_t>(v)), name_len}; }
  void set_name(std::string_view s) {
    state = FieldState::Named;
    v = static_cast<int64_t>(reinterpret_cast<intptr_t>(s.data()));
    name_len = static_cast<uint32_t>(s.size());
  }
};
static_assert(sizeof(IntField) == 16);

// One event as the reader found it; string views are valid until the next document is parsed.
struct RawEvent {
  std::string_view ph, cat, name;
  bool has_name = false;
  bool name_escaped = false;  // escapes undone, or a raw DEL: only then can a name hold a control character
  IntField ts, dur;  // already in nanoseconds
  IntField pid, tid;  // (either can be a name: IntField::named())
  // args
  IntField correlation, device, stream, external_id;
  uint32_t grid[3] = {0, 0, 0}, block[3] = {0, 0, 0};
  std::string_view arg_name;  // metadata events: args.name
  bool has_arg_name = false;
  bool arg_name_escaped = false;
  int64_t offset = 0;  // byte offset of the event in the input (for messages)
  // args "duration": "not measured": infertrace's Chrome export of a call whose duration was not
  // recorded, written with "dur" 0 for the viewers (report/chrome_export.cpp).
  bool dur_not_measured = false;
  // args "zero_ts": "real": infertrace's Chrome export of an event whose start is exactly 0 in the
  // trace it came from (a legacy autograd trace's range opened as profiling began), so that the
  // Kineto rule for a ts of 0 (a zeroed field, EventSink::usable) does not leave it out (review RT M2).
  bool zero_ts_real = false;
  // args "cbid": the CUPTI callback id of a runtime or driver call. Read for one case only: old
  // Kineto named newer runtime ids "INVALID" (trace/runtime_cbid_names.h).
  IntField cbid{};
};

class EventSink {
 public:
  explicit EventSink(Trace& t) : t_(t), gpu_rows_(t.gpu), api_rows_(t.api), op_rows_(t.ops) {}
  // Leaves the tables with only the rows written, also when reading stopped before finish().
  ~EventSink() { trim_rows(); }
  EventSink(const EventSink&) = delete;
  EventSink& operator=(const EventSink&) = delete;
  void add(const RawEvent& e);
  // Events passed to add() so far.
  uint64_t events_added() const { return added_; }
  // Writes the thread table; call once after the last event.
  void finish();

 private:
  struct ThreadSeen {
    ns_t first = INT64_MAX, last = INT64_MIN;  // no host events yet while first > last
    StrId comm = kNoString;
    bool has_events() const { return first <= last; }
  };

  // A complete event ("X"): a row of the GPU, API or operator table, or nothing. Not inlined into
  // add(), so that add() saves no registers (see there).
  [[gnu::noinline]] void add_complete(const RawEvent& e);
  // A complete event of a category the tables do not keep: its start goes to
  // Trace::other_host_starts when it is a host event (not the profiler's own, not a device's).
  [[gnu::cold]] void add_other_host(const RawEvent& e);
  // Metadata ("M") and unknown or missing phases (few: out of line).
  void add_not_complete(const RawEvent& e);
  StrId intern_name(std::string_view s, bool escaped);
  // The name as intern_name stores it (control characters and DEL as '?', counted), for a name
  // kept outside the string table: a process_name (review DG L8: kept raw before).
  std::string cleaned_name(std::string_view s, bool escaped);
  ApiKind api_kind(StrId name, const RawEvent& e) {
    // The kind depends on the name alone, and a trace has few distinct API names: classified once
    // per name (api_kind_slow); entry 0 (no name) stays unclassified, so it always goes there.
    if (name < api_kind_of_.size() && !e.name_escaped) [[likely]] {
      const uint8_t k = api_kind_of_[name];
      if (k != kUnclassified) [[likely]]
        return static_cast<ApiKind>(k);
    }
    return api_kind_slow(name, e);
  }
  ApiKind api_kind_slow(StrId name, const RawEvent& e);
  // The name of a call written as "INVALID": its runtime API by args.cbid, or `name` as it is.
  StrId invalid_api_name(const RawEvent& e, StrId name);
  // Checks, in order, what makes an event unusable, and counts the first failure in Trace::skipped.
  bool usable(const RawEvent& e, Cat cat, bool legacy);  // legacy: an event of the legacy export (no category)
  void trim_rows() {
    gpu_rows_.trim();
    api_rows_.trim();
    op_rows_.trim();
  }
  // A pid or tid that is a name, not a number: each distinct name gets an id counting down from
  // -2 (-1 stays "none"), pids and tids separately, in order of first use (docs/ingest.md,
  // "Named pids and tids"). A number below -1 is read as a name too, its decimal text ("-2"):
  // no OS gives such an id, and kept as a number it would be some name's id.
  struct NamedIds {
    std::map<std::string, int64_t, std::less<>> ids;
    int64_t next = -2;
  };
  static int64_t named_id(NamedIds& n, std::string_view name);
  // One pid or tid as stored: the number, the named id, or -1.
  static int64_t stored_id(NamedIds& n, const IntField& f);
  // Whether a pid or tid field was given (a number, -1 included, or a name). An API call or
  // operator makes a thread row when both of its fields are (docs/ingest.md, "Named pids and
  // tids"): the fast path tests ok() alone, as it only sees numbers.
  static bool present(const IntField& f) { return f.ok() || f.named(); }
  // The event's pid and tid as stored (stored_id).
  [[gnu::noinline]] std::pair<int64_t, int64_t> named_thread(const RawEvent& e);
  // Whether the event may need named_thread(): a named pid or tid, or a number below -1. One test
  // for both numbers (the hot path: ~3 instructions an event): v + 1 is negative for a v below -1,
  // so the OR of the two sums has the sign bit when either has. A false alarm only costs the slow
  // path, which reads every field exactly (a v of INT64_MAX wraps round; a name's v is its address,
  // a missing or bad field's -1).
  static bool needs_named_thread(const RawEvent& e) {
    const uint64_t sums = (static_cast<uint64_t>(e.pid.v) + 1) | (static_cast<uint64_t>(e.tid.v) + 1);
    return (((static_cast<unsigned>(e.pid.state) | static_cast<unsigned>(e.tid.state)) & 4u) != 0) |
           (static_cast<int64_t>(sums) < 0);
  }
  // The record of a thread not the last one seen (a hash lookup).
  ThreadSeen& thread_seen(int64_t pid, int64_t tid);
  void note_thread(int64_t pid, int64_t tid, ns_t start, ns_t end) {
    // Host events come in long runs from one thread: skip the hash lookup for a repeat.
    ThreadSeen& s = last_thread_ && last_key_.pid == pid && last_key_.tid == tid ? *last_thread_ : thread_seen(pid, tid);
    // A new record holds first = INT64_MAX, last = INT64_MIN, so min and max need no branch.
    s.first = std::min(s.first, start);
    s.last = std::max(s.last, end);
  }

  Trace& t_;
  ColumnRows<GpuActivityTable> gpu_rows_;
  ColumnRows<ApiCallTable> api_rows_;
  ColumnRows<OperatorTable> op_rows_;
  std::unordered_map<ThreadKey, ThreadSeen, ThreadKeyHash> threads_;
  std::map<int64_t, std::string> process_names_;
  NamedIds named_pids_, named_tids_;
  ThreadKey last_key_{-1, -1};
  ThreadSeen* last_thread_ = nullptr;
  int64_t zero_dur_ = 0;  // kept, but reported in Trace::meta
  int64_t invalid_resolved_ = 0, invalid_kept_ = 0;  // "INVALID" calls: Trace::invalid_api_names_*
  int64_t skipped_gpu_ = 0;  // GPU rows left out (their reason is in Trace::skipped): Trace::meta
  uint64_t added_ = 0;
  static constexpr uint8_t kUnclassified = 0xFF;
  std::vector<uint8_t> api_kind_of_;  // ApiKind by name id, kUnclassified until first seen
};

}  // namespace infertrace::kineto
