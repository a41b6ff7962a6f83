// The sentences compare prints under its table reach compare --json ("notes") and the report page:
// a null or a hard IRQ rate of another kind means something the cells alone cannot say, and the
// page used to show only "-" where the terminal said why (review EA L5).
#include <gtest/gtest.h>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/compare.h"
#include "html_text.h"
#include "report/compare_render.h"
#include "report/html_report.h"

namespace infertrace {
namespace {

using nlohmann::json;

ScenarioMetrics scenario(const char* name, std::optional<bool> vectors) {
  ScenarioMetrics m;
  m.name = name, m.launches = 1000, m.wall = 1'000'000'000, m.irq_per_1k_hard = 10.0;
  m.irq_system_vectors = vectors;
  return m;
}

// The lines print_comparison writes after its table (the table ends at its last row's verdict).
std::vector<std::string> text_lines_after(const std::string& text, const std::string& last_row_end) {
  std::vector<std::string> out;
  std::istringstream is(text.substr(text.find(last_row_end) + last_row_end.size()));
  for (std::string line; std::getline(is, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

TEST(CompareNotes, TheUnknownIrqKindSentenceReachesJsonAndThePage) {
  // "saved": an analysis saved before irq_system_vectors; the baseline says it counts them.
  const Comparison c = compare_scenarios({scenario("base", true), scenario("saved", std::nullopt)});
  const std::string sentence = "IRQ/1K hard: whether saved counts the x86 system vectors (timer tick, IPIs) is unknown";
  std::ostringstream text;
  print_comparison(text, c);
  ASSERT_NE(text.str().find(sentence), std::string::npos) << text.str();

  const json j = comparison_json(c);
  ASSERT_TRUE(j.contains("notes") && j["notes"].is_array()) << j.dump(1);
  // The same sentences as the terminal's, in its order: the JSON holds what the text holds.
  EXPECT_EQ(j["notes"].get<std::vector<std::string>>(), text_lines_after(text.str(), c.rows.back().verdict + "\n"));
  bool found = false;
  for (const json& n : j["notes"]) found = found || n.get<std::string>().find(sentence) != std::string::npos;
  EXPECT_TRUE(found) << j["notes"].dump(1);

  const std::string page = html_text::doc_page(j);
  EXPECT_TRUE(html_text::has(page, sentence)) << page;

  // Nothing to say: an empty list, no note on the page.
  const json quiet = comparison_json(compare_scenarios({scenario("a", false), scenario("b", false)}));
  EXPECT_TRUE(quiet["notes"].empty()) << quiet["notes"].dump();
  EXPECT_FALSE(html_text::has(html_text::doc_page(quiet), "IRQ/1K hard: "));  // the sentences, not the column
}

}  // namespace
}  // namespace infertrace
