// elf_interpreter() reads PT_INTERP from program headers the test writes itself, and gives "" for
// everything that is not a well-formed 64-bit little-endian ELF naming an interpreter, so the
// recorder never hands a static or broken file to a dynamic loader.
#include "record/elf_interpreter.h"

#include <elf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using infertrace::elf_interpreter;

struct ElfImage {
  Elf64_Ehdr eh{};
  std::vector<Elf64_Phdr> ph;
  std::string interp;  // written after the headers, NUL included when it has one
};

// An executable with a PT_LOAD header and, when interp is given, a PT_INTERP pointing at it.
ElfImage image(const std::string& interp, bool with_interp = true) {
  ElfImage im;
  std::memcpy(im.eh.e_ident, ELFMAG, SELFMAG);
  im.eh.e_ident[EI_CLASS] = ELFCLASS64;
  im.eh.e_ident[EI_DATA] = ELFDATA2LSB;
  im.eh.e_ident[EI_VERSION] = EV_CURRENT;
  im.eh.e_type = ET_DYN;
  im.eh.e_machine = EM_X86_64;
  im.eh.e_phoff = sizeof(Elf64_Ehdr);
  im.eh.e_phentsize = sizeof(Elf64_Phdr);
  if (with_interp) {
    Elf64_Phdr p{};
    p.p_type = PT_INTERP;
    im.ph.push_back(p);
    im.interp = interp;
  }
  Elf64_Phdr load{};
  load.p_type = PT_LOAD;
  im.ph.push_back(load);
  im.eh.e_phnum = static_cast<Elf64_Half>(im.ph.size());
  const auto after = sizeof(Elf64_Ehdr) + im.ph.size() * sizeof(Elf64_Phdr);
  for (auto& p : im.ph)
    if (p.p_type == PT_INTERP) {
      p.p_offset = after;
      p.p_filesz = im.interp.size();
    }
  return im;
}

// Every file goes into one directory per test process, removed when the tests end.
const std::filesystem::path& scratch() {
  static const auto dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("elf_interp_test." + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

struct RemoveScratch : ::testing::Environment {
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(scratch(), ec);
  }
};
[[maybe_unused]] auto* const remove_scratch = ::testing::AddGlobalTestEnvironment(new RemoveScratch);

std::string write(const ElfImage& im, const std::string& name, size_t cut = std::string::npos) {
  std::string bytes(reinterpret_cast<const char*>(&im.eh), sizeof im.eh);
  bytes.append(reinterpret_cast<const char*>(im.ph.data()), im.ph.size() * sizeof(Elf64_Phdr));
  bytes += im.interp;
  if (cut < bytes.size()) bytes.resize(cut);
  const auto path = (scratch() / name).string();
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(ElfInterpreter, ReadsTheNamedInterpreter) {
  const std::string loader = "/lib64/ld-linux-x86-64.so.2";
  EXPECT_EQ(elf_interpreter(write(image(loader + std::string(1, '\0')), "plain")), loader);
  // Whatever follows the NUL inside the segment is not part of the path.
  EXPECT_EQ(elf_interpreter(write(image("/x/ld.so" + std::string(1, '\0') + "junk"), "trailing")), "/x/ld.so");
}

TEST(ElfInterpreter, NoneForStaticOrForeignFiles) {
  EXPECT_EQ(elf_interpreter(write(image("", false), "static")), "");
  ElfImage be = image("/lib/ld.so" + std::string(1, '\0'));
  be.eh.e_ident[EI_DATA] = ELFDATA2MSB;
  EXPECT_EQ(elf_interpreter(write(be, "bigendian")), "");
  ElfImage c32 = image("/lib/ld.so" + std::string(1, '\0'));
  c32.eh.e_ident[EI_CLASS] = ELFCLASS32;
  EXPECT_EQ(elf_interpreter(write(c32, "class32")), "");
  const auto script = (scratch() / "script").string();
  std::ofstream(script) << "#!/bin/sh\necho hi\n";
  EXPECT_EQ(elf_interpreter(script), "");
  EXPECT_EQ(elf_interpreter("/nonexistent/elf_interp_test"), "");
}

TEST(ElfInterpreter, NoneForMalformedHeaders) {
  const std::string ok = "/lib/ld.so" + std::string(1, '\0');
  // Cut inside the ELF header, the program headers and the path.
  for (size_t cut : {size_t{10}, sizeof(Elf64_Ehdr) + 8, sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr) + 3})
    EXPECT_EQ(elf_interpreter(write(image(ok), "cut" + std::to_string(cut), cut)), "") << "cut at " << cut;
  ElfImage no_nul = image("/lib/ld.so");
  EXPECT_EQ(elf_interpreter(write(no_nul, "nonul")), "");
  ElfImage empty = image(std::string(1, '\0'));
  EXPECT_EQ(elf_interpreter(write(empty, "emptypath")), "");
  ElfImage huge = image(ok);
  huge.eh.e_phnum = 65535;
  EXPECT_EQ(elf_interpreter(write(huge, "phnum")), "");
  ElfImage entsize = image(ok);
  entsize.eh.e_phentsize = 32;
  EXPECT_EQ(elf_interpreter(write(entsize, "phentsize")), "");
  ElfImage far = image(ok);
  far.ph[0].p_offset = 1ull << 40;
  EXPECT_EQ(elf_interpreter(write(far, "faroffset")), "");
  ElfImage big = image(ok);
  big.ph[0].p_filesz = 1ull << 40;
  EXPECT_EQ(elf_interpreter(write(big, "bigsize")), "");
}

TEST(ElfInterpreter, ThisTestProgramIsDynamic) {
  // The test binary is linked dynamically (the sanitizer runtimes require it): it names a loader
  // by absolute path, the one elf_dependencies() runs `--list` with.
  const std::string self = elf_interpreter("/proc/self/exe");
  ASSERT_FALSE(self.empty());
  EXPECT_EQ(self[0], '/');
  EXPECT_TRUE(std::filesystem::exists(self)) << self;
}

}  // namespace
