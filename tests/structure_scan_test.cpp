// The quick cut points between trace events (structure_scan.h) and the unmapping of what their
// search read (input_pages.h): cuts sit between events, about a piece apart; each search reports
// the bytes it read; dropping those leaves no page of their 2 MiB blocks mapped.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ingest/input_buffer.h"
#include "ingest/input_pages.h"
#include "ingest/kineto/structure_scan.h"
#include "kineto_test_util.h"
#include "mapped_kb.h"

namespace infertrace::kineto {
namespace {

// {"traceEvents": [ {...}, {...}, ... ]} with events of varying length, Kineto's indentation.
std::string event_document(size_t events) {
  std::string s = "{\"traceEvents\": [\n";
  for (size_t i = 0; i < events; ++i) {
    if (i) s += ",\n";
    s += "  {\n    \"ph\": \"X\", \"name\": \"op" + std::string(i % 37, 'x') + "\", \"ts\": " + std::to_string(1000 + i) +
         ", \"args\": {\"v\": [1, {\"k\": \"},{\"}]}\n  }";
  }
  s += "\n]}\n";
  return s;
}

// A comma with only whitespace between it and the '}' before and the '{' after.
bool between_events(const std::string& s, size_t c) {
  if (s[c] != ',') return false;
  size_t b = c, f = c + 1;
  while (b > 0 && (s[b - 1] == ' ' || s[b - 1] == '\n')) --b;
  while (f < s.size() && (s[f] == ' ' || s[f] == '\n')) ++f;
  return b > 0 && s[b - 1] == '}' && f < s.size() && s[f] == '{';
}

TEST(QuickCuts, CutsSitBetweenEventsAPieceApartAndEachSearchSaysWhatItRead) {
  const std::string doc = event_document(20000);
  const size_t chunk = 64 * 1024, edge = 4 * 1024;
  std::vector<std::pair<size_t, size_t>> searched;
  const std::vector<size_t> cuts =
      quick_cuts(doc.data(), doc.size(), chunk, edge, [&](size_t from, size_t to) { searched.emplace_back(from, to); });
  ASSERT_GE(cuts.size(), 10u);
  // The first cut at least `edge` in, the middle ones at least `chunk` after the previous one,
  // the last one at most `edge` before the end (its search starts there).
  EXPECT_GE(cuts.front(), edge);
  for (size_t i = 1; i + 1 < cuts.size(); ++i) EXPECT_GE(cuts[i] - cuts[i - 1], chunk) << i;
  EXPECT_LE(doc.size() - cuts.back(), edge);
  EXPECT_GT(cuts.back(), cuts[cuts.size() - 2]);
  for (size_t c : cuts) EXPECT_TRUE(between_events(doc, c)) << c;
  // One search per cut; each read from where it started to past its cut.
  ASSERT_EQ(searched.size(), cuts.size());
  for (size_t i = 0; i < cuts.size(); ++i) {
    EXPECT_LE(searched[i].first, cuts[i]) << i;
    EXPECT_GT(searched[i].second, cuts[i]) << i;
    EXPECT_LE(searched[i].second, doc.size()) << i;
  }
  // Without the callback: the same cuts.
  EXPECT_EQ(quick_cuts(doc.data(), doc.size(), chunk, edge), cuts);
}

TEST(DropBlocks, UnmapsTheWholeBlocksARangeTouches) {
  constexpr size_t kMiB = size_t{1} << 20;
  testing_kineto::TempFile f(std::string(7 * kMiB + 333, 'j'));
  const InputBuffer in = InputBuffer::open(f.path(), /*prefault=*/false);
  const long before = mapped_kb(in.data());
  ASSERT_GE(before, 0) << "no /proc/self/smaps entry for the mapping";
  // One byte read in the block [2 MiB, 4 MiB) maps at least its page (the whole block where the
  // kernel maps large folios whole).
  volatile char sink = in.data()[3 * kMiB + 5];
  (void)sink;
  const long touched = mapped_kb(in.data());
  EXPECT_GT(touched, before);
  drop_blocks(in.data(), in.size(), in.data() + 3 * kMiB + 5, 1);
  EXPECT_EQ(mapped_kb(in.data()), before);
  // A range at the end is clipped to the input's whole pages, and unmaps what it touched.
  volatile char last = in.data()[in.size() - 400];
  (void)last;
  drop_blocks(in.data(), in.size(), in.data() + in.size() - 400, 400);
  EXPECT_LE(mapped_kb(in.data()), before + 4);
  EXPECT_EQ(in.data()[in.size() - 1], 'j');
}

}  // namespace
}  // namespace infertrace::kineto
