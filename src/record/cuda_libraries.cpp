#include "record/cuda_libraries.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "record/elf_interpreter.h"
#include "util/shell_quote.h"

namespace infertrace {

namespace {

std::string run_and_read(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(cmd.c_str(), "r"), ::pclose);
  if (!p) return {};
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
  return out;
}

}  // namespace

bool looks_like_cuda_library(const std::string& path) {
  const std::string base = std::filesystem::path(path).filename().string();
  return base.rfind("libcuda.so", 0) == 0 || base.rfind("libcudart.so", 0) == 0 ||
         base.rfind("libcudart-", 0) == 0;  // pip wheels: libcudart-<hash>.so.12
}

std::vector<std::string> standard_cuda_libraries() {
  std::vector<std::string> out;
  // `ldconfig -p` lines: "\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1"
  std::istringstream in(run_and_read("/sbin/ldconfig -p 2>/dev/null"));
  std::string line;
  while (std::getline(in, line)) {
    const size_t arrow = line.find("=> ");
    if (arrow == std::string::npos) continue;
    const std::string path = line.substr(arrow + 3);
    if (looks_like_cuda_library(path)) out.push_back(path);
  }
  std::error_code ec;
  for (const char* dir : {"/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib"}) {
    for (auto& e : std::filesystem::directory_iterator(dir, ec)) {
      const std::string p = e.path().string();
      if (looks_like_cuda_library(p) && p.find(".so") != std::string::npos) out.push_back(p);
    }
  }
  return out;
}

std::vector<std::string> elf_dependencies(const std::string& exe) {
  // Only a dynamically linked executable has libraries to list. A static one (no PT_INTERP) is never
  // handed to a loader: it ignores LD_TRACE_LOADED_OBJECTS and runs (this is root, and the command
  // then ran twice, once untraced), and `ld.so --list` crashes on it.
  if (elf_interpreter(exe).empty()) return {};
  // The loader that started this process lists them (`ld.so --list`, as ldd does), never the
  // interpreter the command names, which could be any program. The loader maps the libraries and
  // exits without relocating or running any of their code. Lines look like
  // "\tlibfoo.so => /path/libfoo.so (0x...)"; the listing process is named after the loader, so it
  // is not mistaken for the command (a test once took it for the workload: it is gone at once).
  const std::string loader = elf_interpreter("/proc/self/exe");
  if (loader.empty()) return {};
  std::istringstream in(run_and_read(shell_quote(loader) + " --list " + shell_quote(exe) + " 2>/dev/null"));
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    // A dependency named with a slash ("./libcudart.so.12": a library linked by its path, without a
    // SONAME) is not searched for and has no "=>": "\t./libcudart.so.12 (0x...)", a path relative to
    // the current directory, which the command starts in too (review BI: such a runtime was probed
    // only when the scan found it mapped, 0.3 s in, and 90% of the launches were missing).
    const size_t arrow = line.find("=> ");
    std::string path = arrow == std::string::npos ? line.substr(std::min(line.size(), line.find_first_not_of(" \t")))
                                                   : line.substr(arrow + 3);
    if (const size_t paren = path.find(" ("); paren != std::string::npos) path.resize(paren);
    if (arrow == std::string::npos && path.find('/') == std::string::npos) continue;  // linux-vdso.so.1
    std::error_code ec;
    if (arrow == std::string::npos && path[0] != '/') path = std::filesystem::absolute(path, ec).lexically_normal().string();
    if (!ec && !path.empty() && path[0] == '/') out.push_back(path);
  }
  return out;
}

namespace {

// Whether pid sees the same mount namespace (the same files at the same paths) as this process;
// true when either cannot be read.
bool same_mount_namespace(int pid) {
  struct stat self{}, other{};
  if (::stat("/proc/self/ns/mnt", &self) != 0 || ::stat(("/proc/" + std::to_string(pid) + "/ns/mnt").c_str(), &other) != 0)
    return true;
  return self.st_dev == other.st_dev && self.st_ino == other.st_ino;
}

}  // namespace

std::vector<std::string> mapped_cuda_candidates(int pid) {
  std::vector<std::string> out;
  std::error_code ec;
  // A process in another mount namespace (a container) names its files by its own paths: here the
  // same path is another file, or none (review RP M4: the host's libcuda of that name was probed,
  // none of the container's runtime calls recorded). Its files are reached through its root.
  const std::string root = same_mount_namespace(pid) ? "" : "/proc/" + std::to_string(pid) + "/root";
  const auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
  if (!ec) out.push_back(root + exe.string());
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(in, line)) {
    // "addr perms offset dev inode   path"
    std::istringstream ls(line);
    std::string addr, perms, off, dev, inode, path;
    ls >> addr >> perms >> off >> dev >> inode;
    std::getline(ls >> std::ws, path);
    if (perms.size() >= 3 && perms[2] == 'x' && !path.empty() && path[0] == '/' && looks_like_cuda_library(path))
      out.push_back(root + path);
  }
  return out;
}

std::string resolve_in_path(const std::string& cmd) {
  if (cmd.find('/') != std::string::npos) return cmd;
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string p = (dir.empty() ? "." : dir) + "/" + cmd;
    // execvp skips what it cannot execute (a directory of that name) and goes on searching.
    struct stat st{};
    if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0) return p;
  }
  return {};
}

}  // namespace infertrace
