// SQLite writing into a file we already hold open, never looking it up by name (review SQ57 M1/M2).
// SQLite's own unix VFS takes a path: it resolves every symlink in it (so /proc/self/fd/N became
// the partial's plain name again) and opens that name, which a directory swapped in the meantime
// sends elsewhere. The VFS here, registered once under its own name and used only where asked for,
// opens the main database as a duplicate of a descriptor and does its I/O with pread/pwrite on it;
// the database's side files (-journal, -wal) do not exist for it, and SQLite's temporary files
// (sorting, index builds) go to the default VFS as before.
#pragma once

#include <string>

namespace infertrace {

// The name that sqlite3_open_v2(name, ..., vfs) with held_fd_vfs_name() opens as the file `fd`
// (which must be open for reading and writing, and stay open until the connection is closed).
std::string held_fd_db_name(int fd);
// The VFS's name, registered on the first call. Throws Error when SQLite refuses to register it.
const char* held_fd_vfs_name();

}  // namespace infertrace
