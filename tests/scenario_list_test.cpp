// `bench interference --scenarios` (bench/scenario_list.h): a repeated scenario is a usage error
// (before: two "baseline" rows, one "38.6% slower" than the other), and a list without baseline
// gets it first (before: the first listed scenario silently became the reference, at 0.0%).
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

TEST(ScenarioList, BaselineIsAddedFirstWhenMissing) {
  const ScenarioList l = parse_scenario_list("cpu,net");
  EXPECT_TRUE(l.baseline_added);
  EXPECT_EQ(l.names, (std::vector<std::string>{"baseline", "cpu", "net"}));
  // Listed anywhere, it keeps its place and nothing is added.
  const ScenarioList m = parse_scenario_list("cpu,baseline");
  EXPECT_FALSE(m.baseline_added);
  EXPECT_EQ(m.names, (std::vector<std::string>{"cpu", "baseline"}));
}

TEST(ScenarioList, UnknownAndEmptyListsAreUsageErrors) {
  std::string message;
  EXPECT_EQ(exit_code_of("baseline,gpu", &message), 2);
  EXPECT_NE(message.find("unknown scenario 'gpu'"), std::string::npos) << message;
  EXPECT_EQ(exit_code_of(",,", &message), 2);
  EXPECT_NE(message.find("empty list"), std::string::npos) << message;
  EXPECT_EQ(parse_scenario_list("baseline,,cpu").names, (std::vector<std::string>{"baseline", "cpu"}));
}

}  // namespace
}  // namespace infertrace::bench
