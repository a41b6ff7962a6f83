// The program interpreter (PT_INTERP) an ELF executable names, read from its program headers
// without running anything: the recorder needs to know whether CMD is dynamically linked before it
// asks a dynamic loader for CMD's libraries (a static executable handed to a loader runs or crashes).
#pragma once

#include <string>

namespace infertrace {

// The PT_INTERP path of a 64-bit little-endian ELF file ("/lib64/ld-linux-x86-64.so.2"), or "" for
// a file that is not such an ELF, has no PT_INTERP (static, static-pie) or is malformed.
std::string elf_interpreter(const std::string& path);

}  // namespace infertrace
