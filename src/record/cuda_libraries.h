// Where the CUDA libraries of a traced program are: the standard install places, libraries named
// with --lib, the command's own dynamic dependencies, and whatever traced processes map later
// (PyTorch loads its bundled libcudart from site-packages at import time).
#pragma once

#include <string>
#include <vector>

namespace infertrace {

// libcuda/libcudart found by the dynamic linker cache and under /usr/local/cuda.
std::vector<std::string> standard_cuda_libraries();

// The shared libraries a dynamically linked ELF executable will load, as this process's own dynamic
// loader lists them (`ld.so --list`, as ldd does); nothing runs the executable or its interpreter.
// Empty for scripts, static executables and other architectures.
std::vector<std::string> elf_dependencies(const std::string& exe);

// Files mapped executable by process `pid` whose name looks like a CUDA driver or runtime library,
// plus the main executable (which may link cudart statically); through /proc/PID/root when the
// process is in another mount namespace (a container), whose paths name other files here.
std::vector<std::string> mapped_cuda_candidates(int pid);

// Resolves a command name through PATH like execvp does ("" when not found).
std::string resolve_in_path(const std::string& cmd);

bool looks_like_cuda_library(const std::string& path);

}  // namespace infertrace
