#include "record/elf_interpreter.h"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <vector>

namespace infertrace {

std::string elf_interpreter(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Elf64_Ehdr eh;
  if (!in.read(reinterpret_cast<char*>(&eh), sizeof eh)) return {};
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_phentsize != sizeof(Elf64_Phdr))
    return {};
  // PT_INTERP must come before any loadable segment (the ELF gABI), so the headers are few; the
  // cap keeps a corrupt e_phnum from making this read the whole file.
  if (eh.e_phnum == 0 || eh.e_phnum > 4096) return {};
  std::vector<Elf64_Phdr> ph(eh.e_phnum);
  in.seekg(static_cast<std::streamoff>(eh.e_phoff));
  if (!in.read(reinterpret_cast<char*>(ph.data()), static_cast<std::streamsize>(ph.size() * sizeof(Elf64_Phdr))))
    return {};
  for (const auto& p : ph) {
    if (p.p_type != PT_INTERP) continue;
    // A path, NUL-terminated inside the segment; PATH_MAX bounds any real one.
    if (p.p_filesz < 2 || p.p_filesz > 4096) return {};
    std::string s(p.p_filesz, '\0');
    in.seekg(static_cast<std::streamoff>(p.p_offset));
    if (!in.read(s.data(), static_cast<std::streamsize>(s.size()))) return {};
    const size_t nul = s.find('\0');
    if (nul == std::string::npos || nul == 0) return {};
    s.resize(nul);
    return s;
  }
  return {};
}

}  // namespace infertrace
