// Maps in and drops the pages of a piece of a file-backed input (ReadOptions::release_input).
#pragma once

#include <cstddef>

namespace infertrace::kineto {

// Maps in every page touching [p, p + n) at once (MADV_POPULATE_READ); a no-op before Linux 5.14.
void map_in_pages(const char* p, size_t n);

// Drops the pages lying wholly inside [p, p + n) (MADV_DONTNEED). Only for a private file mapping
// whose bytes there are as in the file: they read back from the file unchanged.
void drop_pages(const char* p, size_t n);

// Drops the whole 2 MiB blocks of the address space that [p, p + n) touches, clipped to the input
// [base, base + size) (and to whole pages). A kernel that maps large page-cache folios whole
// (input_buffer.cpp) maps a block for a single byte read; dropping only the pages read would leave
// the rest of the block mapped. Same condition as drop_pages() over the clipped range.
void drop_blocks(const char* base, size_t size, const char* p, size_t n);

}  // namespace infertrace::kineto
