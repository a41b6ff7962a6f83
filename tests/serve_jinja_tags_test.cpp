// Jinja's tags as its lexer finds them (serve/jinja_tags.h): what closes a tag, what is no tag, and
// the blocks open at each tag.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "serve/jinja_tags.h"
#include "thread_cpu_time.h"

using namespace infertrace::serve;

namespace {

// Each tag's text, a statement's as "keyword|rest".
std::vector<std::string> tag_texts(std::string_view text) {
  const auto tags = jinja_tags(text);
  EXPECT_TRUE(tags.has_value()) << text;
  std::vector<std::string> out;
  for (const JinjaTag& t : tags.value_or(std::vector<JinjaTag>{}))
    out.push_back(t.kind == JinjaTag::Kind::kStatement ? t.keyword + "|" + t.rest
                                                       : std::string(text.substr(t.begin, t.end - t.begin)));
  return out;
}

// The open blocks at each tag, as "if,for," (a `!` after one past its else).
std::vector<std::string> open_blocks(std::string_view text) {
  const auto tags = jinja_tags(text).value();
  std::vector<std::string> out;
  EXPECT_TRUE(visit_jinja_blocks(tags, [&](size_t i, const std::vector<JinjaBlock>& open) {
    std::string s = tags[i].keyword + ":";
    for (const JinjaBlock& b : open) s += b.keyword + (b.in_else ? "!" : "") + ",";
    out.push_back(s);
    return true;
  }));
  return out;
}

}  // namespace

TEST(JinjaTags, ClosingCharactersInStringsAndBracketsDoNotCloseATag) {
  EXPECT_EQ(tag_texts("a{{ '}}' }}b{%- set x = {'a': \"%}\"} -%}{{ {'k': {'v': 1}} }}"),
            (std::vector<std::string>{"{{ '}}' }}", "set|x={'a':\"%}\"}", "{{ {'k': {'v': 1}} }}"}));
  EXPECT_EQ(tag_texts("{{ 'it\\'s }}' }}{%+ if tools +%}"),
            (std::vector<std::string>{"{{ 'it\\'s }}' }}", "if|tools"}));
}

TEST(JinjaTags, CommentsAndRawBlocksHoldNoTags) {
  EXPECT_EQ(tag_texts("{#- {% if x %} '#}{{ y }}"), (std::vector<std::string>{"{#- {% if x %} '#}", "{{ y }}"}));
  EXPECT_EQ(tag_texts("{% raw %}{% if x %}{{ '{% endraw %}{{ z }}"),
            (std::vector<std::string>{"raw|", "endraw|", "{{ z }}"}));
  EXPECT_EQ(tag_texts("{%- raw -%}{% endraw x %}{%- endraw -%}"), (std::vector<std::string>{"raw|", "endraw|"}));
}

// A template comes from a model file: a raw block full of `{%` that are no endraw is read once, not
// once per `{%` (searching each one's `%}` to the end made it quadratic).
TEST(JinjaTags, ALongRawBlockCostsLittle) {
  std::string text = "{% raw %}";
  for (int i = 0; i < 200000; ++i) text += "{% ";
  text += "%}{%- endraw -%}{{ x }}";
  const auto t0 = infertrace::test::thread_cpu_now();
  EXPECT_EQ(tag_texts(text), (std::vector<std::string>{"raw|", "endraw|", "{{ x }}"}));
  EXPECT_LT(infertrace::test::thread_cpu_now() - t0, infertrace::test::cpu_seconds(5));
}

TEST(JinjaTags, AnUnclosedTagStringCommentOrRawBlockIsNoTemplate) {
  for (std::string_view text : {"{{ x", "{% if x %", "{{ 'x }}", "{# x", "{% raw %}{{ x }}", "{{ (x }}"})
    EXPECT_FALSE(jinja_tags(text).has_value()) << text;
  EXPECT_TRUE(jinja_tags("{ x } %} }} #} {").has_value());  // no tag opens: plain text
}

TEST(JinjaTags, BlocksOpenAtEachTag) {
  EXPECT_EQ(open_blocks("{% if a %}{% for m in ms %}{% set x = 1 %}{% endfor %}{% else %}{% set y %}{% endset %}"
                        "{% endif %}{% macro f() %}{% endmacro %}"),
            (std::vector<std::string>{"if:", "for:if,", "set:if,for,", "endfor:if,for,", "else:if,", "set:if!,",
                                      "endset:if!,set,", "endif:if!,", "macro:", "endmacro:macro,"}));
  // An end tag that closes another block than the last opened: Jinja refuses the template.
  const auto tags = jinja_tags("{% if a %}{% for m in ms %}{% endif %}").value();
  EXPECT_FALSE(visit_jinja_blocks(tags, [](size_t, const std::vector<JinjaBlock>&) { return true; }));
  const auto stray = jinja_tags("{% endfor %}").value();
  EXPECT_FALSE(visit_jinja_blocks(stray, [](size_t, const std::vector<JinjaBlock>&) { return true; }));
}
