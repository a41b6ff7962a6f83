// Values quoted from a user's JSON file (report tables, compare's errors) are described, not
// dumped: nlohmann's dump() recurses per nesting level, and a few hundred KB of brackets would
// overflow the stack.
#include <gtest/gtest.h>

#include <string>

#include "report/json_brief.h"

using infertrace::json_brief;

TEST(JsonBrief, ScalarsAsJsonContainersBySize) {
  EXPECT_EQ(json_brief(nlohmann::json(3)), "3");
  EXPECT_EQ(json_brief(nlohmann::json(2.5)), "2.5");
  EXPECT_EQ(json_brief(nlohmann::json("x\"y")), "\"x\\\"y\"");
  EXPECT_EQ(json_brief(nlohmann::json(nullptr)), "null");
  EXPECT_EQ(json_brief(nlohmann::json::parse("[1,2,3]")), "[3 items]");
  EXPECT_EQ(json_brief(nlohmann::json::parse("[[]]")), "[1 item]");
  EXPECT_EQ(json_brief(nlohmann::json::parse(R"({"a":1})")), "{1 key}");
}

TEST(JsonBrief, DeeplyNestedValueDoesNotRecurse) {
  const size_t depth = 300000;  // about 600 KB of input; dump() would need ~300,000 frames
  const std::string text = std::string(depth, '[') + std::string(depth, ']');
  const nlohmann::json deep = nlohmann::json::parse(text);
  EXPECT_EQ(json_brief(deep), "[1 item]");
}

// Empty containers are plural ("0 items", "0 keys"), like every size but 1.
TEST(JsonBrief, EmptyContainersArePlural) {
  EXPECT_EQ(json_brief(nlohmann::json::array()), "[0 items]");
  EXPECT_EQ(json_brief(nlohmann::json::object()), "{0 keys}");
  EXPECT_EQ(json_brief(nlohmann::json::parse(R"({"a":1,"b":[]})")), "{2 keys}");
}
