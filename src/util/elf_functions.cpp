#include "util/elf_functions.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string_view>
#include <unordered_map>

namespace infertrace {

namespace {

// Reads exactly `n` bytes at `off`; false past the end of the file or on an error.
bool read_at(int fd, uint64_t off, uint64_t n, void* out, uint64_t file_size) {
  if (off > file_size || n > file_size - off) return false;
  auto* p = static_cast<char*>(out);
  while (n > 0) {
    const ssize_t r = ::pread(fd, p, n, static_cast<off_t>(off));
    if (r <= 0) return false;
    p += r;
    off += static_cast<uint64_t>(r);
    n -= static_cast<uint64_t>(r);
  }
  return true;
}

struct Found {
  uint64_t offset = 0;
  int rank = -1;  // -1: not seen
  bool ambiguous = false;
  bool ifunc = false;
};

// How strongly a definition stands for its name: the default version of a versioned name (what a
// call binds to) over a hidden older one ("name@VER" in .symtab, the hidden bit of .gnu.version in
// .dynsym: libc-style compatibility symbols), then global over weak.
int definition_rank(bool default_version, bool global) { return (default_version ? 2 : 0) + (global ? 1 : 0); }

// One symbol table (and its string table, and for .dynsym its .gnu.version): the wanted names it
// defines as functions.
void scan_table(int fd, uint64_t file_size, const std::vector<Elf64_Shdr>& sh, size_t table_index,
                const std::unordered_map<std::string_view, size_t>& wanted, std::vector<Found>& found) {
  const Elf64_Shdr& table = sh[table_index];
  if (table.sh_entsize != sizeof(Elf64_Sym) || table.sh_link >= sh.size()) return;
  const Elf64_Shdr& strtab = sh[table.sh_link];
  // A CUDA library's tables are a few MB at most; the caps keep a corrupt header from asking for
  // the whole address space.
  if (table.sh_size > (1ull << 30) || strtab.sh_size > (1ull << 30) || strtab.sh_type != SHT_STRTAB) return;
  std::vector<Elf64_Sym> syms(table.sh_size / sizeof(Elf64_Sym));
  std::string strings(strtab.sh_size, '\0');
  if (!read_at(fd, table.sh_offset, syms.size() * sizeof(Elf64_Sym), syms.data(), file_size) ||
      !read_at(fd, strtab.sh_offset, strings.size(), strings.data(), file_size))
    return;
  std::vector<Elf64_Versym> versym;
  for (const Elf64_Shdr& v : sh)
    if (v.sh_type == SHT_GNU_versym && v.sh_link == table_index && v.sh_size == syms.size() * sizeof(Elf64_Versym)) {
      versym.resize(syms.size());
      if (!read_at(fd, v.sh_offset, v.sh_size, versym.data(), file_size)) versym.clear();
    }
  for (size_t i = 0; i < syms.size(); ++i) {
    const Elf64_Sym& s = syms[i];
    const int type = ELF64_ST_TYPE(s.st_info);
    if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF || s.st_shndx >= sh.size()) continue;
    const int bind = ELF64_ST_BIND(s.st_info);
    if (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE) continue;
    if (s.st_name >= strings.size()) continue;
    std::string_view name(strings.data() + s.st_name);
    bool default_version = versym.empty() || (versym[i] & 0x8000) == 0;  // 0x8000: VERSYM_HIDDEN
    if (const size_t at = name.find('@'); at != std::string_view::npos) {
      default_version = default_version && name.compare(at, 2, "@@") == 0;
      name = name.substr(0, at);
    }
    const auto w = wanted.find(name);
    if (w == wanted.end()) continue;
    const Elf64_Shdr& sec = sh[s.st_shndx];
    if (sec.sh_type == SHT_NOBITS || s.st_value < sec.sh_addr || s.st_value - sec.sh_addr >= sec.sh_size) continue;
    const uint64_t into = s.st_value - sec.sh_addr;  // < sh_size
    if (sec.sh_offset > file_size || into >= file_size - sec.sh_offset) continue;  // past the file's end
    const uint64_t offset = sec.sh_offset + into;
    const int rank = definition_rank(default_version, bind != STB_WEAK);
    Found& f = found[w->second];
    if (rank > f.rank)
      f = Found{offset, rank, false, type == STT_GNU_IFUNC};
    else if (rank == f.rank && offset != f.offset && bind != STB_WEAK)
      f.ambiguous = true;
  }
}

}  // namespace

std::map<std::string, uint64_t> elf_function_offsets(const std::string& path, const std::vector<std::string>& names) {
  std::map<std::string, uint64_t> out;
  // O_NONBLOCK: a FIFO given as a library must not hang the open (it is refused just below).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return out;
  struct stat st{};
  Elf64_Ehdr eh{};
  std::vector<Elf64_Shdr> sh;
  const bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                  read_at(fd, 0, sizeof eh, &eh, static_cast<uint64_t>(st.st_size)) &&
                  std::memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
                  eh.e_ident[EI_DATA] == ELFDATA2LSB && eh.e_shentsize == sizeof(Elf64_Shdr) && eh.e_shnum > 0;
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (ok) {
    sh.resize(eh.e_shnum);
    if (!read_at(fd, eh.e_shoff, sh.size() * sizeof(Elf64_Shdr), sh.data(), file_size)) sh.clear();
  }
  if (!sh.empty()) {
    std::unordered_map<std::string_view, size_t> wanted;
    for (size_t i = 0; i < names.size(); ++i) wanted.emplace(names[i], i);
    // .dynsym first: what the dynamic loader binds calls to; .symtab (when not stripped) only for
    // the names .dynsym does not define (a static executable's own functions).
    for (const uint32_t type : {SHT_DYNSYM, SHT_SYMTAB}) {
      std::vector<Found> found(names.size());
      for (size_t t = 0; t < sh.size(); ++t)
        if (sh[t].sh_type == type) scan_table(fd, file_size, sh, t, wanted, found);
      for (size_t i = 0; i < names.size(); ++i)
        if (found[i].rank >= 0 && !found[i].ambiguous && !found[i].ifunc && !out.count(names[i])) out.emplace(names[i], found[i].offset);
    }
  }
  ::close(fd);
  return out;
}

}  // namespace infertrace
