// The pids and tids the Chrome export (chrome_export.cpp) writes, chosen so that the Kineto reader
// reads the file back with the same ids, thread rows and process names (docs/ingest.md, "Named
// pids and tids"; docs/report.md, `--chrome`).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "trace/trace.h"

namespace infertrace {

// The named ids (below -1) to write metadata for, in the order -2, -3, ...: the members of `used`
// below -1, with every id between them that no row keeps. The reader numbers names by first use,
// so a skipped id would shift every later one. One id per step: the Kineto reader makes its named
// ids -2, -3, ... one per distinct name in its input, so the list is bounded by that input; a
// trace built another way with a far-off id (-10^9) gets one id per step down to it.
std::vector<int64_t> chrome_named_ids_in_order(const std::set<int64_t>& used);

// Which of a host event's "pid" and "tid" fields to write. A field the trace lacks is stored as
// -1, and the reader makes a thread row of every API call or operator with both fields given, -1
// included: written always, a call without a tid would come back with a thread (and its process a
// name) the trace does not have. So a -1 is written only for an event that may have made its
// thread row: one whose (pid, tid) is a row and whose times lie within the row's first and last
// (an event outside them cannot have been noted for the row; written, it would widen the row).
class ChromeHostIds {
 public:
  explicit ChromeHostIds(const Trace& t);
  // The two fields, comma-separated ("\"pid\":5,\"tid\":null": a -1 not written as a number is
  // null), of an event at `start` lasting `dur` (a negative one, unknown, is written as 0).
  std::string fields(int64_t pid, int64_t tid, int64_t start, int64_t dur) const;

 private:
  std::map<std::pair<int64_t, int64_t>, std::pair<int64_t, int64_t>> rows_with_none_;  // -> first, last
};

}  // namespace infertrace
