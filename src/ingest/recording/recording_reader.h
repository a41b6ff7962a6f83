// Reader of infertrace recordings (.itrace, docs/recording-format.md) into the common Trace.
#pragma once

#include <string>

#include "trace/trace.h"

namespace infertrace {

// True when the file starts with the recording magic (content, not the name, decides).
bool is_recording(const std::string& path);
// The same test on bytes already in memory (load_trace() dispatches on its input buffer).
bool is_recording(const char* data, size_t size);

// Reads a whole recording. A file cut short (a killed recorder) reads up to its last complete
// record: meta["recording.complete"] is "false" and skipped["truncated_tail_bytes"] counts the
// rest. Throws InputError (file + byte offset) on a bad header or a malformed record.
Trace read_recording(const std::string& path);

// The same from bytes already in memory (`name` is used in errors); the fuzz target calls this.
Trace read_recording_bytes(const unsigned char* data, size_t size, const std::string& name);
inline Trace read_recording_bytes(const char* data, size_t size, const std::string& name) {
  return read_recording_bytes(reinterpret_cast<const unsigned char*>(data), size, name);
}

}  // namespace infertrace
