// elf_function_offsets() against the dynamic loader: each function it finds is dlopen'ed and
// dlsym'ed, and the address is turned into a file offset through the mapping /proc/self/maps shows
// for it (start, file offset). The two routes share nothing (section headers vs program headers and
// the kernel's mappings), so an offset that would put a uprobe beside the function differs.
#include "util/elf_functions.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <link.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "record/cuda_apis.h"

namespace {

using infertrace::elf_function_offsets;

// The file offset at which the byte at `addr` is mapped from `path` in this process, or -1.
int64_t mapped_file_offset(const void* addr, const std::string& path) {
  const auto want = std::filesystem::canonical(path).string();
  std::ifstream maps("/proc/self/maps");
  std::string line;
  const auto a = reinterpret_cast<uintptr_t>(addr);
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms, offset, dev, inode, file;
    in >> range >> perms >> offset >> dev >> inode >> file;
    if (file != want) continue;
    const auto dash = range.find('-');
    const uintptr_t start = std::stoull(range.substr(0, dash), nullptr, 16);
    const uintptr_t end = std::stoull(range.substr(dash + 1), nullptr, 16);
    if (a >= start && a < end) return static_cast<int64_t>(a - start + std::stoull(offset, nullptr, 16));
  }
  return -1;
}

std::string fake_library(const std::string& file) {
  return std::string(INFERTRACE_BINARY_DIR) + "/tests/support/fakecuda/" + file;
}
std::string fake_runtime() { return fake_library("libfakecudart.so"); }

std::vector<std::string> cuda_names() {
  std::vector<std::string> names;
  for (const auto& a : infertrace::cuda_apis()) names.emplace_back(a.symbol);
  return names;
}

// The fake runtime as built, whose .text has the same virtual address as file offset, and again
// with .text linked at 0x40000 (file offset ~0x2000): there a symbol's value is not its offset.
class ElfFunctionsFake : public testing::TestWithParam<const char*> {};

TEST_P(ElfFunctionsFake, OffsetsAreWhereTheLoaderMapsEachFunction) {
  const std::string lib = fake_library(GetParam());
  if (!std::filesystem::exists(lib)) GTEST_SKIP() << lib << " not built";
  void* h = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(h, nullptr) << dlerror();
  const auto names = cuda_names();
  const auto found = elf_function_offsets(lib, names);
  // Every CUDA name this library itself defines (dladdr: not one of its dependency's), and no other.
  size_t defined_here = 0;
  for (const auto& name : names) {
    void* sym = dlsym(h, name.c_str());
    Dl_info info{};
    const bool here = sym && dladdr(sym, &info) && info.dli_fname &&
                      std::filesystem::equivalent(info.dli_fname, lib);
    if (!here) {
      EXPECT_EQ(found.count(name), 0u) << name;
      continue;
    }
    ++defined_here;
    ASSERT_EQ(found.count(name), 1u) << name;
    EXPECT_EQ(static_cast<int64_t>(found.at(name)), mapped_file_offset(sym, lib)) << name;
  }
  EXPECT_GE(defined_here, 10u);  // the fake runtime defines the runtime launch, copy and sync calls
  dlclose(h);
}

INSTANTIATE_TEST_SUITE_P(Builds, ElfFunctionsFake, testing::Values("libfakecudart.so", "libfakecudart_shifted.so"));

// libc defines old and default versions of some functions at different addresses
// (realpath@GLIBC_2.2.5 and realpath@@GLIBC_2.3): the default one is what a call reaches and what
// dlsym returns. memcpy's default version is an IFUNC (its address is the resolver's): left out
// rather than probing the older plain version no call reaches.
TEST(ElfFunctions, LibcDefaultVersionWinsAndIfuncIsLeftOut) {
  // libc's own definitions, through its handle: under ASan the process-wide lookup finds the
  // sanitizer's interceptors first.
  void* libc_handle = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(libc_handle, nullptr) << dlerror();
  Dl_info info{};
  void* realpath_addr = dlsym(libc_handle, "realpath");
  ASSERT_NE(realpath_addr, nullptr);
  ASSERT_TRUE(dladdr(realpath_addr, &info) && info.dli_fname);
  const std::string libc = std::filesystem::canonical(info.dli_fname).string();
  const auto found = elf_function_offsets(libc, {"realpath", "pthread_cond_wait", "memcpy", "no_such_function_x"});
  ASSERT_EQ(found.count("realpath"), 1u);
  EXPECT_EQ(static_cast<int64_t>(found.at("realpath")), mapped_file_offset(realpath_addr, libc));
  void* cond_wait = dlsym(libc_handle, "pthread_cond_wait");
  ASSERT_NE(cond_wait, nullptr);
  if (dladdr(cond_wait, &info) && info.dli_fname && std::filesystem::equivalent(info.dli_fname, libc)) {
    ASSERT_EQ(found.count("pthread_cond_wait"), 1u);
    EXPECT_EQ(static_cast<int64_t>(found.at("pthread_cond_wait")), mapped_file_offset(cond_wait, libc));
  }
  EXPECT_EQ(found.count("memcpy"), 0u);
  EXPECT_EQ(found.count("no_such_function_x"), 0u);
  dlclose(libc_handle);
}

// Damaged or foreign files: nothing found, no crash, no read past the end.
TEST(ElfFunctions, TruncatedAndForeignFilesGiveNothing) {
  const std::string lib = fake_runtime();
  if (!std::filesystem::exists(lib)) GTEST_SKIP() << lib << " not built";
  std::ifstream in(lib, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto dir = std::filesystem::temp_directory_path() / ("elf_functions_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto names = cuda_names();
  const auto whole = elf_function_offsets(lib, names);
  ASSERT_FALSE(whole.empty());
  // Cut anywhere: the section headers sit at the end of the file, so every cut loses them.
  for (size_t keep : {size_t{0}, size_t{10}, sizeof(Elf64_Ehdr), bytes.size() / 2, bytes.size() - 1}) {
    const auto p = dir / ("cut_" + std::to_string(keep));
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(keep));
    EXPECT_TRUE(elf_function_offsets(p.string(), names).empty()) << keep;
  }
  // Every byte of the ELF header flipped in turn: either nothing, or only offsets of the real file
  // (a header field the reader does not use).
  for (size_t i = 0; i < sizeof(Elf64_Ehdr); ++i) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0xff);
    const auto p = dir / "flipped";
    std::ofstream(p, std::ios::binary).write(damaged.data(), static_cast<std::streamsize>(damaged.size()));
    for (const auto& [name, off] : elf_function_offsets(p.string(), names)) {
      ASSERT_EQ(whole.count(name), 1u) << i << " " << name;
      EXPECT_EQ(whole.at(name), off) << i << " " << name;
    }
  }
  const auto text = dir / "text";
  std::ofstream(text) << "cudaLaunchKernel\n";
  EXPECT_TRUE(elf_function_offsets(text.string(), names).empty());
  EXPECT_TRUE(elf_function_offsets(dir.string(), names).empty());             // a directory
  EXPECT_TRUE(elf_function_offsets((dir / "absent").string(), names).empty());  // no file
  std::filesystem::remove_all(dir);
}

}  // namespace
