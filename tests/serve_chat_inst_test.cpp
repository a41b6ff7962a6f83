// The [INST] chat family (serve/chat_inst.h). No published template is in the repository: the
// variants' code is known to the server only by its length and hash, so
// - each variant's renderer is called directly on known conversations, the prompts written out by
//   hand (jinja2 rendering the published templates gives them too: checked outside the repository,
//   and by tests/e2e/test_serve_chat.py when INFERTRACE_INST_TEMPLATES names a folder of them);
// - detection is tested on templates written here in this project's own words, looked up in a table
//   the test builds (detect_inst's `shapes`, or ScopedInstShapes for ChatTemplate::detect): what
//   the normalisation keeps and changes, the lookup, the refusals and their reasons. What such a
//   template would render itself is beside the point there: the table says which variant it is.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "serve/chat_inst.h"
#include "serve/chat_template.h"

using namespace infertrace::serve;
using infertrace::fnv1a64;  // util/fnv1a.h

namespace {

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

std::string render(InstVariant v, const std::vector<ChatMessage>& m, const ChatRenderOptions& o = options()) {
  return render_inst(v, m, o);
}

// A template of this project's own: a leading system message becomes a preamble of the first user
// turn, user and assistant turns must alternate, other roles raise. Spaced and quoted in one way;
// the tests below write it in others.
const std::string kOwn =
    "{%- if messages[0]['role'] == 'system' %}\n"
    "  {%- set preamble = messages[0]['content'] %}\n"
    "  {%- set turns = messages[1:] %}\n"
    "{%- else %}\n"
    "  {%- set turns = messages %}\n"
    "{%- endif %}\n"
    "{%- for turn in turns %}\n"
    "  {%- if (turn['role'] == 'user') == (loop.index0 is odd) %}\n"
    "    {{- raise_exception('user and assistant take turns') }}\n"
    "  {%- endif %}\n"
    "  {%- if turn['role'] == 'user' %}\n"
    "    {{- '[INST]' + turn['content'] + '[/INST]' }}\n"
    "  {%- elif turn['role'] == 'assistant' %}\n"
    "    {{- turn['content'] + '\\n' + eos_token }}\n"
    "  {%- else %}\n"
    "    {{- raise_exception('no such role') }}\n"
    "  {%- endif %}\n"
    "{%- endfor %}\n";

// The same code in one line, double quotes, no whitespace control, other raise messages.
const std::string kOwnRespaced =
    "{% if messages[0][\"role\"]==\"system\" %}{% set preamble=messages[0][\"content\"] %}{% set turns="
    "messages[1:] %}{% else %}{% set turns=messages %}{% endif %}{% for turn in turns %}{% if (turn[\"role\"]"
    "==\"user\")==(loop.index0 is odd) %}{{ raise_exception(\"alternate!\") }}{% endif %}{% if turn[\"role\"]=="
    "\"user\" %}{{ \"[INST]\"+turn[\"content\"]+\"[/INST]\" }}{% elif turn[\"role\"]==\"assistant\" %}{{ "
    "turn[\"content\"]+\"\\n\"+eos_token }}{% else %}{{ raise_exception(\"roles\") }}{% endif %}{% endfor %}";

// `t` with the first `a` and the first `b` after it swapped.
std::string swap(std::string t, const std::string& a, const std::string& b) {
  const size_t i = t.find(a), k = t.find(b, i == std::string::npos ? 0 : i + a.size());
  EXPECT_TRUE(i != std::string::npos && k != std::string::npos) << a << " / " << b;
  if (i == std::string::npos || k == std::string::npos) return t;
  t.replace(k, b.size(), a);
  t.replace(i, a.size(), b);
  return t;
}

std::string replaced(std::string t, const std::string& from, const std::string& to) {
  const size_t i = t.find(from);
  EXPECT_NE(i, std::string::npos) << from;
  if (i != std::string::npos) t.replace(i, from.size(), to);
  return t;
}

const std::vector<InstShape>& own_table() {
  static const std::vector<InstShape> t = {inst_shape(InstVariant::kMistralV1, kOwn)};
  return t;
}

bool detected(const std::string& text) { return detect_inst(text, nullptr, own_table()).has_value(); }

std::string refusal(const std::string& text, const std::vector<InstShape>& table = own_table()) {
  std::string why;
  EXPECT_FALSE(detect_inst(text, &why, table).has_value()) << text;
  return why;
}

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

// Jinja decodes a literal's \t as Python does, so an escaped tab and a real one are one text; the
// one newline that ends a template is dropped (keep_trailing_newline is off), a second one is text.
TEST(ChatInst, JinjaCodeTabEscapeAndTheTemplatesLastNewline) {
  EXPECT_EQ(jinja_code("{{ 'a\\tb' }}").code, jinja_code("{{ \"a\tb\" }}").code);
  EXPECT_EQ(jinja_code("{{ 'a\\tb' }}").code, "{{\"a\\tb\"}}");
  EXPECT_FALSE(jinja_code("{{ a }}\n").writes_raw_text);
  EXPECT_TRUE(jinja_code("{{ a }}\n\n").writes_raw_text);
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

// FNV-1a 64's published test values (the FNV authors' test suite).
TEST(ChatInst, Fnv1a64) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ull);
}

// The stored table: every variant once, no two codes alike.
TEST(ChatInst, PublishedTable) {
  const std::vector<InstShape>& t = inst_shapes();
  ASSERT_EQ(t.size(), 10u);
  std::set<int> variants;
  std::set<uint64_t> hashes;
  for (const InstShape& s : t) {
    variants.insert(static_cast<int>(s.variant));
    hashes.insert(s.hash);
    EXPECT_GT(s.length, 0u);
  }
  EXPECT_EQ(variants.size(), 10u);
  EXPECT_EQ(hashes.size(), 10u);
  // A template of this project's own is none of them: refused, every variant named.
  std::string why;
  EXPECT_FALSE(detect_inst(kOwn, &why).has_value());
  EXPECT_NE(why.find("[INST] family"), std::string::npos) << why;
  for (const InstShape& s : t) EXPECT_NE(why.find(inst_variant_name(s.variant)), std::string::npos) << why;
  EXPECT_FALSE(ChatTemplate::detect(kOwn, nullptr).has_value());
}

TEST(ChatInst, JinjaCodeAndShape) {
  // White space, quotes, whitespace control and raise messages are not part of the code.
  EXPECT_EQ(inst_code(kOwn).code, inst_code(kOwnRespaced).code);
  const InstShape a = inst_shape(InstVariant::kLlama2, kOwn), b = inst_shape(InstVariant::kLlama2, kOwnRespaced);
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.length, b.length);
  EXPECT_EQ(a.hash, fnv1a64(inst_code(kOwn).code));
  EXPECT_EQ(a.length, inst_code(kOwn).code.size());
  // Each raise's message is left out; any other argument is kept.
  EXPECT_NE(inst_code(kOwn).code.find("{{raise_exception()}}"), std::string::npos);
  EXPECT_EQ(inst_code(kOwn).code.find("take turns"), std::string::npos);
  EXPECT_NE(inst_code(replaced(kOwn, "('no such role')", "('no such role' + x)")).code, inst_code(kOwn).code);
  // A literal's text is code: one character more changes it.
  EXPECT_NE(inst_code(replaced(kOwn, "'[/INST]'", "' [/INST]'")).code, inst_code(kOwn).code);
  EXPECT_FALSE(inst_code(kOwn).writes_raw_text);
  EXPECT_TRUE(inst_code(kOwn + "x").writes_raw_text);
}

TEST(ChatInst, WithoutDeadBranchesInTheCode) {
  // A branch on a condition no request here meets (a tool role) is not part of the code; the same
  // branch on a condition that can hold is.
  const std::string branch = "{%- elif turn['role'] == 'assistant' %}";
  const std::string tool = replaced(kOwn, branch, "{%- elif message['role'] == 'tool' %}{{- '[TOOL]' }}" + branch);
  EXPECT_EQ(inst_code(tool).code, inst_code(kOwn).code);
  EXPECT_FALSE(inst_code(tool).tests_tools_not_none);
  const std::string live = replaced(kOwn, branch, "{%- elif message['role'] == 'tools' %}{{- '[TOOL]' }}" + branch);
  EXPECT_NE(inst_code(live).code, inst_code(kOwn).code);
  // A dropped branch on `tools is not none` is reported: "tools": [] would run it.
  const std::string user = "{%- if turn['role'] == 'user' %}";
  const std::string listed =
      replaced(kOwn, user, user + "{%- if tools is not none and (message == user_messages[-1]) %}{{- '[T]' }}{%- endif %}");
  EXPECT_EQ(inst_code(listed).code, inst_code(kOwn).code);
  EXPECT_TRUE(inst_code(listed).tests_tools_not_none);
  EXPECT_TRUE(inst_code(listed).has_tools);
  EXPECT_FALSE(inst_code(kOwn).has_tools);
  // Mistral-7B-Instruct-v0.3's later text tests tool calls as `is defined and ... is not none`
  // (review CT55 L1): no message sent here has any, so that branch is dropped too.
  const std::string calls = replaced(
      kOwn, branch, "{%- elif message.tool_calls is defined and message.tool_calls is not none %}{{- '[C]' }}" + branch);
  EXPECT_EQ(inst_code(calls).code, inst_code(kOwn).code);
}

TEST(ChatInst, DetectedByTheTable) {
  for (const std::string& t : {kOwn, kOwnRespaced}) {
    const auto m = detect_inst(t, nullptr, own_table());
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->variant, InstVariant::kMistralV1);
    EXPECT_FALSE(m->tests_tools_not_none);
  }
  // The first entry with the code's length and hash is taken; a length alone, or a hash alone, is
  // not enough.
  const InstShape own = own_table()[0];
  const std::vector<InstShape> two = {{InstVariant::kLlama2, own.length + 1, own.hash},
                                      {InstVariant::kMistralV7, own.length, own.hash + 1},
                                      {InstVariant::kMistralV3, own.length, own.hash},
                                      {InstVariant::kMistralV01, own.length, own.hash}};
  EXPECT_EQ(detect_inst(kOwn, nullptr, two)->variant, InstVariant::kMistralV3);
  EXPECT_FALSE(detect_inst(kOwn, nullptr, {two[0], two[1]}).has_value());
  EXPECT_FALSE(detect_inst(kOwn, nullptr, {}).has_value());
}

// [INST] templates whose code is not the variant's: refused, the table's variants named, and the
// reason where it is plain.
TEST(ChatInst, Refusals) {
  const std::string named = refusal(kOwn + "\n\n");
  EXPECT_NE(named.find("[INST] family"), std::string::npos);
  EXPECT_NE(named.find("(mistral-v1)"), std::string::npos) << named;
  EXPECT_NE(named.find("text outside its tags"), std::string::npos);
  // One more write (a default preamble when there is none): no reason beyond the variants named.
  const std::string extra = refusal("{% if messages[0]['role'] != 'system' %}{{ '[INST] hi [/INST]' }}{% endif %}" + kOwn);
  EXPECT_EQ(extra.substr(extra.size() - 12), "(mistral-v1)") << extra;
  // Tool handling other than in the dead branches.
  EXPECT_NE(refusal(replaced(kOwn, "{%- for turn in turns %}", "{%- for turn in turns %}{%- if tools %}{{- 'T' }}{%- endif %}"))
                .find("tool handling"),
            std::string::npos);
  // A system message of its own.
  EXPECT_NE(refusal(replaced(kOwn, "{%- set turns = messages %}",
                             "{%- set turns = messages %}{%- set system_message = 'You are a model.' %}"))
                .find("system message of its own"),
            std::string::npos);
  EXPECT_NE(refusal("{%- set default_system_message = 'x' %}{{- '[INST]' + default_system_message }}")
                .find("system message of its own"),
            std::string::npos);
  // A raise whose argument is not a plain message (it may not be evaluated, so not raise).
  refusal(replaced(kOwn, "raise_exception('no such role')", "raise_exception('no such role') if false"));
}

// Every part in place but its order or nesting changed: jinja2 would render these otherwise, so
// each is refused, not taken for the variant.
TEST(ChatInst, RefusesPartsInAnotherOrder) {
  ASSERT_TRUE(detected(kOwn));
  // The user and assistant branches' writes swapped.
  EXPECT_FALSE(detected(swap(kOwn, "'[INST]' + turn['content'] + '[/INST]'", "turn['content'] + '\\n' + eos_token")));
  // Their conditions swapped instead.
  EXPECT_FALSE(detected(swap(kOwn, "turn['role'] == 'user' %}\n    {{-", "turn['role'] == 'assistant' %}")));
  // The alternation check's endif moved to the end of the loop body.
  std::string nested = kOwn;
  nested.erase(nested.find("  {%- endif %}\n"), 15);
  nested.insert(nested.rfind("{%- endfor %}"), "{%- endif %}");
  EXPECT_FALSE(detected(nested));
  // The system-message set-up after the loop that reads it.
  const size_t loop = kOwn.find("{%- for turn");
  EXPECT_FALSE(detected(kOwn.substr(loop) + kOwn.substr(0, loop)));
}

// ChatTemplate::detect looks [INST] templates up in inst_shapes(): a ScopedInstShapes stands in
// for the published table, and the variant found is what the template renders and is named.
TEST(ChatInst, ChatTemplateUsesTheTableInEffect) {
  const std::vector<InstShape>* published = &inst_shapes();
  {
    const ScopedInstShapes scope(own_table());
    const auto t = ChatTemplate::detect(kOwnRespaced, nullptr);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->family(), ChatFamily::kInst);
    EXPECT_EQ(t->name(), "mistral-v1 ([INST])");
    EXPECT_EQ(t->render(kWithSystem, options()), render(InstVariant::kMistralV1, kWithSystem));
    {
      const ScopedInstShapes inner({inst_shape(InstVariant::kMistralV7, kOwn)});
      EXPECT_EQ(ChatTemplate::detect(kOwn, nullptr)->name(), "mistral-v7 ([INST])");
    }
    EXPECT_EQ(ChatTemplate::detect(kOwn, nullptr)->name(), "mistral-v1 ([INST])");
  }
  EXPECT_EQ(&inst_shapes(), published);
  EXPECT_FALSE(ChatTemplate::detect(kOwn, nullptr).has_value());
}

// Any variant with a branch on `tools is not none` (left out as dead) refuses "tools": [], which
// would run it (jinja2 writes what the branch writes: Mistral-Nemo's [AVAILABLE_TOOLS][]).
TEST(ChatInst, ToolsNotNoneBranchRefusesListedTools) {
  const std::string user = "{%- if turn['role'] == 'user' %}";
  const std::string branch =
      "{%- if tools is not none and (message == user_messages[-1]) %}{{- '[TOOLS]' + tools|tojson }}{%- endif %}";
  const ScopedInstShapes scope({inst_shape(InstVariant::kMistralV7, kOwn)});
  const auto t = ChatTemplate::detect(replaced(kOwn, user, user + branch), nullptr);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->name(), "mistral-v7 ([INST])");
  ChatRenderOptions listed = options();
  listed.tools_listed = true;
  EXPECT_THROW(t->render(kWithSystem, listed), std::invalid_argument);
  EXPECT_EQ(t->render(kWithSystem, options()), render(InstVariant::kMistralV7, kWithSystem));
  // Without the branch, or with one on `tools` alone (false for an empty list), it renders.
  EXPECT_NO_THROW(ChatTemplate::detect(kOwn, nullptr)->render(kWithSystem, listed));
  const std::string truthy = "{%- if tools and (message == user_messages[-1]) %}{{- '[TOOLS]' }}{%- endif %}";
  EXPECT_NO_THROW(ChatTemplate::detect(replaced(kOwn, user, user + truthy), nullptr)->render(kWithSystem, listed));
  // The dead-branch removal reports the test, nested or not, and only it.
  bool dropped = false;
  EXPECT_EQ(without_dead_branches("{%ifa%}{%ifd%}{{1}}{%endif%}{%endif%}", {"d"}, &dropped), "{%ifa%}{%endif%}");
  EXPECT_FALSE(dropped);
  EXPECT_EQ(without_dead_branches("{%ifa%}{%iftoolsisnotnoneandx%}{{1}}{%endif%}{%endif%}",
                                  {"toolsisnotnoneandx"}, &dropped),
            "{%ifa%}{%endif%}");
  EXPECT_TRUE(dropped);
}

TEST(ChatInst, Names) {
  EXPECT_EQ(inst_variant_name(InstVariant::kLlama2), "llama2");
  EXPECT_EQ(inst_variant_name(InstVariant::kMistralV01), "mistral-v0.1");
  EXPECT_EQ(inst_variant_name(InstVariant::kMistralV01Eos), "mistral-v0.1 (no space after </s>)");
  EXPECT_EQ(inst_variant_name(InstVariant::kMistralV1), "mistral-v1");
  EXPECT_EQ(inst_variant_name(InstVariant::kMistralV3), "mistral-v3");
  EXPECT_EQ(inst_variant_name(InstVariant::kMistralV3Tools), "mistral-v3 (tool branches)");
  EXPECT_EQ(inst_variant_name(InstVariant::kMistralV3Tekken), "mistral-v3-tekken (tool branches)");
  EXPECT_EQ(inst_variant_name(InstVariant::kMistralV7), "mistral-v7");
  EXPECT_EQ(inst_variant_name(InstVariant::kMistralV7Tekken), "mistral-v7-tekken");
}

TEST(ChatInst, Llama2) {
  const InstVariant v = InstVariant::kLlama2;
  // The system block joins the first user turn, and the pair is stripped as one text; every user
  // turn but the first gets its BOS written.
  EXPECT_EQ(render(v, kWithSystem), "[INST] <<SYS>>\n Be brief. \n<</SYS>>\n\n hi [/INST] hello </s><s>[INST] how? [/INST]");
  ChatRenderOptions o = options();
  o.bos = "<s>";
  EXPECT_EQ(render(v, kWithoutSystem, o), "<s>[INST] hi [/INST] hello </s><s>[INST] how? [/INST]");
  // A system message where an assistant one would be is not written; one where a user one would be
  // raises, as do two user turns in a row.
  EXPECT_EQ(render(v, {{"user", "a"}, {"system", "s"}, {"user", "b"}}), "[INST] a [/INST]<s>[INST] b [/INST]");
  EXPECT_THROW(render(v, {{"system", "s"}, {"system", "t"}}), std::invalid_argument);
  EXPECT_THROW(render(v, {{"user", "a"}, {"user", "b"}}), std::invalid_argument);
  EXPECT_EQ(render(v, {{"system", "s"}}), "");
}

TEST(ChatInst, MistralV01) {
  EXPECT_EQ(render(InstVariant::kMistralV01, kWithoutSystem), "[INST]  hi  [/INST] hello </s> [INST] how? [/INST]");
  const InstVariant plain = InstVariant::kMistralV01Eos;
  EXPECT_EQ(render(plain, kWithoutSystem), "[INST]  hi  [/INST] hello </s>[INST] how? [/INST]");
  // No system role: a system message first breaks the alternation, anywhere else the role check.
  EXPECT_THROW(render(plain, kWithSystem), std::invalid_argument);
  EXPECT_THROW(render(plain, {{"user", "a"}, {"system", "s"}}), std::invalid_argument);
  // Their messages never speak of an optional system message these templates do not take
  // (review CT55 M2).
  for (const std::vector<ChatMessage>& bad : std::vector<std::vector<ChatMessage>>{
           kWithSystem, {{"user", "a"}, {"assistant", "b"}, {"user", "c"}, {"system", "s"}}}) {
    try {
      render(plain, bad);
      ADD_FAILURE() << "rendered";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()).find("optional"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("no system message"), std::string::npos) << e.what();
    }
  }
}

TEST(ChatInst, MistralV1AndV3) {
  EXPECT_EQ(render(InstVariant::kMistralV1, kWithSystem),
            " [INST]  Be brief. \n\n hi  [/INST]  hello </s> [INST] how? [/INST]");
  EXPECT_EQ(render(InstVariant::kMistralV3, kWithSystem),
            "[INST]  hi [/INST]  hello </s>[INST]  Be brief. \n\nhow?[/INST]");
  // v3 writes the system message only into a last user turn.
  EXPECT_EQ(render(InstVariant::kMistralV3, {{"system", "s"}, {"user", "a"}, {"assistant", "b"}}), "[INST] a[/INST] b</s>");
  for (InstVariant v : {InstVariant::kMistralV1, InstVariant::kMistralV3}) {
    EXPECT_THROW(render(v, {{"system", "s"}, {"assistant", "a"}}), std::invalid_argument);
    EXPECT_THROW(render(v, {{"user", "a"}, {"assistant", "b"}, {"system", "s"}}), std::invalid_argument);
  }
}

TEST(ChatInst, MistralV7) {
  EXPECT_EQ(render(InstVariant::kMistralV7, kWithSystem),
            "[SYSTEM_PROMPT]  Be brief. [/SYSTEM_PROMPT][INST]  hi [/INST]  hello </s>[INST] how?[/INST]");
  // System messages anywhere, no alternation required.
  EXPECT_EQ(render(InstVariant::kMistralV7Tekken, {{"user", "a"}, {"user", "b"}, {"system", "s"}}),
            "[INST]a[/INST][INST]b[/INST][SYSTEM_PROMPT]s[/SYSTEM_PROMPT]");
}

// Mistral-7B-Instruct-v0.3's later chat template (review CT55 L1: `ns.index` alternation check,
// `tools is not none and (message == user_messages[-1])`, answers written `" " + content|trim +
// eos_token`). As for every variant, its published text is not in the repository (see the top of
// this file): its shape in the table was taken from public copies of it, and the prompts below were
// checked outside the repository against jinja2 3.1.6 rendering it with Hugging Face's settings
// (trim_blocks, lstrip_blocks; 600 random conversations, no difference).
TEST(ChatInst, MistralV3LaterTemplateIsRendered) {
  EXPECT_EQ(inst_variant_name(InstVariant::kMistralV3Trim), "mistral-v3 (trimmed answers, tool branches)");
  const InstVariant v = InstVariant::kMistralV3Trim;
  EXPECT_EQ(render(v, kWithSystem), "[INST]  hi [/INST] hello</s>[INST]  Be brief. \n\nhow?[/INST]");
  EXPECT_EQ(render(v, {{"system", "s"}, {"user", "a"}, {"assistant", "\n b\u00a0"}}), "[INST] a[/INST] b</s>");
  EXPECT_EQ(render(v, {{"user", "a"}}), "[INST] a[/INST]");
  // jinja2 raises on both ("After the optional system message, conversation roles must alternate").
  EXPECT_THROW(render(v, {{"user", "a"}, {"user", "b"}}), std::invalid_argument);
  EXPECT_THROW(render(v, {{"user", "a"}, {"assistant", "b"}, {"system", "s"}}), std::invalid_argument);
}

TEST(ChatInst, MistralV3WithToolBranches) {
  // System messages are not written, turns need not alternate.
  EXPECT_EQ(render(InstVariant::kMistralV3Tools, kWithSystem), " [INST]  hi  [/INST]  hello  </s> [INST] how? [/INST]");
  EXPECT_EQ(render(InstVariant::kMistralV3Tools, {{"user", "a"}, {"user", "b"}}), " [INST] a [/INST] [INST] b [/INST]");
  const InstVariant tekken = InstVariant::kMistralV3Tekken;
  EXPECT_EQ(render(tekken, kWithSystem), "[INST] hi [/INST] hello </s>[INST] Be brief. \n\nhow?[/INST]");
  EXPECT_THROW(render(tekken, {{"user", "a"}, {"user", "b"}}), std::invalid_argument);
}
