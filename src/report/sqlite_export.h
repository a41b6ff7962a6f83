// SQLite export (`infertrace export --sqlite`): every event table of the Trace plus the analysis
// results we have, in one database with the schema and indexes of docs/sqlite-schema.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "analysis/launch.h"
#include "trace/trace.h"

namespace infertrace {

// 2 since 2026-12-07: unknown names are NULL (were ''), a source's meta key that is the export's
// own is stored as input.KEY (review SQ L1, L4; review DH L7).
inline constexpr int kSqliteSchemaVersion = 2;

struct SqliteAnalyses {
  const LaunchAnalysis* launch = nullptr;  // launch/queue metrics (tables launch, launch_summary, ...)
  // Saved --json documents of other verbs (verb, document text): stored in table analysis_json,
  // queryable with SQLite's json_extract().
  std::vector<std::pair<std::string, std::string>> json_results;
};

// Rows written per table.
using SqliteSummary = std::map<std::string, int64_t>;

// Throws Error naming the database file on any SQLite failure. With `fd` (an empty file open for
// reading and writing, export's OUT.partial) the database is written into that file and `path`
// only names it; without, `path` is created or emptied.
SqliteSummary write_sqlite_file(const Trace& trace, const std::string& path, const SqliteAnalyses& analyses,
                                int fd = -1);

}  // namespace infertrace
