// The body of the simdjson part of the Kineto reader (piece_reader.h), included by exactly one
// .cpp per parser kernel. The including file first includes the standard headers and simdjson.h
// for its kernel and defines INFERTRACE_KINETO_KERNEL_NS, the namespace this copy lives in.
// No include guard: each kernel file includes it once.
#ifndef INFERTRACE_KINETO_KERNEL_NS
#error "define INFERTRACE_KINETO_KERNEL_NS before including piece_reader_impl.h"
#endif

#include <algorithm>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "ingest/kineto/event_scan_impl.h"
#include "ingest/kineto/event_sink.h"
#include "ingest/input_pages.h"
#include "ingest/kineto/json_number.h"
#include "ingest/kineto/json_string.h"
#include "ingest/kineto/piece_reader.h"
#include "ingest/kineto/string_id.h"
#include "ingest/kineto/structure_scan.h"
#include "ingest/kineto/table_prefault.h"
#include "ingest/kineto/value_token.h"
#include "util/error.h"
#include "util/text_clean.h"

// The per-event loop, with everything it calls inlined into it (simdjson's functions included,
// whether or not the including file lets simdjson force its own inlining).
#if defined(__GNUC__)
#define INFERTRACE_KINETO_FLATTEN __attribute__((flatten))
#else
#define INFERTRACE_KINETO_FLATTEN
#endif

namespace infertrace::kineto::INFERTRACE_KINETO_KERNEL_NS {

namespace ond = simdjson::ondemand;

namespace {

// Keys are compared with the direct scan's key_is<"...">(k) (event_scan_impl.h): the raw key text
// at `k` (just after the opening quote) is exactly the name, then the closing quote. Every key lies
// in a document followed by simdjson's padding (64 bytes), so the 16 bytes it reads for these
// names are there.

enum class PieceKind : uint8_t { Whole, First, Middle, Last };

// Parses one document (the whole input, or one wrapped piece of it) and feeds its events to a sink.
class PieceParser {
 public:
  PieceParser(const std::string& file, const ReadOptions& opts, size_t input_size, Trace& t, EventSink& sink)
      : file_(file), opts_(opts), input_size_(input_size), t_(t), sink_(sink) {}

  void reserve(size_t max_len) {
    if (auto err = parser_.allocate(max_len)) throw Error(std::string("cannot allocate the JSON parser: ") + simdjson::error_message(err));
  }

  // buf[0, len) followed by >= simdjson::SIMDJSON_PADDING readable bytes. The input byte at offset `origin`
  // is buf[prefix] (the bytes before it are the synthetic wrapper).
  void parse(const char* buf, size_t len, PieceKind kind, bool object_form, size_t prefix, int64_t origin) {
    buf_ = buf;
    len_ = len;
    prefix_ = prefix;
    origin_ = origin;
    if (auto err = parser_.iterate(buf, len, len + simdjson::SIMDJSON_PADDING).get(doc_)) fail_code(err);
    ond::json_type type;
    if (auto err = doc_.type().get(type)) fail_code(err);
    if (type == ond::json_type::object) {
      ond::object obj;
      check(doc_.get_object().get(obj));
      int events_keys = 0;
      bool first_key = true, last_was_events = false;
      for (auto fr : obj) {
        ond::field f = take(std::move(fr));
        const char* k = f.key().raw();
        ond::value v = f.value();
        if (key_is<"traceEvents">(k)) {
          if (kind == PieceKind::Last && !first_key) fail(k, "the traceEvents array is split in the wrong place");
          if (++events_keys > 1) fail(k, "the key traceEvents appears twice");
          read_events(v, k);
          last_was_events = true;
        } else {
          read_meta(f, v);
          last_was_events = false;
        }
        first_key = false;
      }
      if (events_keys == 0) fail(buf + prefix, "no traceEvents array: not a Kineto/Chrome trace");
      if (kind == PieceKind::First && !last_was_events) fail(buf + len, "the traceEvents array is split in the wrong place");
    } else if (type == ond::json_type::array) {
      if (object_form && kind != PieceKind::Middle) fail(buf + prefix, "the traceEvents array is split in the wrong place");
      ond::array arr;
      check(doc_.get_array().get(arr));
      read_event_array(arr);
    } else {
      fail(buf + prefix, "the document is neither an object nor an array: not a Kineto/Chrome trace");
    }
    // current_location() fails with OUT_OF_BOUNDS once the whole text has been consumed.
    if (auto loc = doc_.current_location(); !loc.error())
      fail(loc.value_unsafe(), "unexpected content after the end of the JSON document");
  }

 private:
  int64_t offset_of(const char* p) const {
    int64_t off = origin_ + (static_cast<int64_t>(p - buf_) - static_cast<int64_t>(prefix_));
    if (off < 0) off = 0;
    if (off > static_cast<int64_t>(input_size_)) off = static_cast<int64_t>(input_size_);
    return off;
  }

  [[noreturn]] void fail(const char* at, const std::string& what) const {
    std::string msg = what;
    if (opts_.decompressed) msg += " (offset in the decompressed JSON)";
    throw InputError(file_, offset_of(at), msg);
  }

  // A simdjson error: find the byte it is about as precisely as we can.
  [[noreturn]] void fail_code(simdjson::error_code err) {
    const char* at = nullptr;
    const auto* b = reinterpret_cast<const unsigned char*>(buf_);
    if (err == simdjson::UTF8_ERROR) {
      at = buf_ + first_invalid_utf8(b, len_);
    } else if (err == simdjson::UNESCAPED_CHARS) {
      at = buf_ + first_unescaped_control(b, len_);
    } else if (err == simdjson::INCOMPLETE_ARRAY_OR_OBJECT && content_after_document(b, len_) < len_) {
      // A whole document with more text after it (an appended line), not a cut-off file.
      fail(buf_ + content_after_document(b, len_), "unexpected content after the end of the JSON document");
    } else if (err == simdjson::UNCLOSED_STRING || err == simdjson::INCOMPLETE_ARRAY_OR_OBJECT ||
               err == simdjson::EMPTY) {
      at = buf_ + len_;
    } else if (auto loc = doc_.current_location(); !loc.error()) {
      at = loc.value_unsafe();
    } else {
      at = buf_ + len_;
    }
    std::string what = simdjson::error_message(err);
    if (at >= buf_ + len_ - (len_ > 0 ? 1 : 0)) what += " (is the file truncated?)";
    fail(at, "invalid JSON: " + what);
  }

  void check(simdjson::error_code err) {
    if (err) fail_code(err);
  }

  // A field out of its result. Not `ond::field f; r.get(f)`: field is a std::pair, and the pair's
  // default constructor is generic code that cannot inline the AVX2 build of simdjson's.
  ond::field take(simdjson::simdjson_result<ond::field>&& r) {
    if (auto err = r.error()) fail_code(err);
    return std::move(r).value_unsafe();
  }

  void read_events(ond::value v, const char* key) {
    ond::array arr;
    if (auto err = v.get_array().get(arr)) {
      if (err == simdjson::INCORRECT_TYPE) fail(key, "traceEvents is not an array");
      fail_code(err);
    }
    read_event_array(arr);
  }

  INFERTRACE_KINETO_FLATTEN void read_event_array(ond::array arr) {
    for (auto er : arr) {
      ond::value ev;
      check(std::move(er).get(ev));
      ond::object o;
      if (auto err = ev.get_object().get(o)) {
        if (err != simdjson::INCORRECT_TYPE) fail_code(err);
        check_passed_over(ev);
        t_.count_skipped("skipped_not_an_object");
        continue;
      }
      RawEvent e;
      if (!lenient_.empty()) [[unlikely]] lenient_.clear();  // the last event's strings are in the sink now
      read_event(o, e);
      sink_.add(e);
    }
  }

  // A string field; a value of another type is left as "missing" (the sink counts it). A string
  // with no escapes (nearly every one) is taken from the input as it stands: no copy into the
  // parser's string buffer, no unescaping. Stage 1 already checked it (UTF-8, no raw control
  // characters), and its token runs from the opening quote to the closing one plus whitespace.
  // `escaped` is set when escapes were undone, or when the text holds a raw DEL (0x7F, which JSON
  // allows unescaped): only then can the text hold a control character (event_sink.cpp).
  void str(ond::value& v, std::string_view& out, bool* present = nullptr, bool* escaped = nullptr) {
    const std::string_view tok = v.raw_json_token();
    if (tok.empty() || tok[0] != '"') {
      check_passed_over(v);  // not a string: left missing, but it must be JSON
      return;
    }
    size_t end = tok.size();
    while (end > 2 && is_json_space(tok[end - 1])) --end;
    if (end >= 2 && tok[end - 1] == '"' && std::memchr(tok.data() + 1, '\\', end - 2) == nullptr) {
      out = tok.substr(1, end - 2);
      if (present) *present = true;
      if (escaped && std::memchr(out.data(), 0x7F, out.size()) != nullptr) [[unlikely]] *escaped = true;
      return;
    }
    get_string(v, out);
    if (present) *present = true;
    if (escaped) *escaped = true;
  }

  // simdjson's get_string(), except that an unpaired UTF-16 surrogate escape ("\ud800": JSON's
  // grammar allows it, Python's json.dump writes one for a lone surrogate) reads U+FFFD where
  // simdjson 3.0 refuses the whole string, and so the trace (review CX L11; json_string.h). Such a
  // text lives in `lenient_` until the event has gone to the sink; the string is counted as a
  // cleaned name (docs/ingest.md). Any other bad escape is still the error it was.
  void get_string(ond::value& v, std::string_view& out, bool counted = true) {
    const std::string_view tok = v.raw_json_token();
    const simdjson::error_code err = v.get_string().get(out);
    if (!err) [[likely]] return;
    if (err != simdjson::STRING_ERROR) fail_code(err);
    size_t end = tok.size();
    while (end > 2 && is_json_space(tok[end - 1])) --end;
    if (end < 2 || tok[0] != '"' || tok[end - 1] != '"') fail_code(err);
    std::string& text = lenient_.emplace_back();
    size_t replaced = 0;
    if (!unescape_json_string(tok.substr(1, end - 2), text, replaced) || replaced == 0) fail_code(err);
    if (counted) t_.count_cleaned("names_with_surrogates_replaced");
    out = text;
  }

  // simdjson's type() tells a literal by its first byte ('n' null, 't' / 'f' boolean), and the
  // on-demand parser checks an atom only when it converts it: `nul`, `nope` or `tru` would read as
  // null or a boolean, and `12abc`, `01`, `NaN` or `+7` in a member passed over would not be looked
  // at. Here every value token this reader meets must be a whole literal or a JSON number (or begin
  // a string, object or array), else the document is invalid at the token's byte, as it is for the
  // direct scan (which never takes such a value: it leaves the event to this reader). That is every
  // member of an event and of its args (read or passed over) and every value nested in one passed
  // over, the elements of traceEvents, grid and block, and the top-level members with everything
  // inside them (docs/ingest.md, "Bad input").
  void check_token(std::string_view tok) {
    const ValueToken c = check_value_token(tok);
    if (c == ValueToken::Ok) return;
    fail_token(tok, c);
  }

  // Out of line and cold: check_token() is inlined at every member of the flattened event loop.
  [[noreturn, gnu::noinline, gnu::cold]] void fail_token(std::string_view tok, ValueToken c) const {
    size_t end = tok.size();
    while (end > 0 && is_json_space(tok[end - 1])) --end;
    // Quoted as characters, not bytes: a cut never ends inside a UTF-8 character, and control bytes
    // (valid JSON text outside strings holds none, but this one is not valid) show as '?'.
    bool changed = false;
    const std::string text = clean_text_prefix(tok.substr(0, end), 40, changed);
    switch (c) {
      case ValueToken::BadNull: fail(tok.data(), std::string("invalid JSON: ") + simdjson::error_message(simdjson::N_ATOM_ERROR));
      case ValueToken::BadTrue: fail(tok.data(), std::string("invalid JSON: ") + simdjson::error_message(simdjson::T_ATOM_ERROR));
      case ValueToken::BadFalse: fail(tok.data(), std::string("invalid JSON: ") + simdjson::error_message(simdjson::F_ATOM_ERROR));
      case ValueToken::BadNumber: fail(tok.data(), "invalid number '" + text + "'");
      default: fail(tok.data(), "invalid JSON: no value begins with '" + clean_text_prefix(tok, 1, changed) + "' ('" + text + "')");
    }
  }

  // Containers nested deeper than this inside a value passed over are not looked into: simdjson
  // skips them whole, as it did every passed-over value before these checks (their scalars are not
  // checked: docs/ingest.md, "Bad input"). The walk recurses: unbounded, 50,000 nested `[` overflowed
  // the stack (review DP), and simdjson's development checks (the asan preset) abort at a document
  // depth of 1,024, which this bound keeps clear of.
  static constexpr int kMaxCheckedDepth = 64;

  // A value this reader passes over: its token checked, and when it is an object or an array,
  // everything inside it down to kMaxCheckedDepth levels below the value.
  void check_passed_over(ond::value& v, int depth = 0) {
    const std::string_view tok = v.raw_json_token();
    check_token(tok);
    if (!tok.empty() && (tok[0] == '[' || tok[0] == '{') && depth < kMaxCheckedDepth)
      check_inside(v, tok[0] == '[', depth + 1);
  }

  // Out of line: it recurses, and read_event_array() is flattened (everything it calls inlined),
  // which on a recursive call kept GCC inlining for minutes per kernel file.
  [[gnu::noinline]] void check_inside(ond::value& v, bool is_array, int depth) {
    if (is_array) {
      ond::array arr;
      check(v.get_array().get(arr));
      for (auto xr : arr) {
        ond::value x;
        check(std::move(xr).get(x));
        check_passed_over(x, depth);
      }
    } else {
      ond::object obj;
      check(v.get_object().get(obj));
      for (auto fr : obj) {
        ond::field f = take(std::move(fr));
        ond::value x = f.value();
        check_passed_over(x, depth);
      }
    }
  }

  // type(), with the token checked as above, except a number's: every caller that gets a number
  // back converts it with parse_int64() / parse_us_to_ns(), which check the same grammar, or
  // checks it itself (read_meta()): a second pass over every time and id would buy nothing.
  ond::json_type checked_type(ond::value& v) {
    const std::string_view tok = v.raw_json_token();
    if (!tok.empty() && !starts_json_number(tok[0])) check_token(tok);
    ond::json_type jt;
    check(v.type().get(jt));
    return jt;
  }

  // An object or array where a scalar is read: a wrong type, whose contents must still be JSON.
  void check_contents(ond::value& v, ond::json_type jt) {
    if (jt == ond::json_type::array || jt == ond::json_type::object) check_passed_over(v);
  }

  // A time in microseconds -> ns. A string is a wrong type (only ids may be quoted).
  void time_field(ond::value& v, IntField& out) {
    const ond::json_type jt = checked_type(v);
    if (jt != ond::json_type::number) {
      out.state = jt == ond::json_type::null ? FieldState::Missing : FieldState::BadType;  // null: absent
      check_contents(v, jt);
      return;
    }
    const std::string_view tok = v.raw_json_token();
    switch (parse_us_to_ns(tok, out.v)) {
      case NumStatus::Ok: out.state = FieldState::Ok; break;
      case NumStatus::OutOfRange: out.state = FieldState::OutOfRange; break;
      case NumStatus::NotInteger: out.state = FieldState::BadType; break;
      case NumStatus::Invalid: fail_token(tok, ValueToken::BadNumber);  // the message without the token's trailing space
    }
  }

  // An integer id. A string is read by read_string_id() (string_id.h), as the direct scan reads
  // it: a digit string is that integer (audit CI D4), in pids and tids (`named`) other text is a
  // name. The rule looks at the text as it stands: a string with an escape is never a digit string
  // nor a name (the scan does not unescape; it leaves such a string to this reader), so it is a
  // wrong type, after get_string() has checked that its escapes are valid JSON. null is an absent
  // value (D5: an orphan activity, not a vanished one).
  void int_field(ond::value& v, IntField& out, bool named = false) {
    const std::string_view tok = v.raw_json_token();
    if (!tok.empty() && tok[0] == '"') {
      size_t end = tok.size();
      while (end > 2 && is_json_space(tok[end - 1])) --end;
      if (end >= 2 && tok[end - 1] == '"' && std::memchr(tok.data() + 1, '\\', end - 2) == nullptr) {
        read_string_id(tok.substr(1, end - 2), out, named);
      } else {
        std::string_view s;
        get_string(v, s, /*counted=*/false);  // a wrong type: the text is not kept
        out.state = FieldState::BadType;
        out.v = -1;
      }
      return;
    }
    const ond::json_type jt = checked_type(v);
    if (jt != ond::json_type::number) {
      out.state = jt == ond::json_type::null ? FieldState::Missing : FieldState::BadType;
      out.v = -1;
      check_contents(v, jt);
      return;
    }
    switch (parse_int64(tok, out.v)) {
      case NumStatus::Ok: out.state = FieldState::Ok; break;
      case NumStatus::OutOfRange: out.state = FieldState::OutOfRange; break;
      case NumStatus::NotInteger: out.state = FieldState::BadType; break;
      case NumStatus::Invalid: fail_token(tok, ValueToken::BadNumber);  // the message without the token's trailing space
    }
    if (out.state != FieldState::Ok) out.v = -1;
  }

  // grid/block: [x, y, z]; anything else leaves zeros (geometry is informative only).
  void dims(ond::value& v, uint32_t (&out)[3]) {
    ond::array arr;
    if (auto err = v.get_array().get(arr)) {
      if (err != simdjson::INCORRECT_TYPE) fail_code(err);
      check_passed_over(v);  // an object's contents checked (its token already was)
      return;
    }
    int i = 0;
    for (auto xr : arr) {
      ond::value x;
      check(std::move(xr).get(x));
      IntField f;
      const ond::json_type jt = checked_type(x);
      if (jt == ond::json_type::number) int_field(x, f);  // numbers only, as the direct scan reads dims
      else check_contents(x, jt);
      if (i < 3 && f.ok() && f.v >= 0 && f.v <= 0xFFFFFFFFll) out[i] = static_cast<uint32_t>(f.v);
      ++i;
    }
  }

  // read_args() and read_event(): a member read goes to its reader (str(), int_field(),
  // time_field(), dims(), read_args()), which checks its token; a member passed over is checked
  // here, its token and, for an object or array, everything inside it (check_passed_over()).
  void read_args(ond::value& v, RawEvent& e) {
    ond::object args;
    if (auto err = v.get_object().get(args)) {
      if (err != simdjson::INCORRECT_TYPE) fail_code(err);
      check_passed_over(v);  // not an object: still JSON, contents too
      return;
    }
    for (auto fr : args) {
      ond::field f = take(std::move(fr));
      const char* k = f.key().raw();
      ond::value a = f.value();
      switch (k[0]) {
        case 'c':
          if (key_is<"correlation">(k)) { int_field(a, e.correlation); continue; }
          if (key_is<"cbid">(k)) { int_field(a, e.cbid); continue; }
          break;
        case 'd':
          if (key_is<"device">(k)) { int_field(a, e.device); continue; }
          if (key_is<"duration">(k)) {
            std::string_view d;
            str(a, d);
            e.dur_not_measured = d == "not measured";
            continue;
          }
          break;
        case 's':
          if (key_is<"stream">(k)) { int_field(a, e.stream); continue; }
          break;
        case 'E':
          if (key_is<"External id">(k)) { int_field(a, e.external_id); continue; }
          break;
        case 'e':
          if (key_is<"external id">(k)) { int_field(a, e.external_id); continue; }
          break;
        case 'g':
          if (key_is<"grid">(k)) { dims(a, e.grid); continue; }
          break;
        case 'b':
          if (key_is<"block">(k)) { dims(a, e.block); continue; }
          break;
        case 'n':
          if (key_is<"name">(k)) { str(a, e.arg_name, &e.has_arg_name, &e.arg_name_escaped); continue; }
          break;
        case 'z':
          if (key_is<"zero_ts">(k)) {
            std::string_view z;
            str(a, z);
            e.zero_ts_real = z == "real";
            continue;
          }
          break;
        default:
          break;
      }
      check_passed_over(a);
    }
  }

  void read_event(ond::object& o, RawEvent& e) {
    const char* start = nullptr;
    for (auto fr : o) {
      ond::field f = take(std::move(fr));
      const char* k = f.key().raw();
      if (!start) start = k;
      ond::value v = f.value();
      switch (k[0]) {
        case 'p':
          if (key_is<"ph">(k)) { str(v, e.ph); continue; }
          if (key_is<"pid">(k)) { int_field(v, e.pid, true); continue; }
          break;
        case 'c':
          if (key_is<"cat">(k)) { str(v, e.cat); continue; }
          break;
        case 'n':
          if (key_is<"name">(k)) { str(v, e.name, &e.has_name, &e.name_escaped); continue; }
          break;
        case 't':
          if (key_is<"ts">(k)) { time_field(v, e.ts); continue; }
          if (key_is<"tid">(k)) { int_field(v, e.tid, true); continue; }
          break;
        case 'd':
          if (key_is<"dur">(k)) { time_field(v, e.dur); continue; }
          break;
        case 'a':
          if (key_is<"args">(k)) { read_args(v, e); continue; }
          break;
        default:
          break;
      }
      check_passed_over(v);
    }
    e.offset = start ? offset_of(start) : -1;
  }

  // A top-level key, unescaped as get_string() unescapes a value: a lone surrogate escape reads
  // U+FFFD (review S43 L7: torch.profiler's add_metadata takes any key, and one such key made the
  // whole trace unreadable). The key's raw text ends at the first quote no backslash escapes; the
  // parser has checked the document's structure, so it is there.
  std::string meta_key(ond::field& f) {
    const ond::raw_json_string raw = f.key();
    std::string_view key;
    const simdjson::error_code err = f.unescaped_key().get(key);
    if (!err) [[likely]] return std::string(key);
    if (err != simdjson::STRING_ERROR) fail_code(err);
    const char* at = raw.raw();
    size_t n = 0;
    for (bool escaped = false; escaped || at[n] != '"'; ++n) escaped = !escaped && at[n] == '\\';
    std::string text;
    size_t replaced = 0;
    if (!unescape_json_string(std::string_view(at, n), text, replaced) || replaced == 0) fail_code(err);
    t_.count_cleaned("names_with_surrogates_replaced");
    return text;
  }

  // Top-level keys other than traceEvents: scalars go to Trace::meta as text, device names too.
  // Everything else is checked as a value passed over (a literal inside deviceProperties too).
  void read_meta(ond::field& f, ond::value& v) {
    const std::string k = meta_key(f);
    // checked_type() checks every token but a number's; a number here is kept as text, never
    // parsed, so it is checked here.
    if (const std::string_view tok = v.raw_json_token(); !tok.empty() && starts_json_number(tok[0])) check_token(tok);
    const ond::json_type jt = checked_type(v);
    if (jt == ond::json_type::string) {
      std::string_view s;
      get_string(v, s);
      t_.meta["kineto." + k] = std::string(s);
    } else if (jt == ond::json_type::number || jt == ond::json_type::boolean) {
      std::string_view tok = v.raw_json_token();
      while (!tok.empty() && is_json_space(tok.back())) tok.remove_suffix(1);
      t_.meta["kineto." + k] = std::string(tok);
    } else if (jt == ond::json_type::array && k == "deviceProperties") {
      ond::array arr;
      check(v.get_array().get(arr));
      size_t i = 0;
      for (auto dr : arr) {
        ond::value d;
        check(std::move(dr).get(d));
        ond::object dobj;
        if (d.get_object().get(dobj)) {
          check_passed_over(d);
          continue;
        }
        for (auto pr : dobj) {
          ond::field p = take(std::move(pr));
          ond::value pv = p.value();
          const std::string_view tok = pv.raw_json_token();
          if (p.key() == "name" && !tok.empty() && tok[0] == '"') {
            std::string_view name;
            get_string(pv, name);
            t_.meta["device." + std::to_string(i) + ".name"] = std::string(name);
          } else {
            check_passed_over(pv);
          }
        }
        ++i;
      }
    } else {
      check_passed_over(v);
    }
  }

  const std::string& file_;
  const ReadOptions& opts_;
  size_t input_size_;
  Trace& t_;
  EventSink& sink_;
  ond::parser parser_;
  ond::document doc_;
  const char* buf_ = nullptr;
  size_t len_ = 0, prefix_ = 0;
  int64_t origin_ = 0;
  std::deque<std::string> lenient_;  // strings get_string() unescaped itself (a deque: views into them stay valid)
};

// After the first piece: the rest of the document most likely holds events in the same proportion,
// so the tables are reserved for that many (+1/8). Growing a column by doubling copies it and
// faults in fresh pages each time; capacity that is never written costs address space, not memory.
void reserve_by_extrapolation(Trace& t, size_t read_bytes, size_t total_bytes) {
  if (read_bytes == 0) return;
  const double scale = static_cast<double>(total_bytes) / static_cast<double>(read_bytes) * 1.125;
  t.gpu.reserve(static_cast<size_t>(static_cast<double>(t.gpu.size()) * scale));
  t.api.reserve(static_cast<size_t>(static_cast<double>(t.api.size()) * scale));
  t.ops.reserve(static_cast<size_t>(static_cast<double>(t.ops.size()) * scale));
}

// While a middle piece is parsed in place, the commas around it read '[' and ']'; put back on
// every exit, so a failed quick-cut reading leaves the text as it was for the exact scan.
class BracketedPiece {
 public:
  BracketedPiece(char* open, char* close) : open_(open), close_(close), was_open_(*open), was_close_(*close) {
    *open_ = '[';
    *close_ = ']';
  }
  ~BracketedPiece() {
    *open_ = was_open_;
    *close_ = was_close_;
  }
  BracketedPiece(const BracketedPiece&) = delete;
  BracketedPiece& operator=(const BracketedPiece&) = delete;

 private:
  char* open_;
  char* close_;
  char was_open_, was_close_;
};

}  // namespace

// Reads the whole input as one document, or piece by piece at `cuts` (comma offsets).
void read_pieces(char* data, size_t size, const std::string& file, const ReadOptions& opts, bool object_form,
                 const std::vector<size_t>& cuts, Trace& out) {
  EventSink sink(out);
  PieceParser pp(file, opts, size, out, sink);
  if (cuts.empty()) {
    if (size > kMaxDocument)
      throw InputError(file, 0, "document larger than 4 GB with no traceEvents array to split");
    if (opts.release_input) map_in_pages(data, size);
    pp.parse(data, size, PieceKind::Whole, object_form, 0, 0);
    sink.finish();
    out.meta["ingest.pieces"] = "1";
    return;
  }
  // The parser's buffers sized once for the largest piece: growing them piece by piece frees and
  // maps (and page-faults) tens of MB each time.
  size_t largest = std::max(cuts[0], size - cuts.back()) + 16;
  for (size_t i = 1; i < cuts.size(); ++i) largest = std::max(largest, cuts[i] - cuts[i - 1] + 1);
  pp.reserve(largest);
  // The first and last pieces need a wrapper longer than the one byte available ("]}" after the
  // first, "{\"traceEvents\":[" before the last), so they are copied into a padded buffer.
  std::vector<char> piece;
  piece.reserve(std::max(cuts[0], size - cuts.back()) + 16 + simdjson::SIMDJSON_PADDING);
  const std::string_view first_suffix = object_form ? "]}" : "]";
  const std::string_view last_prefix = object_form ? "{\"traceEvents\":[" : "[";
  auto build = [&](std::string_view prefix, size_t from, size_t to, std::string_view suffix) {
    const size_t n = prefix.size() + (to - from) + suffix.size();
    piece.resize(n + simdjson::SIMDJSON_PADDING);
    std::memcpy(piece.data(), prefix.data(), prefix.size());
    std::memcpy(piece.data() + prefix.size(), data + from, to - from);
    std::memcpy(piece.data() + prefix.size() + (to - from), suffix.data(), suffix.size());
    std::memset(piece.data() + n, 0, simdjson::SIMDJSON_PADDING);
    return n;
  };
  // Rows of the tables before the piece just read; with its length, how far ahead to fault in
  // table pages for the next piece (table_prefault.h).
  size_t gpu0 = 0, api0 = 0, ops0 = 0;
  auto prefault_for_next = [&](size_t read_len, size_t next_len) {
    const double scale = 1.25 * static_cast<double>(next_len) / static_cast<double>(std::max<size_t>(read_len, 1));
    auto ahead = [&](size_t now, size_t before) { return static_cast<size_t>(static_cast<double>(now - before) * scale) + 64; };
    prefault_next_rows(out, ahead(out.gpu.size(), gpu0), ahead(out.api.size(), api0), ahead(out.ops.size(), ops0));
    gpu0 = out.gpu.size();
    api0 = out.api.size();
    ops0 = out.ops.size();
  };
  auto piece_len = [&](size_t i) { return i < cuts.size() ? cuts[i] - cuts[i - 1] + 1 : size - cuts.back(); };
  // With release_input, each piece's pages are mapped in just before it is read and dropped after
  // (input_pages.h): every byte written in them was put back, so they read back from the file.
  if (opts.release_input) map_in_pages(data, cuts[0]);
  size_t n = build("", 0, cuts[0], first_suffix);
  pp.parse(piece.data(), n, PieceKind::First, object_form, 0, 0);
  if (opts.release_input) drop_pages(data, cuts[0]);
  reserve_by_extrapolation(out, cuts[0], size);
  prefault_for_next(cuts[0], piece_len(1));
  // A middle piece is parsed where it lies, from the comma before it (read as '[') to the comma
  // after it (read as ']'); the bytes after that are the rest of the input and its padding, which
  // simdjson reads but never interprets (stage 1 pads the last block with spaces of its own).
  // The direct scan (event_scan_impl.h) reads the events it knows the shape of; the on-demand reader
  // reads the rest of the piece from the separator where the scan stopped (all of it when the
  // scan is off or stopped at once).
  size_t scanned_bytes = 0;
  for (size_t i = 1; i < cuts.size(); ++i) {
    const size_t len = cuts[i] - cuts[i - 1] + 1;
    // simdjson and the scan read a little past the piece: map that in too.
    if (opts.release_input) map_in_pages(data + cuts[i - 1], len + simdjson::SIMDJSON_PADDING);
    {
      char* const piece_start = data + cuts[i - 1];
      const BracketedPiece bracketed(piece_start, data + cuts[i]);
      const int64_t origin = static_cast<int64_t>(cuts[i - 1]);
      size_t from = 0;  // separator where the scan (re)starts
      while (from < len) {
        const size_t done = opts.direct_scan ? scan_event_piece(piece_start, len, from, origin, sink) : from;
        scanned_bytes += done - from;
        if (done == len) break;
        // The event the scan left: on-demand reads it alone, from its separator (read as '[') to the
        // ',' after it (read as ']'), and the scan goes on from there.
        const size_t next = opts.direct_scan ? next_separator(piece_start, len, done) : 0;
        if (next != 0) {
          const uint64_t fed_before = sink.events_added();
          try {
            const BracketedPiece one(piece_start + done, piece_start + next);
            pp.parse(piece_start + done, next - done + 1, PieceKind::Middle, object_form, 0, origin + static_cast<int64_t>(done));
            from = next;
            continue;
          } catch (const InputError&) {
            // Malformed there: the rest of the piece is read below, so the message is the one a
            // reading of the whole rest gives. Only if that event reached the sink (it cannot,
            // simdjson fails before an event is complete) would a second reading count it twice.
            if (sink.events_added() != fed_before) throw;
          }
        }
        const BracketedPiece rest(piece_start + done, data + cuts[i]);
        pp.parse(piece_start + done, len - done, PieceKind::Middle, object_form, 0, origin + static_cast<int64_t>(done));
        break;
      }
      // The first piece may be small (kEdgePiece) and mostly the document's header: extrapolate
      // again from the first middle piece (reserve only ever grows the tables).
      if (i == 1) reserve_by_extrapolation(out, cuts[1], size);
    }
    // The brackets are put back (end of the block above): drop the piece's own pages.
    if (opts.release_input) drop_pages(data + cuts[i - 1], cuts[i] - cuts[i - 1]);
    prefault_for_next(len, piece_len(i + 1));
  }
  out.meta["ingest.direct_scan_bytes"] = std::to_string(scanned_bytes);
  if (opts.release_input) map_in_pages(data + cuts.back() + 1, size - cuts.back() - 1);
  n = build(last_prefix, cuts.back() + 1, size, "");
  pp.parse(piece.data(), n, PieceKind::Last, object_form, last_prefix.size(),
           static_cast<int64_t>(cuts.back() + 1));
  sink.finish();
  out.meta["ingest.pieces"] = std::to_string(cuts.size() + 1);
}

const char* simdjson_kernel_name() { return SIMDJSON_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION); }

}  // namespace infertrace::kineto::INFERTRACE_KINETO_KERNEL_NS
