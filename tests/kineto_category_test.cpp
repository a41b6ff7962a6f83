// classify_category (ingest/kineto/category_table.h): the table probe must agree with a plain
// comparison against the known spellings for every string, near misses included.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ingest/kineto/category_table.h"

using namespace infertrace;
using namespace infertrace::kineto;

namespace {

// The meaning of each known spelling, written out as plainly as possible.
CatInfo reference(const std::string& c) {
  if (c == "kernel" || c == "Kernel") return {Cat::Gpu, GpuKind::Kernel, false};
  if (c == "gpu_memcpy" || c == "Memcpy") return {Cat::Gpu, GpuKind::Memcpy, false};
  if (c == "gpu_memset" || c == "Memset") return {Cat::Gpu, GpuKind::Memset, false};
  if (c == "cuda_runtime" || c == "cuda_driver" || c == "Runtime") return {Cat::Api, GpuKind::Kernel, false};
  if (c == "cpu_op" || c == "Operator") return {Cat::Op, GpuKind::Kernel, false};
  if (c == "user_annotation") return {Cat::Op, GpuKind::Kernel, true};
  if (c.empty()) return {Cat::Op, GpuKind::Kernel, false};  // the legacy autograd export writes none
  return {};
}

void expect_same(const std::string& c) {
  // Classified from a copy whose neighbours are not the string's own: nothing outside it is read
  // (an out-of-bounds read shows up under ASan), and a prefix of a longer buffer is not mistaken.
  const std::string buffer = "#" + c + "_tail";
  const std::string_view view(buffer.data() + 1, c.size());
  const CatInfo got = classify_category(view), want = reference(c);
  EXPECT_EQ(got.cat, want.cat) << "'" << c << "'";
  EXPECT_EQ(got.kind, want.kind) << "'" << c << "'";
  EXPECT_EQ(got.user_annotation, want.user_annotation) << "'" << c << "'";
}

const std::vector<std::string> kKnown = {"kernel", "Kernel",       "gpu_memcpy",  "gpu_memset",
                                         "Memcpy", "Memset",       "cuda_runtime", "cuda_driver",
                                         "Runtime", "cpu_op",      "Operator",     "user_annotation"};

}  // namespace

TEST(KinetoCategory, KnownSpellings) {
  for (const std::string& c : kKnown) {
    expect_same(c);
    EXPECT_NE(classify_category(c).cat, Cat::Other) << c;
  }
}

TEST(KinetoCategory, OtherCategoriesAndEdgeLengths) {
  for (const std::string c : {"", "k", "ke", "ker", "cpu", "ac2g", "fwdbwd", "cpu_instant_event", "python_function",
                              "gpu_user_annotation", "Trace", "overhead", "cuda_profiler_range", "kernel ",
                              " kernel", "KERNEL", "cpu_op\"", "user_annotation_", "user_annotatio"})
    expect_same(c);
}

TEST(KinetoCategory, EveryOneByteChangeOfAKnownSpellingIsOther) {
  // Changing any single byte anywhere (the probe reads four words, so a byte between them must
  // still count), dropping one or appending one must never keep the classification.
  for (const std::string& known : kKnown) {
    for (size_t i = 0; i < known.size(); ++i) {
      for (int delta : {1, -1, 32, 0x80}) {
        std::string c = known;
        c[i] = static_cast<char>(c[i] + delta);
        expect_same(c);
      }
      std::string shorter = known;
      shorter.erase(i, 1);
      expect_same(shorter);
    }
    expect_same(known + "x");
    expect_same("x" + known);
  }
}
