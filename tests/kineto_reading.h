// One reading of a Kineto document held in memory, with the direct event scan on or off, for the
// tests that compare the two readers (kineto_direct_scan_test.cpp) or pin what each one reads
// (kineto_string_id_test.cpp).
#pragma once

#include <iterator>
#include <string>

#include "ingest/input_buffer.h"
#include "ingest/kineto/kineto_reader.h"
#include "trace/trace.h"
#include "util/error.h"

namespace infertrace::testing_kineto {

struct Reading {
  std::string error;  // "" when the reading succeeded
  Trace trace;
};

// `chunk` 1 cuts the traceEvents array between every two events: each event but the first and the
// last is a middle piece of its own, which the direct scan reads when `direct` is set.
inline Reading read_doc(const std::string& json, size_t chunk, bool direct) {
  const InputBuffer in = InputBuffer::from_memory(json.data(), json.size(), "gen.json");
  kineto::ReadOptions o;
  o.chunk_bytes = chunk;
  o.direct_scan = direct;
  Reading r;
  try {
    kineto::read_kineto(in.mutable_data(), in.size(), "gen.json", o, r.trace);
  } catch (const Error& e) {
    r.error = e.what();
  }
  return r;
}

// The reading facts that depend on how a document was read, not on what it holds.
inline void strip_ingest_meta(Trace& t) {
  for (auto it = t.meta.begin(); it != t.meta.end();)
    it = it->first.rfind("ingest.", 0) == 0 ? t.meta.erase(it) : std::next(it);
}

// How many bytes of the input the direct scan read (0 when it was off or read nothing).
inline int64_t direct_bytes(const Trace& t) {
  const auto it = t.meta.find("ingest.direct_scan_bytes");
  return it == t.meta.end() ? 0 : std::stoll(it->second);
}

}  // namespace infertrace::testing_kineto
