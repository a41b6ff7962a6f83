#include "report/sqlite_held_fd.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "util/error.h"

namespace infertrace {

namespace {

// Names this VFS owns: the prefix, then the descriptor. SQLite derives the side files' names by
// appending "-journal" or "-wal"; those start with the prefix too and are answered "absent".
constexpr char kPrefix[] = "infertrace-held-fd:";
constexpr char kVfsName[] = "infertrace-held-fd";

bool ours(const char* name) { return name && std::strncmp(name, kPrefix, sizeof(kPrefix) - 1) == 0; }

// The descriptor a main-database name names; -1 for anything else (a side file's name).
int descriptor_of(const char* name) {
  const char* digits = name + sizeof(kPrefix) - 1;
  if (*digits == '\0') return -1;
  long fd = 0;
  for (const char* p = digits; *p; ++p) {
    if (*p < '0' || *p > '9' || fd > 1'000'000'000) return -1;
    fd = fd * 10 + (*p - '0');
  }
  return static_cast<int>(fd);
}

struct HeldFdFile {
  sqlite3_file base;  // first: SQLite sees a sqlite3_file*
  int fd;             // our duplicate, closed by xClose
};

HeldFdFile* held(sqlite3_file* f) { return reinterpret_cast<HeldFdFile*>(f); }

int file_close(sqlite3_file* f) {
  return ::close(held(f)->fd) == 0 ? SQLITE_OK : SQLITE_IOERR_CLOSE;
}

int file_read(sqlite3_file* f, void* buf, int amount, sqlite3_int64 offset) {
  char* at = static_cast<char*>(buf);
  int left = amount;
  while (left > 0) {
    const ssize_t n = ::pread(held(f)->fd, at, static_cast<size_t>(left), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SQLITE_IOERR_READ;
    if (n == 0) break;
    at += n, left -= static_cast<int>(n), offset += n;
  }
  if (left == 0) return SQLITE_OK;
  std::memset(at, 0, static_cast<size_t>(left));  // SQLite's contract for a short read
  return SQLITE_IOERR_SHORT_READ;
}

int file_write(sqlite3_file* f, const void* buf, int amount, sqlite3_int64 offset) {
  const char* at = static_cast<const char*>(buf);
  int left = amount;
  while (left > 0) {
    const ssize_t n = ::pwrite(held(f)->fd, at, static_cast<size_t>(left), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno == ENOSPC || errno == EDQUOT ? SQLITE_FULL : SQLITE_IOERR_WRITE;
    if (n == 0) return SQLITE_FULL;
    at += n, left -= static_cast<int>(n), offset += n;
  }
  return SQLITE_OK;
}

int file_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return ::ftruncate(held(f)->fd, size) == 0 ? SQLITE_OK : SQLITE_IOERR_TRUNCATE;
}

int file_sync(sqlite3_file* f, int) { return ::fsync(held(f)->fd) == 0 ? SQLITE_OK : SQLITE_IOERR_FSYNC; }

int file_size(sqlite3_file* f, sqlite3_int64* size) {
  struct stat st{};
  if (::fstat(held(f)->fd, &st) != 0) return SQLITE_IOERR_FSTAT;
  *size = st.st_size;
  return SQLITE_OK;
}

// No locks: the file is a partial that only this connection writes (mode 0600, renamed into place
// only after the connection is closed), and with journal_mode=OFF there is no journal to guard.
int file_lock(sqlite3_file*, int) { return SQLITE_OK; }
int file_check_reserved(sqlite3_file*, int* out) {
  *out = 0;
  return SQLITE_OK;
}
int file_control(sqlite3_file*, int, void*) { return SQLITE_NOTFOUND; }
int file_sector_size(sqlite3_file*) { return 4096; }
int file_characteristics(sqlite3_file*) { return 0; }

const sqlite3_io_methods kMethods = {
    1,  // no shared memory (so no WAL) and no memory mapping
    file_close, file_read, file_write, file_truncate, file_sync, file_size, file_lock, file_lock,
    file_check_reserved, file_control, file_sector_size, file_characteristics,
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
};

sqlite3_vfs* fallback(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

int vfs_open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  if (!ours(name)) return fallback(vfs)->xOpen(fallback(vfs), name, f, flags, out_flags);  // temporary files
  f->pMethods = nullptr;  // until opened: SQLite then does not call xClose
  const int given = descriptor_of(name);
  if (given < 0 || !(flags & SQLITE_OPEN_MAIN_DB)) return SQLITE_CANTOPEN;  // a journal or WAL: never made
  const int fd = ::fcntl(given, F_DUPFD_CLOEXEC, 3);
  if (fd < 0) return SQLITE_CANTOPEN;
  held(f)->fd = fd;
  f->pMethods = &kMethods;
  if (out_flags) *out_flags = flags;
  return SQLITE_OK;
}

int vfs_delete(sqlite3_vfs* vfs, const char* name, int sync) {
  return ours(name) ? SQLITE_OK : fallback(vfs)->xDelete(fallback(vfs), name, sync);
}

int vfs_access(sqlite3_vfs* vfs, const char* name, int what, int* out) {
  if (!ours(name)) return fallback(vfs)->xAccess(fallback(vfs), name, what, out);
  *out = 0;  // no side file: a "-journal" or "-wal" beside our name is never looked for on disk
  return SQLITE_OK;
}

int vfs_full_pathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  if (!ours(name)) return fallback(vfs)->xFullPathname(fallback(vfs), name, size, out);
  if (static_cast<int>(std::strlen(name)) >= size) return SQLITE_CANTOPEN;
  std::strcpy(out, name);  // kept as given: it is no path and must not be resolved into one
  return SQLITE_OK;
}

void* vfs_dl_open(sqlite3_vfs* vfs, const char* name) { return fallback(vfs)->xDlOpen(fallback(vfs), name); }
void vfs_dl_error(sqlite3_vfs* vfs, int n, char* out) { fallback(vfs)->xDlError(fallback(vfs), n, out); }
void (*vfs_dl_sym(sqlite3_vfs* vfs, void* h, const char* sym))(void) {
  return fallback(vfs)->xDlSym(fallback(vfs), h, sym);
}
void vfs_dl_close(sqlite3_vfs* vfs, void* h) { fallback(vfs)->xDlClose(fallback(vfs), h); }
int vfs_randomness(sqlite3_vfs* vfs, int n, char* out) { return fallback(vfs)->xRandomness(fallback(vfs), n, out); }
int vfs_sleep(sqlite3_vfs* vfs, int us) { return fallback(vfs)->xSleep(fallback(vfs), us); }
int vfs_current_time(sqlite3_vfs* vfs, double* t) { return fallback(vfs)->xCurrentTime(fallback(vfs), t); }
int vfs_last_error(sqlite3_vfs* vfs, int n, char* out) {
  return fallback(vfs)->xGetLastError ? fallback(vfs)->xGetLastError(fallback(vfs), n, out) : 0;
}

}  // namespace

std::string held_fd_db_name(int fd) { return kPrefix + std::to_string(fd); }

const char* held_fd_vfs_name() {
  static std::once_flag once;
  static int registered = SQLITE_ERROR;
  static sqlite3_vfs vfs{};
  std::call_once(once, [] {
    sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
    if (!base) return;
    vfs.iVersion = 1;
    vfs.szOsFile = std::max(static_cast<int>(sizeof(HeldFdFile)), base->szOsFile);
    vfs.mxPathname = base->mxPathname;
    vfs.zName = kVfsName;
    vfs.pAppData = base;
    vfs.xOpen = vfs_open;
    vfs.xDelete = vfs_delete;
    vfs.xAccess = vfs_access;
    vfs.xFullPathname = vfs_full_pathname;
    vfs.xDlOpen = vfs_dl_open;
    vfs.xDlError = vfs_dl_error;
    vfs.xDlSym = vfs_dl_sym;
    vfs.xDlClose = vfs_dl_close;
    vfs.xRandomness = vfs_randomness;
    vfs.xSleep = vfs_sleep;
    vfs.xCurrentTime = vfs_current_time;
    vfs.xGetLastError = vfs_last_error;
    registered = sqlite3_vfs_register(&vfs, 0);  // never the default: only SqliteDb asks for it
  });
  if (registered != SQLITE_OK) throw Error("cannot register infertrace's SQLite VFS: " + std::string(sqlite3_errstr(registered)));
  return kVfsName;
}

}  // namespace infertrace
