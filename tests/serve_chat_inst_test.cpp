// The [INST] chat family (serve/chat_inst.h): the template code the markers see, each variant
// detected in a template written here and rendering a known conversation as the prompt written out
// by hand (which jinja2 rendering these same texts with Hugging Face's settings also gives), the
// exceptions those templates raise, and the [INST] shapes refused. The templates are this project's
// own texts of each variant's logic; the renderings were checked outside the repository against
// jinja2 rendering the published templates (docs/serve.md "Chat").
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "serve/chat_inst.h"
#include "serve/chat_template.h"

using namespace infertrace::serve;

namespace {

// The variant parts, spaced and quoted unlike one another on purpose: the markers see through it.
const std::string kSystemFirst =
    "{%- if messages[0]['role'] == 'system' %}\n"
    "  {%- set system_message = messages[0]['content'] %}\n"
    "  {%- set loop_messages = messages[1:] %}\n"
    "{%- else %}\n"
    "  {%- set loop_messages = messages %}\n"
    "{%- endif %}\n";
const std::string kAlternate =
    "  {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n"
    "    {{- raise_exception('turns must alternate') }}\n"
    "  {%- endif %}\n";
const std::string kRefuseOthers =
    "  {%- else %}\n"
    "    {{- raise_exception('only user and assistant turns') }}\n"
    "  {%- endif %}\n"
    "{%- endfor %}\n";

const std::string kLlama2 =
    "{% if messages[0][\"role\"] == \"system\" %}{% set loop_messages = messages[1:] %}{% set system_message = "
    "messages[0][\"content\"] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif "
    "%}\n"
    "{% for message in loop_messages %}\n"
    "{% if (message[\"role\"] == \"user\") != (loop.index0 % 2 == 0) %}{{ raise_exception(\"turns must alternate\") "
    "}}{% endif %}\n"
    "{% if loop.index0 == 0 and system_message != false %}{% set content = \"<<SYS>>\\n\" + system_message + "
    "\"\\n<</SYS>>\\n\\n\" + message[\"content\"] %}{% else %}{% set content = message[\"content\"] %}{% endif %}\n"
    "{% if message[\"role\"] == \"user\" %}{{ bos_token + \"[INST] \" + content.strip() + \" [/INST]\" }}{% elif "
    "message[\"role\"] == \"assistant\" %}{{ \" \" + content.strip() + \" \" + eos_token }}{% endif %}\n"
    "{% endfor %}\n";

std::string mistral_v01(const std::string& answer) {
  return "{{- bos_token }}\n{%- for message in messages %}\n" + kAlternate +
         "  {%- if message['role'] == 'user' %}\n    {{- '[INST] ' + message['content'] + ' [/INST]' }}\n"
         "  {%- elif message['role'] == 'assistant' %}\n    {{- " +
         answer + " }}\n" + kRefuseOthers;
}

std::string mistral_v1_v3(const std::string& when, const std::string& open, const std::string& close) {
  return kSystemFirst + "{{- bos_token }}\n{%- for message in loop_messages %}\n" + kAlternate +
         "  {%- if message['role'] == 'user' %}\n    {%- if " + when +
         " and system_message is defined %}\n      {{- '" + open + "' + system_message + '\\n\\n' + "
         "message['content'] + '" + close + "' }}\n    {%- else %}\n      {{- '" + open +
         "' + message['content'] + '" + close +
         "' }}\n    {%- endif %}\n"
         "  {%- elif message['role'] == 'assistant' %}\n    {{- ' ' + message['content'] + eos_token }}\n" +
         kRefuseOthers;
}

std::string mistral_v7(const std::string& sp) {
  return "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST]" + sp +
         "' + message['content'] + '[/INST]' }}{% elif message['role'] == 'system' %}{{ '[SYSTEM_PROMPT]" + sp +
         "' + message['content'] + '[/SYSTEM_PROMPT]' }}{% elif message['role'] == 'assistant' %}{{ " +
         (sp.empty() ? "" : "' ' + ") +
         "message['content'] + eos_token }}{% else %}{{ raise_exception('only user, system and assistant') }}{% "
         "endif %}{% endfor %}";
}

// Mistral-7B-Instruct-v0.3's logic with a tool branch of our own in each place its template has one.
const std::string kMistralV3Tools =
    "{{- bos_token }}\n"
    "{%- set user_messages = messages | selectattr('role', 'equalto', 'user') | list %}\n"
    "{%- for message in messages %}\n"
    "  {%- if message['role'] == 'user' %}\n"
    "    {%- if tools and (message == user_messages[-1]) %}{{- ' [TOOLS] ' + tools|tojson }}{%- endif %}\n"
    "    {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n"
    "  {%- elif message['role'] == 'assistant' %}\n"
    "    {%- if message.tool_calls is defined and message.tool_calls|length > 0 %}{{- ' [CALLS] ' + eos_token }}\n"
    "    {%- elif message.content is defined %}{{- ' ' + message.content + ' ' + eos_token }}\n"
    "    {%- endif %}\n"
    "  {%- elif message['role'] == 'tool' %}{{- ' [RESULTS] ' + message.content }}\n"
    "  {%- endif %}\n"
    "{%- endfor %}\n";

// Mistral-Nemo's logic (v3 without the spaces), its tool branches ours.
const std::string kMistralV3Tekken =
    kSystemFirst +
    "{%- if not tools is defined %}{%- set tools = none %}{%- endif %}\n"
    "{%- set user_messages = loop_messages | selectattr('role', 'equalto', 'user') | list %}\n"
    "{%- for message in loop_messages | rejectattr('role', 'equalto', 'tool') | rejectattr('role', 'equalto', "
    "'tool_results') | selectattr('tool_calls', 'undefined') %}\n" +
    kAlternate +
    "{%- endfor %}\n"
    "{{- bos_token }}\n"
    "{%- for message in loop_messages %}\n"
    "  {%- if message['role'] == 'user' %}\n"
    "    {%- if tools is not none and (message == user_messages[-1]) %}{{- '[TOOLS]' + tools|tojson }}{%- endif %}\n"
    "    {%- if loop.last and system_message is defined %}\n"
    "      {{- '[INST]' + system_message + '\\n\\n' + message['content'] + '[/INST]' }}\n"
    "    {%- else %}\n"
    "      {{- '[INST]' + message['content'] + '[/INST]' }}\n"
    "    {%- endif %}\n"
    "  {%- elif message['role'] == 'tool_calls' or message.tool_calls is defined %}{{- '[CALLS]' + eos_token }}\n"
    "  {%- elif message['role'] == 'assistant' %}\n"
    "    {{- message['content'] + eos_token }}\n"
    "  {%- elif message['role'] == 'tool_results' or message['role'] == 'tool' %}\n"
    "    {{- '[RESULTS]' + message.content }}\n" +
    kRefuseOthers;

ChatTemplate detect(const std::string& text) {
  std::string why;
  const auto t = ChatTemplate::detect(text, &why);
  EXPECT_TRUE(t.has_value()) << why;
  return t.value_or(ChatTemplate::detect(kLlama2, nullptr).value());
}

std::string refusal(const std::string& text) {
  std::string why;
  EXPECT_FALSE(ChatTemplate::detect(text, &why).has_value());
  return why;
}

// The tokenizer adds the first BOS (as Llama and Mistral vocabularies do): the template's first one
// is left out, later ones written.
ChatRenderOptions options() {
  ChatRenderOptions o;
  o.bos_token = "<s>";
  o.eos_token = "</s>";
  return o;
}

const std::vector<ChatMessage> kWithSystem = {
    {"system", " Be brief. "}, {"user", " hi "}, {"assistant", " hello "}, {"user", "how?"}};
const std::vector<ChatMessage> kWithoutSystem = {{"user", " hi "}, {"assistant", " hello "}, {"user", "how?"}};

}  // namespace

TEST(ChatInst, JinjaCode) {
  const JinjaCode j = jinja_code("{%- if a == 'x y' -%}\n  {{ \"q\\\"\" + b -}}\n{%+ endif %}{# note #}\n");
  EXPECT_EQ(j.code, "{%ifa==\"x y\"%}{{\"q\\\"\"+b}}{%endif%}");
  EXPECT_EQ(j.outputs, 1);
  EXPECT_FALSE(j.writes_raw_text);
  // Text between tags that Jinja writes: words, or white space no dash or trim_blocks removes.
  EXPECT_TRUE(jinja_code("{{ a }}x{{ b }}").writes_raw_text);
  EXPECT_TRUE(jinja_code("{{ a }} {{ b }}").writes_raw_text);
  EXPECT_TRUE(jinja_code("{% if a %}\n\n{% endif %}").writes_raw_text);
  EXPECT_FALSE(jinja_code("{{ a }} {{- b }}").writes_raw_text);
  EXPECT_FALSE(jinja_code("{% if a %}\n  {% endif %}\n").writes_raw_text);
  // `{%+` turns lstrip_blocks off for its tag.
  EXPECT_TRUE(jinja_code("{% if a %}\n  {%+ endif %}").writes_raw_text);
  // A literal's escapes and quotes are normalised: '\n' and "\n" and a real newline are one text.
  EXPECT_EQ(jinja_code("{{ '\\n' }}").code, jinja_code("{{ \"\n\" }}").code);
}

TEST(ChatInst, Llama2) {
  const ChatTemplate t = detect(kLlama2);
  EXPECT_EQ(t.family(), ChatFamily::kInst);
  EXPECT_EQ(t.name(), "llama2 ([INST])");
  // The system block joins the first user turn, and the pair is stripped as one text; every user
  // turn but the first gets its BOS written.
  EXPECT_EQ(t.render(kWithSystem, options()),
            "[INST] <<SYS>>\n Be brief. \n<</SYS>>\n\n hi [/INST] hello </s><s>[INST] how? [/INST]");
  ChatRenderOptions o = options();
  o.bos = "<s>";
  EXPECT_EQ(t.render(kWithoutSystem, o), "<s>[INST] hi [/INST] hello </s><s>[INST] how? [/INST]");
  // A system message where an assistant one would be is not written; one where a user one would be
  // raises, as do two user turns in a row.
  EXPECT_EQ(t.render({{"user", "a"}, {"system", "s"}, {"user", "b"}}, options()),
            "[INST] a [/INST]<s>[INST] b [/INST]");
  EXPECT_THROW(t.render({{"system", "s"}, {"system", "t"}}, options()), std::invalid_argument);
  EXPECT_THROW(t.render({{"user", "a"}, {"user", "b"}}, options()), std::invalid_argument);
  EXPECT_EQ(t.render({{"system", "s"}}, options()), "");
}

TEST(ChatInst, MistralV01) {
  const ChatTemplate space = detect(mistral_v01("message['content'] + eos_token + ' '"));
  EXPECT_EQ(space.name(), "mistral-v0.1 ([INST])");
  EXPECT_EQ(space.render(kWithoutSystem, options()), "[INST]  hi  [/INST] hello </s> [INST] how? [/INST]");
  const ChatTemplate plain = detect(mistral_v01("message['content'] + eos_token"));
  EXPECT_EQ(plain.name(), "mistral-v0.1 (no space after </s>) ([INST])");
  EXPECT_EQ(plain.render(kWithoutSystem, options()), "[INST]  hi  [/INST] hello </s>[INST] how? [/INST]");
  // No system role: a system message first breaks the alternation, anywhere else the role check.
  EXPECT_THROW(plain.render(kWithSystem, options()), std::invalid_argument);
  EXPECT_THROW(plain.render({{"user", "a"}, {"system", "s"}}, options()), std::invalid_argument);
}

TEST(ChatInst, MistralV1AndV3) {
  const ChatTemplate v1 = detect(mistral_v1_v3("loop.first", " [INST] ", " [/INST]"));
  EXPECT_EQ(v1.name(), "mistral-v1 ([INST])");
  EXPECT_EQ(v1.render(kWithSystem, options()), " [INST]  Be brief. \n\n hi  [/INST]  hello </s> [INST] how? [/INST]");
  const ChatTemplate v3 = detect(mistral_v1_v3("loop.last", "[INST] ", "[/INST]"));
  EXPECT_EQ(v3.name(), "mistral-v3 ([INST])");
  EXPECT_EQ(v3.render(kWithSystem, options()), "[INST]  hi [/INST]  hello </s>[INST]  Be brief. \n\nhow?[/INST]");
  // v3 writes the system message only into a last user turn.
  EXPECT_EQ(v3.render({{"system", "s"}, {"user", "a"}, {"assistant", "b"}}, options()), "[INST] a[/INST] b</s>");
  for (const ChatTemplate& t : {v1, v3}) {
    EXPECT_THROW(t.render({{"system", "s"}, {"assistant", "a"}}, options()), std::invalid_argument);
    EXPECT_THROW(t.render({{"user", "a"}, {"assistant", "b"}, {"system", "s"}}, options()), std::invalid_argument);
  }
}

TEST(ChatInst, MistralV7) {
  const ChatTemplate v7 = detect(mistral_v7(" "));
  EXPECT_EQ(v7.name(), "mistral-v7 ([INST])");
  EXPECT_EQ(v7.render(kWithSystem, options()),
            "[SYSTEM_PROMPT]  Be brief. [/SYSTEM_PROMPT][INST]  hi [/INST]  hello </s>[INST] how?[/INST]");
  const ChatTemplate tekken = detect(mistral_v7(""));
  EXPECT_EQ(tekken.name(), "mistral-v7-tekken ([INST])");
  // System messages anywhere, no alternation required.
  EXPECT_EQ(tekken.render({{"user", "a"}, {"user", "b"}, {"system", "s"}}, options()),
            "[INST]a[/INST][INST]b[/INST][SYSTEM_PROMPT]s[/SYSTEM_PROMPT]");
}

TEST(ChatInst, WithoutDeadBranches) {
  const std::vector<std::string_view> dead = {"d"};
  EXPECT_EQ(without_dead_branches("{%ifa%}{{1}}{%elifd%}{{2}}{%else%}{{3}}{%endif%}", dead),
            "{%ifa%}{{1}}{%else%}{{3}}{%endif%}");
  EXPECT_EQ(without_dead_branches("{%ifd%}{{1}}{%elifb%}{{2}}{%endif%}", dead), "{%ifb%}{{2}}{%endif%}");
  EXPECT_EQ(without_dead_branches("{%ifd%}{{1}}{%else%}{{3}}{%endif%}", dead), "{{3}}");
  EXPECT_EQ(without_dead_branches("{%forxiny%}{%ifd%}{{\"%}\"}}{%endif%}{{x}}{%endfor%}", dead),
            "{%forxiny%}{{x}}{%endfor%}");
  // Nested: a dead branch inside a live one.
  EXPECT_EQ(without_dead_branches("{%ifa%}{%ifd%}{{1}}{%endif%}{{2}}{%endif%}", dead), "{%ifa%}{{2}}{%endif%}");
}

TEST(ChatInst, MistralV3WithToolBranches) {
  const ChatTemplate tools = detect(kMistralV3Tools);
  EXPECT_EQ(tools.name(), "mistral-v3 (tool branches) ([INST])");
  // System messages are not written, turns need not alternate.
  EXPECT_EQ(tools.render(kWithSystem, options()), " [INST]  hi  [/INST]  hello  </s> [INST] how? [/INST]");
  EXPECT_EQ(tools.render({{"user", "a"}, {"user", "b"}}, options()), " [INST] a [/INST] [INST] b [/INST]");
  const ChatTemplate tekken = detect(kMistralV3Tekken);
  EXPECT_EQ(tekken.name(), "mistral-v3-tekken (tool branches) ([INST])");
  EXPECT_EQ(tekken.render(kWithSystem, options()), "[INST] hi [/INST] hello </s>[INST] Be brief. \n\nhow?[/INST]");
  EXPECT_THROW(tekken.render({{"user", "a"}, {"user", "b"}}, options()), std::invalid_argument);
  // It tests `tools is not none`: a request's "tools": [] would write an empty tool list.
  ChatRenderOptions o = options();
  o.tools_listed = true;
  EXPECT_THROW(tekken.render(kWithoutSystem, o), std::invalid_argument);
  EXPECT_EQ(tools.render(kWithoutSystem, o), tools.render(kWithoutSystem, options()));
  // A tool branch under a condition that can hold here is not dead: refused.
  std::string live = kMistralV3Tools;
  live.replace(live.find("tools and (message"), 18, "true and (message");
  EXPECT_FALSE(ChatTemplate::detect(live, nullptr).has_value());
  // Nor is a statement the variant does not have (here one that would raise in Jinja).
  EXPECT_FALSE(ChatTemplate::detect("{%- set x = nothing() %}" + kMistralV3Tools, nullptr).has_value());
}

// [INST] templates whose output the renderers would not reproduce: refused, the variants named.
TEST(ChatInst, Refusals) {
  // One more write (a default system message when there is none).
  std::string extra = kLlama2;
  extra.insert(0, "{% if messages[0]['role'] != 'system' %}{{ '[INST] <<SYS>>\\nBe nice.\\n<</SYS>>' }}{% endif %}");
  EXPECT_NE(refusal(extra).find("[INST] family"), std::string::npos);
  // Text outside the tags.
  EXPECT_NE(refusal(mistral_v7(" ") + "\n\n").find("text outside its tags"), std::string::npos);
  // A space less in one literal.
  std::string spacing = mistral_v01("message['content'] + eos_token");
  spacing.replace(spacing.find("' [/INST]'"), 10, "'[/INST]'");
  EXPECT_NE(refusal(spacing).find("mistral-v0.1"), std::string::npos);
  // Tool handling other than in the branches the variants above have is not rendered.
  EXPECT_NE(refusal("{%- for message in messages %}{%- if tools and message['role'] == 'user' %}{{- "
                    "'[AVAILABLE_TOOLS]' }}{%- endif %}{{- '[INST] ' + message['content'] + '[/INST]' }}{%- endfor %}")
                .find("tool handling"),
            std::string::npos);
  // A raise whose argument is not a plain message (it may not be evaluated, so not raise).
  std::string conditional = mistral_v01("message['content'] + eos_token");
  conditional.replace(conditional.find("raise_exception('turns must alternate')"), 39,
                      "raise_exception('turns must alternate') if false");
  EXPECT_NE(refusal(conditional).find("mistral-v0.1"), std::string::npos);
  // A system message of its own (Devstral's shape).
  EXPECT_NE(refusal("{%- set default_system_message = 'You are a model.' %}{{- '[SYSTEM_PROMPT]' + "
                    "default_system_message + '[/SYSTEM_PROMPT]' }}{{- '[INST]' }}")
                .find("system message of its own"),
            std::string::npos);
}

// Every part of a variant in place but its order or nesting changed: jinja2 renders these otherwise
// (the user and assistant branches' writes swapped: "<s>hi</s> [INST] yo [/INST]" for v0.1's), so
// each is refused, not taken for the variant.
TEST(ChatInst, RefusesPartsInAnotherOrder) {
  const auto swap = [](std::string t, const std::string& a, const std::string& b) {
    const size_t i = t.find(a), k = t.find(b);
    EXPECT_TRUE(i != std::string::npos && k != std::string::npos && i < k) << a << " / " << b;
    t.replace(k, b.size(), a);
    t.replace(i, a.size(), b);
    return t;
  };
  const std::string v01 = mistral_v01("message['content'] + eos_token + ' '");
  const std::string v1 = mistral_v1_v3("loop.first", " [INST] ", " [/INST]");
  const std::string v3 = mistral_v1_v3("loop.last", "[INST] ", "[/INST]");
  const std::string v7 = mistral_v7(" ");
  // The templates as written are taken.
  for (const std::string& t : {v01, v1, v3, v7}) EXPECT_TRUE(ChatTemplate::detect(t, nullptr).has_value());
  // The user and assistant branches' writes swapped, and v7's user and system ones.
  EXPECT_NE(refusal(swap(v01, "'[INST] ' + message['content'] + ' [/INST]'", "message['content'] + eos_token + ' '"))
                .find("[INST] family"),
            std::string::npos);
  // v1's and v3's user branch is an if/else on the system message: the whole of it swapped.
  for (const std::string& t : {v1, v3}) {
    const size_t from = t.find("    {%- if loop."), to = t.find("  {%- elif message['role'] == 'assistant'");
    EXPECT_FALSE(ChatTemplate::detect(swap(t, t.substr(from, to - from), "    {{- ' ' + message['content'] + eos_token }}\n"),
                                      nullptr));
  }
  EXPECT_FALSE(ChatTemplate::detect(
      swap(v7, "'[INST] ' + message['content'] + '[/INST]'", "' ' + message['content'] + eos_token"), nullptr));
  EXPECT_FALSE(ChatTemplate::detect(
      swap(v7, "'[INST] ' + message['content'] + '[/INST]'", "'[SYSTEM_PROMPT] ' + message['content'] + '[/SYSTEM_PROMPT]'"),
      nullptr));
  // The conditions swapped instead.
  EXPECT_FALSE(ChatTemplate::detect(swap(v01, "== 'user' %}", "== 'assistant' %}"), nullptr));
  // The alternation check's endif moved to the end of the loop body: the turns would be written
  // only when they do not alternate (after the raise), so never.
  std::string nested = v01;
  nested.erase(nested.find("  {%- endif %}\n"), 15);
  nested.insert(nested.rfind("{%- endfor %}"), "{%- endif %}");
  EXPECT_FALSE(ChatTemplate::detect(nested, nullptr));
  // The system-message set-up after the loop that reads it.
  std::string late = v3;
  late.erase(0, kSystemFirst.size());
  late.insert(late.rfind("{%- endfor %}") + 13, kSystemFirst);
  EXPECT_FALSE(ChatTemplate::detect(late, nullptr));
}

// Any variant with a branch on `tools is not none` (left out as dead) refuses "tools": [], which
// would run it: jinja2 writes what the branch writes (Mistral-Nemo's [AVAILABLE_TOOLS][]).
TEST(ChatInst, ToolsNotNoneBranchRefusesListedTools) {
  std::string v7 = mistral_v7(" ");
  const std::string user = "{% if message['role'] == 'user' %}";
  v7.insert(v7.find(user) + user.size(),
            "{% if tools is not none and (message == user_messages[-1]) %}{{ '[AVAILABLE_TOOLS]' + tools|tojson + "
            "'[/AVAILABLE_TOOLS]' }}{% endif %}");
  const ChatTemplate t = detect(v7);
  EXPECT_EQ(t.name(), "mistral-v7 ([INST])");
  ChatRenderOptions listed = options();
  listed.tools_listed = true;
  EXPECT_THROW(t.render(kWithSystem, listed), std::invalid_argument);
  EXPECT_EQ(t.render(kWithSystem, options()), detect(mistral_v7(" ")).render(kWithSystem, options()));
  // Without the branch, or with one on `tools` alone (false for an empty list), it renders.
  EXPECT_NO_THROW(detect(mistral_v7(" ")).render(kWithSystem, listed));
  std::string truthy = v7;
  truthy.replace(truthy.find("tools is not none and"), 21, "tools and");
  EXPECT_NO_THROW(detect(truthy).render(kWithSystem, listed));
  // The dead-branch removal reports the test, nested or not, and only it.
  bool dropped = false;
  EXPECT_EQ(without_dead_branches("{%ifa%}{%ifd%}{{1}}{%endif%}{%endif%}", {"d"}, &dropped), "{%ifa%}{%endif%}");
  EXPECT_FALSE(dropped);
  EXPECT_EQ(without_dead_branches("{%ifa%}{%iftoolsisnotnoneandx%}{{1}}{%endif%}{%endif%}",
                                  {"toolsisnotnoneandx"}, &dropped),
            "{%ifa%}{%endif%}");
  EXPECT_TRUE(dropped);
}
