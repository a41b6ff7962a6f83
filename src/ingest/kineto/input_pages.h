// Maps in and drops the pages of a piece of a file-backed input (ReadOptions::release_input).
#pragma once

#include <cstddef>

namespace infertrace::kineto {

// Maps in every page touching [p, p + n) at once (MADV_POPULATE_READ); a no-op before Linux 5.14.
void map_in_pages(const char* p, size_t n);

// Drops the pages lying wholly inside [p, p + n) (MADV_DONTNEED). Only for a private file mapping
// whose bytes there are as in the file: they read back from the file unchanged.
void drop_pages(const char* p, size_t n);

}  // namespace infertrace::kineto
