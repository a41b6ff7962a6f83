// Tells a saved verb result (a JSON document `analyze`, `sched`, `sweep`, `fusion`, `compare` or
// `bench` wrote) from a trace among the inputs of `report` and `compare`, and reads it.
#pragma once

#include <optional>
#include <string>

namespace infertrace::cli {

// The text of the JSON document at `path` when it is a saved result: a JSON object (after a UTF-8
// byte-order mark and white space) that is not a Kineto trace, i.e. that holds none of the keys
// "traceEvents", "schemaVersion" and "deviceProperties". A gzip file is read decompressed, as
// traces are. nullopt for anything else (a trace, a recording, a file that is no JSON object),
// which the trace loader then reads or refuses. Throws InputError when the file cannot be read.
std::optional<std::string> read_result_document(const std::string& path);

}  // namespace infertrace::cli
