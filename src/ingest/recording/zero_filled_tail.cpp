#include "ingest/recording/zero_filled_tail.h"

namespace infertrace::itrace {

size_t final_zero_run_start(const unsigned char* data, size_t first_record, size_t size) {
  size_t from = size;
  while (from > first_record && data[from - 1] == 0) --from;
  return from;
}

}  // namespace infertrace::itrace
