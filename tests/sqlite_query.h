// One-value SQLite queries for the export tests.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

namespace infertrace {

// Runs a query that returns one value and gives column `col` of its first row as text ("NULL" for
// SQL NULL, "<no row>" when there is none); a query that does not compile fails the test.
inline std::string scalar(sqlite3* db, const std::string& sql, int col = 0) {
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql << ": " << sqlite3_errmsg(db);
  std::string out = "<no row>";
  if (st && sqlite3_step(st) == SQLITE_ROW)
    out = sqlite3_column_type(st, col) == SQLITE_NULL ? "NULL"
                                                       : reinterpret_cast<const char*>(sqlite3_column_text(st, col));
  sqlite3_finalize(st);
  return out;
}

}  // namespace infertrace
