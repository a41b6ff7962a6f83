// `bench interference --scenarios` (bench/scenario_list.h): a repeated scenario is a usage error
// (before: two "baseline" rows, one "38.6% slower" than the other), and a list without baseline
// is run as given (before, the first listed scenario silently became the reference, at 0.0%; now
// no slowdown is given: interference_summary_test).
#include <gtest/gtest.h>

#include "bench/scenario_list.h"
#include "util/error.h"

namespace infertrace::bench {
namespace {

int exit_code_of(const std::string& text, std::string* message) {
  try {
    parse_scenario_list(text);
  } catch (const Error& e) {
    *message = e.what();
    return e.exit_code();
  }
  return 0;
}

TEST(ScenarioList, RepeatedScenarioIsAUsageError) {
  for (const char* text : {"baseline,baseline", "baseline,cpu,cpu", "cpu,net,cpu"}) {
    std::string message;
    EXPECT_EQ(exit_code_of(text, &message), 2) << text;
    EXPECT_NE(message.find("listed twice"), std::string::npos) << message;
  }
}

TEST(ScenarioList, ListWithoutBaselineRunsAsGiven) {
  // No scenario is added or taken as the reference: the summary gives no slowdown (see
  // InterferenceSummary.NoSlowdownWithoutAUsableBaseline), and the CLI says so before running.
  const ScenarioList l = parse_scenario_list("cpu,net");
  EXPECT_FALSE(l.has_baseline);
  EXPECT_EQ(l.names, (std::vector<std::string>{"cpu", "net"}));
  const ScenarioList m = parse_scenario_list("cpu,baseline");
  EXPECT_TRUE(m.has_baseline);
  EXPECT_EQ(m.names, (std::vector<std::string>{"cpu", "baseline"}));
}

TEST(ScenarioList, UnknownAndEmptyListsAreUsageErrors) {
  std::string message;
  EXPECT_EQ(exit_code_of("baseline,gpu", &message), 2);
  EXPECT_NE(message.find("unknown scenario 'gpu'"), std::string::npos) << message;
  EXPECT_EQ(exit_code_of("", &message), 2);
  EXPECT_NE(message.find("empty list"), std::string::npos) << message;
}

// Review BX L2: an empty item was dropped ("baseline," ran the baseline alone, exit 0), where bench
// threads -t 1,,2 is a usage error.
TEST(ScenarioList, EmptyItemsAreUsageErrors) {
  for (const char* text : {",,", "baseline,", ",cpu", "baseline,,cpu", ","}) {
    std::string message;
    EXPECT_EQ(exit_code_of(text, &message), 2) << text;
    EXPECT_NE(message.find("an empty item"), std::string::npos) << text << ": " << message;
  }
  EXPECT_EQ(parse_scenario_list("baseline,cpu").names, (std::vector<std::string>{"baseline", "cpu"}));
}

}  // namespace
}  // namespace infertrace::bench
