// libFuzzer target for the .itrace reader: any input either reads into a Trace or throws
// InputError; nothing else (crash, other exception, sanitizer report) is acceptable.
#include <cstddef>
#include <cstdint>

#include "ingest/recording/recording_reader.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const infertrace::Trace t = infertrace::read_recording_bytes(data, size, "fuzz.itrace");
    (void)t.api.size();
  } catch (const infertrace::InputError&) {
  }
  return 0;
}
