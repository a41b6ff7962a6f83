// libFuzzer target: arbitrary bytes as the file the recorder reads probe offsets from
// (util/elf_functions.h, a --lib PATH or a library a traced process mapped). The bytes go into a
// memfd read through its /proc path, as a file would be. Every offset returned lies inside the
// file; nothing may crash, read out of bounds or throw.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "util/elf_functions.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<std::string> names = {"cudaLaunchKernel", "cuLaunchKernel", "cudaStreamSynchronize",
                                                 "cuGraphLaunch", "memcpy"};
  const int fd = ::memfd_create("fuzz_elf", MFD_CLOEXEC);
  if (fd < 0) std::abort();
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) std::abort();
    done += static_cast<size_t>(n);
  }
  const auto found = infertrace::elf_function_offsets("/proc/self/fd/" + std::to_string(fd), names);
  ::close(fd);
  for (const auto& [name, offset] : found)
    if (offset >= size) std::abort();
  return 0;
}
