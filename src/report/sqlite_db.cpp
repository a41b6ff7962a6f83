#include "report/sqlite_db.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "report/sqlite_held_fd.h"
#include "util/error.h"

namespace infertrace {

namespace {

// `path` opened for SqliteDb(path): emptied, not unlinked (review SQ57 M1: removing the name
// removed the OUT.partial the export had just created when /proc was absent, so SQLite wrote a new
// file the export then refused as "replaced while it was written"). Following links is right here:
// /proc/self/fd/N is the file a caller holds.
int open_emptied(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) throw Error("cannot create SQLite database " + path + ": " + std::strerror(errno));
  return fd;
}

}  // namespace

SqliteDb::SqliteDb(const std::string& path) : SqliteDb(path, open_emptied(path), true) {}

SqliteDb::SqliteDb(const std::string& path, int fd) : SqliteDb(path, fd, false) {}

SqliteDb::SqliteDb(const std::string& path, int fd, bool own_fd) : path_(path), own_fd_(own_fd ? fd : -1) {
  // Through the descriptor, never the name (review SQ57 M2): SQLite's unix VFS resolves
  // /proc/self/fd/N back to the partial's name and opens that, which a directory swapped meanwhile
  // sends elsewhere (report/sqlite_held_fd.h).
  // A throw here runs no destructor: the descriptor this object owns is closed by hand (review WD57 L5).
  const char* vfs = nullptr;
  std::string name;
  try {
    name = held_fd_db_name(fd);
    vfs = held_fd_vfs_name();
  } catch (...) {
    if (own_fd_ >= 0) ::close(own_fd_);
    throw;
  }
  if (sqlite3_open_v2(name.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs) != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    if (own_fd_ >= 0) ::close(own_fd_);
    throw Error("cannot create SQLite database " + path + ": " + msg);
  }
  // One bulk load: no journal, no fsync per transaction; the file is complete when we close it.
  try {
    exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=16384;");
  } catch (...) {  // no destructor runs for a constructor that throws
    sqlite3_close(db_);
    if (own_fd_ >= 0) ::close(own_fd_);
    throw;
  }
}

SqliteDb::~SqliteDb() {
  sqlite3_close(db_);
  if (own_fd_ >= 0) ::close(own_fd_);
}

// Before the rename, not after: in between, OUT is still the old database, so an opener there sees
// the old one without its side files (a WAL's last commits missing, or a half-written change that
// its journal would have undone), and whatever it does lands in the old file, which is about to be
// replaced. Removed after the rename, a reader opening OUT in between would apply the old -wal, or
// roll the old journal back, into the new file: lasting damage where this order has none. A program
// holding the old database open keeps its open side files (unlinked now) and the old file; its
// next commit goes there. Only one that writes to the old database after the replacement, in
// rollback mode, makes a new -journal beside the new file, which no order can prevent (the docs
// say to close it first). unlink() removes a symlink, not what it points at.
//
// All three are looked at before any is removed (review WD57 M1): removing the -journal and then
// failing on a -wal that is a directory left the old database without the journal that undoes its
// half-written change, under a message saying nothing was replaced. Only a side file that lstat
// shows as a plain name but unlink still refuses (an immutable file, a mount point) can fail after
// another went; the message says so then.
void remove_sqlite_side_files(const std::string& db_path) {
  const char* const suffixes[] = {"-journal", "-wal", "-shm"};
  auto refuse = [&](const std::string& side, const std::string& why, bool removed_some) {
    throw Error(db_path + ": cannot remove the old database's " + side + " (SQLite would apply it to the new database): " +
                why + (removed_some ? "; nothing was replaced, but side files before it were removed" : "; nothing was replaced"));
  };
  for (const char* suffix : suffixes) {
    const std::string side = db_path + suffix;
    struct stat st {};
    if (::lstat(side.c_str(), &st) != 0) {
      if (errno != ENOENT) refuse(side, std::strerror(errno), false);
    } else if (S_ISDIR(st.st_mode)) {
      refuse(side, "it is a directory", false);
    }
  }
  bool removed_some = false;
  for (const char* suffix : suffixes) {
    const std::string side = db_path + suffix;
    if (::unlink(side.c_str()) == 0)
      removed_some = true;
    else if (errno != ENOENT)
      refuse(side, std::strerror(errno), removed_some);
  }
}

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
