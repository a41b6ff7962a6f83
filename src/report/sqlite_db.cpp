#include "report/sqlite_db.h"

#include <cstdio>

#include "util/error.h"

namespace infertrace {

SqliteDb::SqliteDb(const std::string& path) : path_(path) {
  std::remove(path.c_str());  // an export replaces the file, never appends to an old schema
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error("cannot create SQLite database " + path + ": " + msg);
  }
  // One bulk load: no journal, no fsync per transaction; the file is complete when we close it.
  exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=16384;");
}

SqliteDb::~SqliteDb() { sqlite3_close(db_); }

void SqliteDb::fail(const std::string& what) const {
  throw Error("SQLite database " + path_ + ": " + what + ": " + sqlite3_errmsg(db_));
}

void SqliteDb::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw Error("SQLite database " + path_ + ": " + msg);
  }
}

SqliteStmt::SqliteStmt(SqliteDb& db, const std::string& sql) : db_(db) {
  if (sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &st_, nullptr) != SQLITE_OK)
    db.fail("cannot prepare \"" + sql + "\"");
}

SqliteStmt::~SqliteStmt() { sqlite3_finalize(st_); }

SqliteStmt& SqliteStmt::i64(int64_t v) {
  sqlite3_bind_int64(st_, col_++, v);
  return *this;
}
// Only -1 is the event model's "unknown": other negative values are real, e.g. the legacy
// profiler's named pid "CPU functions" read as -2 (docs/ingest.md), which CSV and JSON keep too.
SqliteStmt& SqliteStmt::opt(int64_t v) { return v == -1 ? null() : i64(v); }
SqliteStmt& SqliteStmt::dbl(double v) {
  sqlite3_bind_double(st_, col_++, v);
  return *this;
}
SqliteStmt& SqliteStmt::text(std::string_view v) {
  sqlite3_bind_text(st_, col_++, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
SqliteStmt& SqliteStmt::opt_text(std::string_view v) { return v.empty() ? null() : text(v); }
SqliteStmt& SqliteStmt::null() {
  sqlite3_bind_null(st_, col_++);
  return *this;
}

void SqliteStmt::step() {
  if (sqlite3_step(st_) != SQLITE_DONE) db_.fail("insert failed");
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
  col_ = 1;
}

}  // namespace infertrace
