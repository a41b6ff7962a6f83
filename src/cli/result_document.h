// Tells a saved verb result (a JSON document `analyze`, `sched`, `sweep`, `fusion`, `compare` or
// `bench` wrote) from a trace among the inputs of `report` and `compare`, and reads it; and names
// those inputs (NAME=PATH, a descriptor by its place).
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

// A `report` or `compare` input as given: "NAME=PATH" names it NAME, unless a file is called
// "NAME=PATH" itself; `name` stays empty for a plain path. "NAME=" (no path) is a usage error of
// `verb`.
struct NamedInput {
  std::string name;
  std::string path;
};
NamedInput split_named_input(const std::string& arg, const std::string& verb);

// The name of an input that is an inherited descriptor: /dev/fd/N, /proc/self/fd/N,
// /proc/thread-self/fd/N or /proc/PID/fd/N, what the shell's <(...) hands a verb, whose file name
// ("63") says nothing of which input it is (review S42 L8). "input P", P its place among the verb's
// inputs (from 1), said once on stderr with how to name it instead (NAME=PATH); "" for any other
// path.
std::string descriptor_input_name(const std::string& verb, const std::string& path, size_t place);

}  // namespace infertrace::cli
