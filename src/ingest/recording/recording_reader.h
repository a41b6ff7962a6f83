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
// `release_input`: the bytes are a private mapping of the file, not yet mapped in
// (InputBuffer::file_backed()): a window of them is mapped in as the reader goes and the pages
// behind it dropped (SequentialPages), so the file does not stay in memory beside its tables.
Trace read_recording_bytes(const unsigned char* data, size_t size, const std::string& name, bool release_input = false);
inline Trace read_recording_bytes(const char* data, size_t size, const std::string& name, bool release_input = false) {
  return read_recording_bytes(reinterpret_cast<const unsigned char*>(data), size, name, release_input);
}

}  // namespace infertrace
