// Model::load maps every page of the weights before anything is timed (gguf::File::prefault), so
// the first eval pays no first-touch page faults. Residency in this process's page tables is read
// from /proc/self/pagemap (bit 63, "page present", readable without privileges).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/gguf/gguf.h"
#include "engine/model/forward.h"
#include "engine/model/presets.h"
#include "engine/model/synth.h"

using namespace infertrace;
using namespace infertrace::engine;

namespace {

struct Residency {
  uint64_t present = 0, pages = 0;
};

// Pages of [p, p + bytes) that are mapped in this process right now.
Residency residency(const uint8_t* p, uint64_t bytes) {
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const uint64_t first = reinterpret_cast<uintptr_t>(p) / page;
  const uint64_t last = (reinterpret_cast<uintptr_t>(p) + bytes - 1) / page;
  const int fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  Residency r;
  if (fd < 0) return r;
  for (uint64_t v = first; v <= last; ++v) {
    uint64_t entry = 0;
    if (pread(fd, &entry, sizeof entry, static_cast<off_t>(v * sizeof entry)) != sizeof entry) break;
    ++r.pages;
    if (entry >> 63) ++r.present;
  }
  ::close(fd);
  return r;
}

std::string synth_file(const std::string& preset) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("infertrace_prefault_" + std::to_string(getpid()) + "_" + preset + ".gguf"))
                               .string();
  SynthOptions o;
  o.dtype = gguf::GgmlType::F32;
  synth_model(find_preset(preset), o, path);
  return path;
}

}  // namespace

TEST(GgufPrefault, OpenLeavesPagesUnmappedAndPrefaultMapsEveryPage) {
  const std::string path = synth_file("tiny-qwen3");
  const gguf::File f = gguf::File::open(path);
  const Residency before = residency(f.bytes(), f.file_size());
  ASSERT_GT(before.pages, 100u) << "the file should span many pages";
  // Parsing touches the header only: most of the tensor data is not mapped yet. (If this fails,
  // the check below cannot tell prefault's effect apart.)
  EXPECT_LT(before.present, before.pages / 2);
  f.prefault();
  const Residency after = residency(f.bytes(), f.file_size());
  EXPECT_EQ(after.present, after.pages);
  std::filesystem::remove(path);
}

TEST(GgufPrefault, ModelLoadInPlaceHasEveryWeightPageMapped) {
  const std::string path = synth_file("tiny-llama");
  const auto model = Model::load(path);
  const Residency r = residency(model->file().bytes(), model->file().file_size());
  ASSERT_GT(r.pages, 100u);
  EXPECT_EQ(r.present, r.pages);
  EXPECT_NE(model->placement_note().find("prefaulted"), std::string::npos) << model->placement_note();
  std::filesystem::remove(path);
}
