// A small RAII layer over the sqlite3 C API for the exports: open/exec/prepare with errors that
// name the database file, and statements bound column by column. Unknown values (-1 in the event
// model) are written as SQL NULL so queries can use IS NULL / aggregate functions naturally.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace infertrace {

class SqliteDb {
 public:
  // Creates (emptying any existing file: opened with O_TRUNC, never unlinked) a database tuned for
  // one bulk write.
  explicit SqliteDb(const std::string& path);
  // The same in the file `fd` (open for reading and writing, empty, kept open by the caller until
  // this object is gone), which SQLite never looks up by name; `path` names it in messages.
  SqliteDb(const std::string& path, int fd);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  void exec(const std::string& sql);
  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  [[noreturn]] void fail(const std::string& what) const;

 private:
  SqliteDb(const std::string& path, int fd, bool own_fd);
  std::string path_;
  int own_fd_ = -1;  // the descriptor SqliteDb(path) opened, closed with the connection
  sqlite3* db_ = nullptr;
};

// Removes the SQLite side files of the database at `db_path` (`-journal`, `-wal`, `-shm`), just
// before a new database is renamed over it: SQLite applies a file's leftover -wal or hot -journal
// to whatever database has that name, so the new one would open corrupt (review SQ57 H1). Throws
// Error naming the one it cannot remove (nothing is replaced then); absent ones are fine.
void remove_sqlite_side_files(const std::string& db_path);

class SqliteStmt {
 public:
  SqliteStmt(SqliteDb& db, const std::string& sql);
  ~SqliteStmt();
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;

  SqliteStmt& i64(int64_t v);
  SqliteStmt& opt(int64_t v);  // NULL when v == -1 (unknown); other values as they are
  SqliteStmt& dbl(double v);
  SqliteStmt& text(std::string_view v);
  SqliteStmt& opt_text(std::string_view v);  // NULL when empty
  SqliteStmt& null();
  // Runs the insert and resets for the next row.
  void step();

 private:
  SqliteDb& db_;
  sqlite3_stmt* st_ = nullptr;
  int col_ = 1;
};

}  // namespace infertrace
