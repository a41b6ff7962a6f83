// The whole-template checks behind chat-template detection: jinja2's whitespace handling of template
// data (serve/jinja_lex.h), what jinja2 refuses to compile (serve/jinja_syntax.h, jinja_grammar.h),
// and the ChatML structure reader (serve/chatml_structure.h), through ChatTemplate::detect where a
// refusal's reason is what matters. Expected texts follow jinja2's documented rules (trim_blocks:
// the newline after a block tag goes; lstrip_blocks: spaces and tabs from a line's start to a block
// tag go; `-` strips all white space on its side, `+` keeps it) and were checked against jinja2.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "engine/model/chat_template_texts.h"
#include "serve/chat_template.h"
#include "serve/chatml_default_system.h"
#include "serve/chatml_structure.h"
#include "serve/jinja_lex.h"
#include "serve/jinja_syntax.h"
#include "thread_cpu_time.h"

using namespace infertrace::serve;

namespace {

// Every stretch of template data as jinja2 writes it, in order (the one after the last tag too).
std::vector<std::string> data_of(const std::string& text) {
  const std::string s = jinja_normalized(text);
  const std::optional<std::vector<JinjaTag>> tags = jinja_tags(s);
  EXPECT_TRUE(tags.has_value()) << text;
  std::vector<std::string> out;
  if (!tags) return out;
  for (size_t i = 0; i <= tags->size(); ++i) out.push_back(jinja_data_before(s, *tags, i));
  return out;
}

std::string syntax_problem(const std::string& text) {
  std::string why;
  return jinja_structure(jinja_normalized(text), &why) ? "" : why;
}

std::string refusal(std::string_view text) {
  std::string why;
  EXPECT_FALSE(ChatTemplate::detect(text, &why).has_value()) << text;
  return why;
}

bool has(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

const std::string kLoop =
    "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}"
    "{%- endfor %}";
const std::string kGen = "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

}  // namespace

TEST(JinjaLex, DataAsJinjaWritesIt) {
  using V = std::vector<std::string>;
  // trim_blocks: the newline after a block tag, not after an expression.
  EXPECT_EQ(data_of("{% if x %}\nA{% endif %}{{ y }}\nB"), (V{"", "A", "", "\nB"}));
  // lstrip_blocks: indentation before a block or comment tag on its own line, not before an expression.
  EXPECT_EQ(data_of("A\n  {% if x %}  {{ y }}\n\t{# c #}"), (V{"A\n", "  ", "\n", ""}));
  // ... and at the template's start, or after a trimmed newline (the line starts there).
  EXPECT_EQ(data_of("  {% if x %}\n    {% endif %}"), (V{"", "", ""}));
  // Not after text on the same line.
  EXPECT_EQ(data_of("{{ y }}  {% if x %}{% endif %}"), (V{"", "  ", "", ""}));
  // `-` strips every white space on its side; `+` keeps the indentation and the newline.
  EXPECT_EQ(data_of("A \n {%- if x -%} \n B{% endif %}"), (V{"A", "B", ""}));
  EXPECT_EQ(data_of("A\n  {%+ if x +%}\nB{% endif %}"), (V{"A\n  ", "\nB", ""}));
  // An expression's `-}}` strips too (its `+}}` is no sign: the `+` is an operator).
  EXPECT_EQ(data_of("{{ a -}}\n B{{ b }}\n"), (V{"", "B", ""}));
  // "\r\n" is a newline; one newline ending the template is dropped, the one before it written.
  EXPECT_EQ(data_of("{{ x }}\r\nA\n\n"), (V{"", "\nA\n"}));
  // A `-` opening a comment is not its closing sign: `{#-#}` strips before itself only.
  EXPECT_EQ(data_of("A {#-#} B"), (V{"A", " B"}));
}

// Numbers split and strings decoded as jinja2 3.1's lexer does (its integer and float rules, Python's
// unicode-escape decoding of every string literal): what jinja2 splits into two tokens, or cannot
// decode, is refused with the token named; the neighbours it reads as one token are taken as one.
TEST(JinjaLex, NumbersAndStringEscapesAsJinja2ReadsThem) {
  using Kind = JinjaToken::Kind;
  auto lex = [](std::string_view body) {
    std::string why;
    const std::optional<std::vector<JinjaToken>> t = jinja_tokens(body, &why);
    std::vector<std::string> out;
    if (!t) return std::vector<std::string>{"refused: " + why};
    for (const JinjaToken& k : *t)
      out.push_back((k.kind == Kind::kNumber ? "N:" : k.kind == Kind::kString ? (k.plain_string ? "S:" : "s:")
                     : k.kind == Kind::kName ? "n:" : "o:") + k.text);
    return out;
  };
  using V = std::vector<std::string>;
  for (const std::string n : {"0", "10", "00", "0_0", "1_000", "1.5", "1e5", "1E5", "1.5e-3", "1e+5", "1.5_0",
                              "1_0.2_5e1_0", "0x1F", "0X1f", "0x_1f", "0b101", "0B1_0", "0o17", "0O7", "007.5", "0e0"})
    EXPECT_EQ(lex(n), (V{"N:" + n})) << n;
  // A '.' that no fraction's digits follow is the attribute operator, as after a number right
  // behind a '.', where jinja2's float rule does not start: 1.2.3 is 1.2, '.', 3.
  EXPECT_EQ(lex("1.foo"), (V{"N:1", "o:.", "n:foo"}));
  EXPECT_EQ(lex("1."), (V{"N:1", "o:."}));
  EXPECT_EQ(lex("1.2.3"), (V{"N:1.2", "o:.", "N:3"}));
  EXPECT_EQ(lex("x.1e5"), (V{"refused: '1e5', which jinja2 reads as the number '1' and then 'e5'"}));
  EXPECT_EQ(lex("x. 1e5"), (V{"n:x", "o:.", "N:1e5"}));
  EXPECT_EQ(lex("1 if x else 2"), (V{"N:1", "n:if", "n:x", "n:else", "N:2"}));
  const std::pair<std::string_view, std::string_view> split[] = {
      {"08", "'0' and then '8'"},   {"007", "'00' and then '7'"}, {"1_", "'1' and then '_'"},
      {"1__0", "'1' and then '__0'"}, {"1e", "'1' and then 'e'"},  {"1.5e", "'1.5' and then 'e'"},
      {"0x", "'0' and then 'x'"},   {"1a", "'1' and then 'a'"},   {"0x1g", "'0x1' and then 'g'"},
      {"0b2", "'0' and then 'b2'"}, {"0o8", "'0' and then 'o8'"}, {"1_.5", "'1' and then '_'"},
      {"1if", "'1' and then 'if'"}};
  for (const auto& [text, what] : split) {
    const V got = lex(text);
    ASSERT_EQ(got.size(), 1u) << text;
    EXPECT_TRUE(has(got[0], "refused: '")) << text << ": " << got[0];
    EXPECT_TRUE(has(got[0], std::string("which jinja2 reads as the number ") + std::string(what))) << got[0];
  }
  // Strings: \n \t \r \\ \' \" are decoded here (as Python does); the other escapes Python takes
  // are kept as written, the string not plain (nothing renders it); those it cannot decode refused.
  EXPECT_EQ(lex(R"('a\n\t\r\\\'\"b')"), (V{"S:a\n\t\r\\'\"b"}));
  for (const std::string ok : {R"('\x41')", R"('\u00e9')", R"('\U0010FFFF')", R"('\777')", R"('\8')", R"('\q')",
                               R"('\a\b\f\v')", R"("\X4")", R"('\xfF')"})
    EXPECT_EQ(lex(ok), (V{"s:" + ok.substr(1, ok.size() - 2)})) << ok;
  EXPECT_EQ(lex(R"('\\x4')"), (V{R"(S:\x4)"}));  // an escaped backslash, then plain text
  const std::pair<std::string_view, std::string_view> bad[] = {
      {R"('\x4')", R"('\x4' in a string literal, which jinja2 cannot decode (truncated \xXX escape))"},
      {R"('\xg1')", R"('\x' in a string literal, which jinja2 cannot decode (truncated \xXX escape))"},
      {R"('\u12')", R"('\u12' in a string literal, which jinja2 cannot decode (truncated \uXXXX escape))"},
      {R"("\U0011000")", R"('\U0011000' in a string literal, which jinja2 cannot decode (truncated \UXXXXXXXX)"},
      {R"('\U00110000')", R"('\U00110000' in a string literal, which jinja2 cannot decode (no Unicode character))"},
      {R"('\N{NOPE}')", R"('\N' in a string literal)"},
      {R"('\N{LATIN SMALL LETTER A}')", R"('\N' in a string literal)"}};
  for (const auto& [text, what] : bad) {
    const V got = lex(text);
    ASSERT_EQ(got.size(), 1u) << text;
    EXPECT_TRUE(has(got[0], std::string("refused: the escape ") + std::string(what))) << text << ": " << got[0];
  }
}

TEST(JinjaSyntax, RefusesWhatJinjaWouldNotCompile) {
  const std::string ok = kLoop + kGen;
  EXPECT_EQ(syntax_problem(ok), "");
  EXPECT_TRUE(has(syntax_problem("{% if (add_generation_prompt %}x{% endif %}"), "not closed"));
  EXPECT_TRUE(has(syntax_problem("{% if add_generation_prompt) %}x{% endif %}"), "unmatched ')'"));
  EXPECT_TRUE(has(syntax_problem("{{ [1, 2) }}"), "unmatched ')'"));
  EXPECT_TRUE(has(syntax_problem("{% if x %}x"), "'if' block (line 1) is not closed"));
  EXPECT_TRUE(has(syntax_problem("{% for m in messages %}x{% endif %}"), "'endif' closes no open 'if'"));
  EXPECT_TRUE(has(syntax_problem("x\n{% else %}"), "outside an if block"));
  EXPECT_TRUE(has(syntax_problem("{% if x %}{% else %}{% elif y %}{% endif %}"), "outside an if block (or after its else)"));
  EXPECT_TRUE(has(syntax_problem("{% frobnicate %}"), "unknown statement 'frobnicate'"));
  EXPECT_TRUE(has(syntax_problem("{% do x %}"), "unknown statement 'do'"));
  EXPECT_TRUE(has(syntax_problem("{% break %}"), "outside a loop"));
  EXPECT_TRUE(has(syntax_problem("{{ }}"), "empty"));
  EXPECT_TRUE(has(syntax_problem("{{ 'a' +}}"), "expression expected"));
  EXPECT_TRUE(has(syntax_problem("{{ a b }}"), "'b' where the tag should end"));
  EXPECT_TRUE(has(syntax_problem("\n\n{% if x y %}{% endif %}"), "line 3"));
  EXPECT_TRUE(has(syntax_problem("{% for in messages %}{% endfor %}"), "'in' expected"));
  EXPECT_TRUE(has(syntax_problem("{% endif x %}"), "more than its name"));
  EXPECT_TRUE(has(syntax_problem("{{ 'a }}"), "not closed"));
  EXPECT_TRUE(has(syntax_problem("{{ a $ b }}"), "'$' begins no Jinja token"));
  // What chat templates write compiles: tests, filters with arguments, slices, namespaces, calls,
  // conditional expressions, for with a filter, macros, dict and list literals.
  for (const std::string t :
       {"{% if x is not none and y is divisibleby 3 %}{% endif %}", "{{ m[1:] }}{{ m[::-1] }}{{ m[:2] }}",
        "{% set ns = namespace(a=1, b=x|length - 1) %}{% set ns.a = 2 %}", "{{ f(*a, **b) }}{{ g() }}",
        "{{ a if b else c }}{{ 'x' 'y' }}{{ -1 }}{{ (1, 2) }}{{ () }}", "{% for x in y if x %}{% endfor %}",
        "{% macro f(a, b=1) %}{{ a }}{% endmacro %}", "{{ {'a': 1, 'b': [1, 2,]} | tojson(indent=2) }}",
        "{{ a not in b }}{% for a, b in c %}{% break %}{% endfor %}", "{% raw %}{% if {{ %}{% endraw %}"})
    EXPECT_EQ(syntax_problem(t), "") << t;
  EXPECT_EQ(syntax_problem(std::string(infertrace::engine::qwen3_chat_template())), "");
  EXPECT_EQ(syntax_problem(std::string(infertrace::engine::llama32_chat_template())), "");
}

// Whatever the family markers say, a template jinja2 would not compile is refused.
TEST(JinjaSyntax, DetectionRefusesSyntaxErrorsOfEveryFamily) {
  EXPECT_TRUE(has(refusal(kLoop + "{%- if (add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"),
                  "would not compile in jinja2"));
  std::string llama(infertrace::engine::llama32_chat_template());
  llama.erase(llama.rfind("{%- endif %}"));
  EXPECT_TRUE(has(refusal(llama), "would not compile in jinja2: its 'if' block"));
}

TEST(ChatMlStructure, AcceptsTheRenderedPartsAndWhatWritesNothing) {
  std::string why;
  EXPECT_TRUE(read_chatml_structure(kLoop + kGen, &why).has_value()) << why;
  // Comments, stripped white space and literal sets anywhere at the top level.
  const std::string spaced = "{# a note #}\n{% set sep = '' %}\n  " + kLoop + "\n  {# b #}\n" + kGen + "\n";
  EXPECT_TRUE(read_chatml_structure(spaced, &why).has_value()) << why;
  // Raw text and expressions in any split, joined by ~ or +, in the loop's body.
  const std::string raw = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m.content ~ '<|im_end|>' }}\n"
                          "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
  EXPECT_TRUE(read_chatml_structure(raw, &why).has_value()) << why;
}

// The gaps of the last session's closing note: text, an expression, a set of the messages, a second
// loop between or after the parts were not read, and jinja2 wrote or ran them. Each refused, named.
TEST(ChatMlStructure, RefusesAndNamesWhatElseTheTemplateWritesOrRuns) {
  const auto reason = [](const std::string& text) {
    std::string why;
    EXPECT_FALSE(read_chatml_structure(text, &why).has_value()) << text;
    return why;
  };
  EXPECT_TRUE(has(reason("Hello " + kLoop + kGen), "writes the text 'Hello' (line 1)"));
  EXPECT_TRUE(has(reason(kLoop + kGen + "X"), "writes the text 'X'"));
  EXPECT_TRUE(has(reason(kLoop + "\n\n{{- 'X' }}" + kGen), "{{- 'X' }} (line 3) outside the parts"));
  // A newline jinja2 keeps (trim_blocks takes one) is written text too.
  EXPECT_TRUE(has(reason(kLoop + "\n\n{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"),
                  "writes the text '\\n' (line 2)"));
  EXPECT_TRUE(has(reason("{% set messages = messages[1:] %}" + kLoop + kGen), "{% set messages = messages[1:] %}"));
  EXPECT_TRUE(has(reason("{% set x = raise_exception('no') %}" + kLoop + kGen), "raise_exception"));
  EXPECT_TRUE(has(reason(kLoop + kLoop + kGen), "{%- for message in messages %}"));
  EXPECT_TRUE(has(reason(kLoop + "{%- if true %}{{ 'X' }}{%- endif %}" + kGen), "{%- if true %}"));
  EXPECT_TRUE(has(reason(kLoop + kGen + kGen), "{%- if add_generation_prompt %}"));
  EXPECT_TRUE(has(reason(kGen + kLoop), "{%- if add_generation_prompt %}"));
  EXPECT_TRUE(has(reason(kLoop), "no generation prompt"));
  EXPECT_TRUE(has(reason(kGen), "{%- if add_generation_prompt %}"));
  // The loop's body: anything but the ChatML turn.
  std::string trimmed = kLoop;
  trimmed.replace(trimmed.find("message.content"), 15, "message.content | trim");
  EXPECT_TRUE(has(reason(trimmed + kGen), "only string literals and the message's role and content"));
  std::string spaced = kLoop;
  spaced.replace(spaced.find("<|im_end|>"), 10, "<|im_end|> ");
  EXPECT_TRUE(has(reason(spaced + kGen), "whose messages are not written as ChatML"));
  EXPECT_TRUE(has(reason("{% for message in messages if message.role != 'system' %}{{ '<|im_start|>' + message.role + "
                         "'\\n' + message.content + '<|im_end|>\\n' }}{% endfor %}" + kGen),
                  "only a `for M in messages` loop"));
  // Through detection: the family and the reason together.
  EXPECT_TRUE(has(refusal("{{ 'X' }}" + kLoop + kGen), "is ChatML, but it has {{ 'X' }} (line 1)"));
}

// Qwen2.5's default block must pair with the loop's skip of the first system message, and its
// else branches may take only messages the server never sends.
TEST(ChatMlStructure, DefaultSystemBlockAndTheLoopsSkipGoTogether) {
  const std::string block =
      "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + "
      "'<|im_end|>\\n' }}{%- else %}{{- '<|im_start|>system\\nBe short.<|im_end|>\\n' }}{%- endif %}";
  const std::string write = "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}";
  const auto loop = [&](const std::string& condition, const std::string& elifs) {
    return "{%- for message in messages %}{%- if " + condition + " %}" + write + elifs + "{%- endif %}{%- endfor %}";
  };
  const std::string skip = "(message.role == 'user') or (message.role == 'system' and not loop.first) or "
                           "(message.role == 'assistant')";
  std::string why;
  const auto st = read_chatml_structure(block + loop(skip, "{%- elif message.role == 'tool' %}{{ 'T' }}") + kGen, &why);
  ASSERT_TRUE(st.has_value()) << why;
  EXPECT_EQ(st->default_system, "Be short.");
  const auto reason = [](const std::string& text) {
    std::string w;
    EXPECT_FALSE(read_chatml_structure(text, &w).has_value()) << text;
    return w;
  };
  // Without the skip the first system message is written twice; the skip without the block, never.
  EXPECT_TRUE(has(reason(block + kLoop + kGen), "does not skip the first system message"));
  EXPECT_TRUE(has(reason(loop(skip, "") + kGen), "which nothing else writes"));
  // Without the assistant clause no branch writes assistant messages the way the server does: an
  // elif on them writes something else, and with none (only a tool elif) jinja2 writes none at all
  // (review CL H1: that was accepted, and the server wrote every assistant turn). Either order.
  const std::string no_assistant = "(message.role == 'user') or (message.role == 'system' and not loop.first)";
  const std::string no_assistant_swapped = "(message.role == 'system' and not loop.first) or (message.role == 'user')";
  for (const std::string& c : {no_assistant, no_assistant_swapped}) {
    for (const std::string elifs : {"{%- elif message.role == 'assistant' %}{{ 'A' }}",
                                    "{%- elif message.role == 'tool' %}{{ 'T' }}", ""}) {
      const std::string text = block + loop(c, elifs) + kGen;
      EXPECT_TRUE(has(reason(text), "does not skip the first system message")) << text;
      // The older reading of the default (chatml_default_system.h) refuses the loop too, and
      // detection says why.
      EXPECT_FALSE(find_chatml_default_system(text).has_value()) << text;
      EXPECT_TRUE(has(refusal(text), "default system message of its own")) << text;
    }
  }
  EXPECT_TRUE(find_chatml_default_system(block + loop(skip, "") + kGen).has_value());
  // Each clause once: a second assistant clause is no Qwen2.5 condition.
  EXPECT_TRUE(has(reason(block + loop(skip + " or (message.role == 'assistant')", "") + kGen), "does not skip"));
  // An else, or an elif on a role the server sends, takes the skipped first system message.
  EXPECT_TRUE(has(reason(block + loop(skip, "{%- else %}{{ 'S' }}") + kGen), "may reach"));
  EXPECT_TRUE(has(reason(block + loop(skip, "{%- elif message.role == 'system' %}{{ 'S' }}") + kGen), "may reach"));
  // Something written beside the block in the else branch of `if tools`.
  EXPECT_TRUE(has(reason("{%- if tools %}{{ 'T' }}{%- else %}" + block + "{{ 'X' }}{%- endif %}" + loop(skip, "") + kGen),
                  "{{ 'X' }}"));
}

// Qwen2.5's system block with no else (Qwen3's first half, Qwen2.5's with its default removed:
// review CL M1): the conversation's system message written first, no default, the loop skipping it.
// jinja2 writes plain ChatML for it.
TEST(ChatMlStructure, SystemBlockWithoutADefaultIsPlainChatMl) {
  const std::string block =
      "{%- if messages[0]['role'] == 'system' %}\n    {{- '<|im_start|>system\\n' + messages[0]['content'] + "
      "'<|im_end|>\\n' }}\n{%- endif %}\n";
  const std::string tools = "{%- if tools %}\n    {{- '<|im_start|>system\\n' }}\n    {{- 'Tools: ' + tools | tojson + "
                            "'<|im_end|>\\n' }}\n{%- else %}\n" + block + "{%- endif %}\n";
  const std::string loop =
      "{%- for message in messages %}\n    {%- if (message.role == \"user\") or (message.role == \"system\" and not "
      "loop.first) or (message.role == \"assistant\" and not message.tool_calls) %}\n        {{- '<|im_start|>' + "
      "message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n    {%- elif message.role == \"tool\" %}\n"
      "        {{- 'T' }}\n    {%- endif %}\n{%- endfor %}\n";
  for (const std::string& text : {block + loop + kGen, tools + loop + kGen}) {
    std::string why;
    const std::optional<ChatTemplate> t = ChatTemplate::detect(text, &why);
    ASSERT_TRUE(t.has_value()) << why << "\n" << text;
    EXPECT_EQ(t->name(), "chatml");
    // What jinja2 writes, by its rules: the system message (when first) from the block, then each
    // other message from the loop, then the prompt.
    EXPECT_EQ(t->render({{"user", "hi"}, {"assistant", "yo"}}, {}),
              "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nyo<|im_end|>\n<|im_start|>assistant\n");
    EXPECT_EQ(t->render({{"system", "S"}, {"user", "hi"}}, {}),
              "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  }
  const auto reason = [](const std::string& text) {
    std::string w;
    EXPECT_FALSE(read_chatml_structure(text, &w).has_value()) << text;
    return w;
  };
  // The skip is still needed (jinja2 would write the system message twice without it), and so is the
  // block (the skip alone drops it); a Qwen1.5 default after the block would write it twice too.
  EXPECT_TRUE(has(reason(block + kLoop + kGen), "does not skip the first system message"));
  EXPECT_TRUE(has(reason(block + "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' "
                                 "%}{{ '<|im_start|>system\\nD<|im_end|>\\n' }}{% endif %}{{ '<|im_start|>' + "
                                 "message.role + '\\n' + message.content + '<|im_end|>\\n' }}{% endfor %}" + kGen),
                  "after a block writing the system message"));
  // Two blocks would write it twice; an elif branch is no default.
  EXPECT_TRUE(has(reason(block + block + loop + kGen), "outside the parts"));
  std::string elif = block;
  elif.replace(elif.find("{%- endif"), 0, "{%- elif true %}{{ 'E' }}");
  EXPECT_TRUE(has(reason(elif + loop + kGen), "with a branch other than one plain else"));
}

// axolotl's chatml template opens with `if not add_generation_prompt is defined` setting it (review
// CL H2). The server always passes add_generation_prompt, so that block never runs: accepted
// before the loop, in either spelling, rendering plain ChatML; anything more in it is refused.
TEST(ChatMlStructure, AddGenerationPromptDefaultPreludeIsAccepted) {
  const std::string plain = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] "
                            "+ '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' "
                            "}}{% endif %}";
  for (const std::string cond : {"not add_generation_prompt is defined", "add_generation_prompt is not defined"}) {
    for (const std::string value : {"false", "true"}) {
      const std::string text = "{% if " + cond + " %}{% set add_generation_prompt = " + value + " %}{% endif %}" + plain;
      std::string why;
      const std::optional<ChatTemplate> t = ChatTemplate::detect(text, &why);
      ASSERT_TRUE(t.has_value()) << why << "\n" << text;
      EXPECT_EQ(t->name(), "chatml");
      EXPECT_EQ(t->render({{"user", "hi"}}, {}), "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
    }
  }
  // Spaced over lines as model files write it (trim_blocks and lstrip_blocks leave nothing).
  std::string why;
  EXPECT_TRUE(read_chatml_structure("{% if not add_generation_prompt is defined %}\n  {% set add_generation_prompt = "
                                    "false %}\n{% endif %}\n" + plain, &why).has_value())
      << why;
  const auto reason = [](const std::string& text) {
    std::string w;
    EXPECT_FALSE(read_chatml_structure(text, &w).has_value()) << text;
    return w;
  };
  const std::string open = "{% if not add_generation_prompt is defined %}";
  EXPECT_TRUE(has(reason(open + "X{% set add_generation_prompt = false %}{% endif %}" + plain), "writing text"));
  EXPECT_TRUE(has(reason(open + "{% set add_generation_prompt = false %}{% set x = 1 %}{% endif %}" + plain),
                  "doing other than"));
  EXPECT_TRUE(has(reason(open + "{% set messages = [] %}{% endif %}" + plain), "doing other than"));
  EXPECT_TRUE(has(reason(open + "{% set add_generation_prompt = messages %}{% endif %}" + plain), "doing other than"));
  EXPECT_TRUE(has(reason(open + "{% endif %}" + plain), "setting nothing"));
  EXPECT_TRUE(has(reason(open + "{% set add_generation_prompt = false %}{% else %}{% endif %}" + plain),
                  "with another branch"));
  // Only before the loop: after it, the prompt's own test reads it.
  const size_t gen = plain.find("{% if add_generation_prompt");
  EXPECT_TRUE(has(reason(plain.substr(0, gen) + open + "{% set add_generation_prompt = false %}{% endif %}" +
                         plain.substr(gen)),
                  "outside the parts"));
  // A condition that runs (add_generation_prompt is passed, so `is defined` holds) is not it.
  EXPECT_TRUE(has(reason("{% if add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}" +
                         plain),
                  "outside the parts"));
}

// The qwen2 presets' template (our own text): Qwen2.5's shape, its default in front of a
// conversation without a system message, a later system message where it is.
TEST(ChatMlStructure, Qwen25PresetTemplateRendersItsDefault) {
  std::string why;
  const std::optional<ChatTemplate> t = ChatTemplate::detect(infertrace::engine::qwen25_chat_template(), &why);
  ASSERT_TRUE(t.has_value()) << why;
  EXPECT_EQ(t->name(), "chatml (default system message)");
  EXPECT_EQ(t->render({{"user", "hi"}, {"assistant", "yo"}, {"system", "late"}}, {}),
            "<|im_start|>system\nYou are a small synthetic model. Answer briefly.<|im_end|>\n"
            "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nyo<|im_end|>\n"
            "<|im_start|>system\nlate<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(t->render({{"system", "Mine."}, {"user", "hi"}}, {}),
            "<|im_start|>system\nMine.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
}

// Templates come from model files: every check is linear in the text. 30,000 tags before the loop
// (comments, literal sets), 30,000 written expressions, brackets nested 40,000 deep, 30,000 nested
// ifs left open (refused at the 81st), 75 left open: each judged within the 5 s bound (milliseconds in a release build).
TEST(ChatMlStructure, LongTemplatesAreJudgedInLinearTime) {
  std::string comments, sets, exprs, parens, ifs;
  for (int i = 0; i < 30000; ++i) {
    comments += "{# c #}";
    sets += "{% set a = 1 %}";
    exprs += "{{ 'x' }}";
    ifs += "{% if x %}";
  }
  parens = "{{ " + std::string(40000, '(') + "1" + std::string(40000, ')') + " }}";
  const auto t0 = infertrace::test::thread_cpu_now();
  std::string why;
  EXPECT_TRUE(read_chatml_structure(comments + sets + kLoop + kGen, &why).has_value()) << why;
  EXPECT_TRUE(has(refusal(exprs + kLoop + kGen), "{{ 'x' }} (line 1)"));
  EXPECT_TRUE(has(refusal(parens + kLoop + kGen), "nested too deep"));
  EXPECT_TRUE(has(refusal(ifs + kLoop + kGen), "blocks nested more than 80 deep"));
  EXPECT_TRUE(has(refusal(ifs.substr(0, 75 * 10) + kLoop + kGen), "is not closed"));
  EXPECT_LT(infertrace::test::thread_cpu_now() - t0, infertrace::test::cpu_seconds(5));
}

// Qwen3 templates are not read whole; text jinja2 writes outside every block is refused for them
// (their renderer writes none). Llama 3's reader (serve/llama3_structure.h) reads such text too.
TEST(JinjaSyntax, TextOutsideEveryBlockIsRefusedForTheMarkerFamilies) {
  const std::string qwen3(infertrace::engine::qwen3_chat_template());
  const std::string llama(infertrace::engine::llama32_chat_template());
  EXPECT_TRUE(has(refusal("Note: " + qwen3), "is Qwen3, but it writes the text 'Note:' outside its blocks"));
  const std::string why_llama = refusal(llama + "\n\nX");
  EXPECT_TRUE(has(why_llama, "is Llama 3, but it writes '\\n\\nX' (line 24) where the template's end should come")) << why_llama;
  // Inside a block it is the family renderer's business (not read here): only the top level counts.
  std::string why;
  const std::string s = jinja_normalized("A{% if x %}B{% endif %}\n{% for m in y %}C{% endfor %}D");
  const std::optional<JinjaStructure> st = jinja_structure(s, &why);
  ASSERT_TRUE(st.has_value()) << why;
  EXPECT_EQ(top_level_text(s, *st), "A");
  const std::string inner = jinja_normalized("{% if x %}B{% endif %}\n{% set a %}C{% endset %}");
  EXPECT_EQ(top_level_text(inner, *jinja_structure(inner, &why)), "");
}

// A refusal quotes the template, cut to a few dozen bytes; it goes out as JSON, so the cut must fall
// between UTF-8 characters, and a character no token begins with is named whole (review CL L3:
// chat_render died on half an "é"). Each text below puts a two-byte character across the cut.
TEST(ChatMlStructure, RefusalsQuoteWholeUtf8Characters) {
  const std::string e = "\xc3\xa9";  // é
  std::string es;
  for (int i = 0; i < 40; ++i) es += e;
  const auto whole = [](const std::string& s) {
    const auto at = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
    for (size_t i = 0; i < s.size();) {
      const size_t n = at(i) < 0x80 ? 1 : (at(i) & 0xE0) == 0xC0 ? 2 : (at(i) & 0xF0) == 0xE0 ? 3 : 4;
      if (i + n > s.size()) return false;
      for (size_t k = 1; k < n; ++k)
        if ((at(i + k) & 0xC0) != 0x80) return false;
      i += n;
    }
    return true;
  };
  // The lexer: the whole character.
  const std::string lexed = refusal("{{ " + e + " }}" + kLoop + kGen);
  EXPECT_TRUE(has(lexed, "the character '" + e + "' begins no Jinja token")) << lexed;
  // The structure reader's 60 bytes of a tag: "{{ 'x" is 5 bytes, so byte 60 is inside an é.
  const std::string tag = refusal("{{ 'x" + es + "' }}" + kLoop + kGen);
  EXPECT_TRUE(has(tag, "{{ 'x" + es.substr(0, 54) + "...")) << tag;
  EXPECT_TRUE(whole(tag)) << tag;
  // The marker families' 40 bytes of top-level text: "x" then é's, byte 40 inside one.
  const std::string text = refusal("x" + es + std::string(infertrace::engine::qwen3_chat_template()));
  EXPECT_TRUE(has(text, "the text 'x" + es.substr(0, 38) + "' outside")) << text;
  EXPECT_TRUE(whole(text)) << text;
}

// jinja2 compiles a template to Python source, a level of indentation per block: Python refuses
// 100 levels and 21 nested loops (jinja2 3.1 fails from 99 nested `if`s and 21 nested `for`s,
// review DA), so deeper nesting is refused for every family, with room below those limits.
TEST(JinjaSyntax, RefusesNestingPythonWouldNotCompile) {
  const auto nested = [](std::string_view open, std::string_view close, size_t n) {
    std::string t;
    for (size_t i = 0; i < n; ++i) t += open;
    t += "x";
    for (size_t i = 0; i < n; ++i) t += close;
    return t;
  };
  EXPECT_EQ(syntax_problem(nested("{% if a %}", "{% endif %}", 80)), "");
  EXPECT_NE(syntax_problem(nested("{% if a %}", "{% endif %}", 81)).find("blocks nested more than 80 deep"),
            std::string::npos);
  EXPECT_EQ(syntax_problem(nested("{% for a in b %}", "{% endfor %}", 16)), "");
  EXPECT_NE(syntax_problem(nested("{% for a in b %}", "{% endfor %}", 17)).find("'for' loops nested more than 16"),
            std::string::npos);
  // Closed blocks do not count: 200 blocks one after another are fine.
  std::string flat;
  for (int i = 0; i < 200; ++i) flat += "{% if a %}x{% endif %}";
  EXPECT_EQ(syntax_problem(flat), "");
}

// What jinja2 refuses to compile though its grammar allows it (review DF L3): assigning `loop`
// (TemplateAssertionError inside a for loop), and a chain of binary operators long enough that the
// Python jinja2 generates nests more than 200 parentheses (197 `+` compile, 198 do not, measured
// with jinja2 3.1.6); the limit here is 150 per tag.
TEST(JinjaSyntax, LoopAssignmentAndLongOperatorChainsAreRefused) {
  const std::string set_loop = "{%- for message in messages %}{%- set loop = 1 %}"
                               "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}"
                               "{%- endfor %}";
  EXPECT_TRUE(has(refusal(set_loop + kGen), "assigning to `loop`"));
  EXPECT_TRUE(has(refusal("{%- set a, loop = 1, 2 %}" + kLoop + kGen), "assigning to `loop`"));
  const auto chain = [](int operators) {
    std::string e = "{%- set a = 1";
    for (int i = 0; i < operators; ++i) e += i % 2 ? " - 1" : " + 1";
    return e + " %}";
  };
  EXPECT_EQ(syntax_problem(chain(150)), "");
  EXPECT_TRUE(has(syntax_problem(chain(151)), "more than 150 binary operators in one tag"));
  EXPECT_TRUE(has(refusal(chain(151) + kLoop + kGen), "more than 150 binary operators in one tag"));
  // Counted per tag: two tags of 100 each compile.
  EXPECT_EQ(syntax_problem(chain(100) + chain(100)), "");
  // `and`, `or`, filters (and tests) nest as deep (review ZR M3: 198 `and`, `or` or `|string` fail to
  // compile with jinja2 3.1 on Python 3.11), so they count against the same limit, mixed or not.
  const auto links = [](const std::string& link, int n) {
    std::string e = "{{ a";
    for (int i = 0; i < n; ++i) e += link;
    return e + " }}";
  };
  for (const std::string link : {" and a", " or a", "|string"}) {
    EXPECT_EQ(syntax_problem(links(link, 150)), "") << link;
    EXPECT_TRUE(has(syntax_problem(links(link, 151)), "more than 150 binary operators in one tag")) << link;
  }
  std::string mixed = "{{ a";
  for (int i = 0; i < 75; ++i) mixed += " + a";
  for (int i = 0; i < 75; ++i) mixed += "|string";
  EXPECT_EQ(syntax_problem(mixed + " }}"), "");
  EXPECT_TRUE(has(syntax_problem(mixed + " and a }}"), "more than 150 binary operators in one tag"));
}

// Names jinja2 reads as constants cannot be assigned (review ZR M1: `for none in messages` was
// accepted; jinja2: "can't assign to 'const'"), in a loop or a set, alone or in a tuple.
TEST(JinjaSyntax, ConstantsAreNotAssignmentTargets) {
  for (const std::string c : {"true", "false", "none", "True", "False", "None"}) {
    EXPECT_TRUE(has(syntax_problem("{% for " + c + " in messages %}{% endfor %}"), "a constant jinja2 will not assign"))
        << c;
    EXPECT_TRUE(has(syntax_problem("{% set a, " + c + " = 1, 2 %}"), "a constant jinja2 will not assign")) << c;
  }
  // A name that merely starts like one is a name.
  EXPECT_EQ(syntax_problem("{% for nonex in messages %}{% endfor %}"), "");
  EXPECT_EQ(syntax_problem("{% set Trueish = 1 %}"), "");
}

// An elif chain is compiled recursively by jinja2 (review ZR M2: 2975 elifs exceed Python 3.11's
// recursion limit): more than 400 in one if block are refused; 400 compile.
TEST(JinjaSyntax, LongElifChainsAreRefused) {
  const auto chain = [](int elifs) {
    std::string t = "{% if a %}x";
    for (int i = 0; i < elifs; ++i) t += "{% elif b %}y";
    return t + "{% endif %}";
  };
  EXPECT_EQ(syntax_problem(chain(400)), "");
  EXPECT_TRUE(has(syntax_problem(chain(401)), "more than 400 'elif' branches in one 'if' block"));
  // Per block: two if blocks of 300 each compile.
  EXPECT_EQ(syntax_problem(chain(300) + chain(300)), "");
}
