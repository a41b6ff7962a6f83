// Tells a saved verb result (a JSON document `analyze`, `sched`, `sweep`, `fusion`, `compare` or
// `bench` wrote) from a trace among the inputs of `report` and `compare`, and reads it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "ingest/input_buffer.h"

namespace infertrace::cli {

// The text of the JSON document at `path` when it is a saved result: a JSON object (after a UTF-8
// byte-order mark and white space) that is not a Kineto trace, i.e. that holds none of the keys
// "traceEvents", "schemaVersion" and "deviceProperties". A gzip file is read decompressed, as
// traces are. nullopt for anything else (a trace, a recording, a file that is no JSON object),
// which the trace loader then reads or refuses. Throws InputError when the file cannot be read.
std::optional<std::string> read_result_document(const std::string& path);

// The same test on bytes in memory (a gzip stream already inflated): their text, without a
// byte-order mark, when they are a saved result; nullopt otherwise.
std::optional<std::string> result_document_text(const char* data, size_t size);

// A `report` or `compare` input: a saved result's text, or else a trace to load. An input that can
// be read only once (a pipe, a FIFO, /dev/stdin: input_read_only_once) is read once, into `bytes`,
// which then go to load_trace(InputBuffer, ...): reopened, it would give only what the first
// reading left (review S41 L4: "byte 0: unknown format" for a trace piped in). For a file, `bytes`
// stays empty and the loader opens the path (mapping it).
struct ResultOrTrace {
  std::optional<std::string> result;
  std::optional<InputBuffer> bytes;
};
ResultOrTrace read_result_or_trace(const std::string& path);

}  // namespace infertrace::cli
