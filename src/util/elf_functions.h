// Where named functions start in an ELF file, as file offsets: what a uprobe is attached at. The
// recorder resolves its CUDA API names itself (rather than one libbpf lookup per name) so that it
// can hand the kernel all of a library's probes in one uprobe_multi link (uprobe_multi_link.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace infertrace {

// For each of `names` that the file defines as a function (STT_FUNC, in a section, not undefined)
// in its .dynsym or, failing that, its .symtab, the function's file offset: st_value - sh_addr +
// sh_offset of its section. A versioned symbol ("name@VER", "name@@VER") counts as `name`; the
// default version wins over a hidden one (.gnu.version, or a single '@'), then a global definition
// over a weak one; a name with two different equally strong global definitions in one table is
// left out (which one a call reaches is not knowable), and so is a name whose strongest definition
// is an IFUNC (its address is the resolver's, which runs once at binding, not at each call). Names
// not found are absent. Empty for a file that is not a 64-bit little-endian ELF, or whose tables
// are malformed.
std::map<std::string, uint64_t> elf_function_offsets(const std::string& path, const std::vector<std::string>& names);

}  // namespace infertrace
