// Chat prompts (serve/chat_template.h): each family's rendering of known conversations against the
// prompt written out by hand here (checked once against jinja2 rendering the same template texts
// with Hugging Face's settings), the family detection of real template texts, and the refusals.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "engine/model/chat_template_texts.h"
#include "serve/chat_template.h"
#include "serve/jinja_cursor.h"
#include "thread_cpu_time.h"

using namespace infertrace::serve;

namespace {

ChatTemplate detect(std::string_view text) {
  std::string why;
  const auto t = ChatTemplate::detect(text, &why);
  EXPECT_TRUE(t.has_value()) << why;
  return t.value_or(ChatTemplate::detect(infertrace::engine::qwen3_chat_template(), nullptr).value());
}

std::string refusal(std::string_view text) {
  std::string why;
  EXPECT_FALSE(ChatTemplate::detect(text, &why).has_value());
  return why;
}

const ChatRenderOptions kNoBos{};

// A Llama 3.0-family template (written here): BOS, one header per message with its content trimmed,
// no system preamble.
constexpr std::string_view kLlama30 =
    "{{- bos_token }}{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + "
    "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{%- endfor %}{%- if "
    "add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";

// A plain ChatML template (written here).
constexpr std::string_view kChatMl =
    "{%- for turn in messages %}{{- '<|im_start|>' + turn.role + '\\n' + turn.content + '<|im_end|>\\n' }}"
    "{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

}  // namespace

TEST(ChatTemplate, DetectsTheSynthFamilies) {
  EXPECT_EQ(detect(infertrace::engine::qwen3_chat_template()).family(), ChatFamily::kQwen3);
  EXPECT_EQ(detect(infertrace::engine::llama32_chat_template()).family(), ChatFamily::kLlama31);
  EXPECT_EQ(detect(kLlama30).family(), ChatFamily::kLlama3);
  EXPECT_EQ(detect(kChatMl).family(), ChatFamily::kChatMl);
}

TEST(ChatTemplate, Qwen3SystemAndUser) {
  const ChatTemplate t = detect(infertrace::engine::qwen3_chat_template());
  EXPECT_EQ(t.render({{"system", "Be brief."}, {"user", "hi"}}, kNoBos),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  // A system message after the first is rendered where it is.
  EXPECT_EQ(t.render({{"user", "u"}, {"system", "s2"}}, kNoBos),
            "<|im_start|>user\nu<|im_end|>\n<|im_start|>system\ns2<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, Qwen3EnableThinking) {
  const ChatTemplate t = detect(infertrace::engine::qwen3_chat_template());
  ChatRenderOptions o;
  o.enable_thinking = false;
  EXPECT_EQ(t.render({{"user", "hi"}}, o), "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
  o.enable_thinking = true;  // true is the template's default: nothing pre-filled
  EXPECT_EQ(t.render({{"user", "hi"}}, o), "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, Qwen3ThinkBlocks) {
  const ChatTemplate t = detect(infertrace::engine::qwen3_chat_template());
  // Before the last user query an assistant turn loses its think block.
  EXPECT_EQ(t.render({{"user", "a"}, {"assistant", "<think>\nplan\n</think>\n\nB"}, {"user", "c"}}, kNoBos),
            "<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\nB<|im_end|>\n<|im_start|>user\nc<|im_end|>\n"
            "<|im_start|>assistant\n");
  // The last message, an assistant turn after the query, gets one (empty here).
  EXPECT_EQ(t.render({{"user", "q"}, {"assistant", "ans"}}, kNoBos),
            "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nans<|im_end|>\n"
            "<|im_start|>assistant\n");
  // After the query but not last: kept only when it has reasoning.
  EXPECT_EQ(t.render({{"user", "q"}, {"assistant", "<think>r1</think>x"}, {"assistant", "y"}}, kNoBos),
            "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>\nr1\n</think>\n\nx<|im_end|>\n"
            "<|im_start|>assistant\n<think>\n\n</think>\n\ny<|im_end|>\n<|im_start|>assistant\n");
  // A user message that is a tool response is not a query.
  EXPECT_EQ(t.render({{"user", "q"}, {"assistant", "a"}, {"user", "<tool_response>r</tool_response>"}}, kNoBos),
            "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\na<|im_end|>\n<|im_start|>user\n"
            "<tool_response>r</tool_response><|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, Qwen3Variants) {
  const std::string text(infertrace::engine::qwen3_chat_template());
  const std::vector<ChatMessage> conv = {
      {"user", "q"}, {"assistant", "<think>r</think>a"}, {"user", "x <tool_response>t</tool_response>"}};
  // A user message holding both tags is a tool response, not the last query: the think block stays.
  EXPECT_EQ(detect(text).render(conv, kNoBos),
            "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>\nr\n</think>\n\na<|im_end|>\n"
            "<|im_start|>user\nx <tool_response>t</tool_response><|im_end|>\n<|im_start|>assistant\n");
  // Qwen3's first release asks for a message that starts and ends with them: here a query.
  std::string first = text;
  const std::string contains = "not('<tool_response>' in message.content and '</tool_response>' in message.content)";
  const size_t at = first.find(contains);
  ASSERT_NE(at, std::string::npos);
  first.replace(at, contains.size(),
                "not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>'))");
  EXPECT_EQ(detect(first).render(conv, kNoBos),
            "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\na<|im_end|>\n"
            "<|im_start|>user\nx <tool_response>t</tool_response><|im_end|>\n<|im_start|>assistant\n");
  // Without the enable_thinking test (Qwen3-2507-Instruct) the switch is not offered and does nothing.
  std::string no_switch = text;
  const size_t sw = no_switch.find("    {%- if enable_thinking");
  ASSERT_NE(sw, std::string::npos);
  no_switch.erase(sw, no_switch.find("{%- endif %}", sw) + 12 - sw);
  ASSERT_EQ(no_switch.find("enable_thinking"), std::string::npos);
  const ChatTemplate t = detect(no_switch);
  EXPECT_FALSE(t.has_enable_thinking());
  ChatRenderOptions o;
  o.enable_thinking = false;
  EXPECT_EQ(t.render({{"user", "hi"}}, o), "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_TRUE(detect(text).has_enable_thinking());
}

TEST(ChatTemplate, Llama32) {
  const ChatTemplate t = detect(infertrace::engine::llama32_chat_template());
  ChatRenderOptions o;
  o.today = "01 Dec 2026";
  o.bos = "<|begin_of_text|>";
  // The system message is trimmed into the dated header; every content is trimmed (U+00A0 too).
  EXPECT_EQ(t.render({{"system", "  Be brief.\n"}, {"user", " hi \xc2\xa0"}, {"assistant", "yo\n"}, {"user", "again"}}, o),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
            "Today Date: 01 Dec 2026\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nyo<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
            "again<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  o.bos.clear();  // the tokenizer adds BOS itself
  EXPECT_EQ(t.render({{"user", "hi"}}, o),
            "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
            "Today Date: 01 Dec 2026\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplate, Llama31FixedDate) {
  // Llama 3.1's template has no strftime_now: its own date literal.
  std::string text(infertrace::engine::llama32_chat_template());
  ASSERT_NE(text.find("strftime_now"), std::string::npos);
  for (size_t at = text.find("strftime_now"); at != std::string::npos; at = text.find("strftime_now"))
    text.replace(at, 12, "no_clock_fn");
  ChatRenderOptions o;
  o.today = "01 Dec 2026";
  EXPECT_EQ(detect(text).render({{"user", "hi"}}, o),
            "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
            "Today Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplate, Llama31WithToolBranchesRefusesAnEmptyToolList) {
  // A 3.1+ template that reads `tools` (as Meta's do; this fragment is written here) would write the
  // tool-calling environment for "tools": []: refused. Without a tools branch the list changes nothing.
  const std::string with_tools = std::string(infertrace::engine::llama32_chat_template()) +
                                 "{%- if not tools is defined %}{%- set tools = none %}{%- endif %}"
                                 "{%- if tools is not none %}{{- 'Environment: ipython' }}{%- endif %}";
  // Without setting an undefined `tools` to none first, jinja2 (tools undefined) runs the branch.
  EXPECT_NE(refusal(std::string(infertrace::engine::llama32_chat_template()) +
                    "{%- if tools is not none %}{{- 'Environment: ipython' }}{%- endif %}")
                .find("setting tools to none"),
            std::string::npos);
  ChatRenderOptions o;
  o.today = "01 Dec 2026";
  const std::vector<ChatMessage> hi = {{"user", "hi"}};
  EXPECT_NO_THROW(detect(with_tools).render(hi, o));
  o.tools_listed = true;
  EXPECT_THROW(detect(with_tools).render(hi, o), std::invalid_argument);
  ChatRenderOptions plain = o;
  plain.tools_listed = false;
  EXPECT_EQ(detect(infertrace::engine::llama32_chat_template()).render(hi, o),
            detect(infertrace::engine::llama32_chat_template()).render(hi, plain));
}

TEST(ChatTemplate, Llama30AndChatMl) {
  ChatRenderOptions o;
  o.bos = "<s>";
  EXPECT_EQ(detect(kLlama30).render({{"system", "s"}, {"user", "hi "}}, o),
            "<s><|start_header_id|>system<|end_header_id|>\n\ns<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
            "hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(detect(kChatMl).render({{"user", " a "}, {"assistant", "b"}}, o),
            "<|im_start|>user\n a <|im_end|>\n<|im_start|>assistant\nb<|im_end|>\n<|im_start|>assistant\n");
}

// Without a user query (no user message) Qwen3's last_query_index is the last message: an
// assistant turn there is not after it and keeps no think block (its reasoning is dropped).
TEST(ChatTemplate, Qwen3AssistantWithoutAQueryHasNoThinkBlock) {
  const ChatTemplate t = detect(infertrace::engine::qwen3_chat_template());
  EXPECT_EQ(t.render({{"system", "s"}, {"assistant", "<think>r</think>a"}}, kNoBos),
            "<|im_start|>system\ns<|im_end|>\n<|im_start|>assistant\na<|im_end|>\n<|im_start|>assistant\n");
}

// A ChatML template that writes the conversation's own system message as raw text, the header
// followed by a tag (written here), has no default system message of its own.
TEST(ChatTemplate, RawSystemHeaderFollowedByATagIsNoDefaultSystemMessage) {
  constexpr std::string_view kRawSystem =
      "{% if messages[0]['role'] == 'system' %}<|im_start|>system\n{{ messages[0]['content'] }}<|im_end|>\n"
      "{% set rest = messages[1:] %}{% else %}{% set rest = messages %}{% endif %}"
      "{% for message in rest %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
      "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
  // Not taken for a default system message; refused as a whole all the same: the `set` of the
  // messages it loops over is none of the parts the ChatML rendering stands for (chatml_structure.h).
  const std::string why = refusal(kRawSystem);
  EXPECT_EQ(why.find("default system message"), std::string::npos) << why;
  EXPECT_NE(why.find("{% set rest = messages[1:] %}"), std::string::npos) << why;
}

// A system turn whose content comes from a tag can still write a default of its own: an else
// branch, an expression's fallback, raw text between the tags. Each is refused (HF would write the
// default when the conversation has no system message; the renderer would not).
TEST(ChatTemplate, SystemTurnWithAFallbackIsADefaultSystemMessage) {
  const std::string loop =
      "{% for message in rest %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
      "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
  const auto with_system_turn = [&](const std::string& turn) {
    return "{% set rest = messages[1:] if messages[0]['role'] == 'system' else messages %}<|im_start|>system\n" + turn +
           "<|im_end|>\n" + loop;
  };
  const std::string content = "{{ messages[0]['content'] }}";
  // Without a fallback no default system message is seen; the `set` of the conversation is refused
  // by the whole-template check (chatml_structure.h), which names it.
  const auto structure_refusal = [&](const std::string& text, std::string_view named) {
    const std::string why = refusal(text);
    EXPECT_EQ(why.find("default system message"), std::string::npos) << why;
    EXPECT_NE(why.find(named), std::string::npos) << why;
  };
  structure_refusal(with_system_turn(content), "{% set rest = messages[1:] if");
  for (const std::string& turn :
       {"{% if messages[0]['role'] == 'system' %}" + content + "{% else %}You are a helpful assistant.{% endif %}",
        "{%- if messages[0]['role'] == 'system' %}" + content + "{%- elif true %}{{ 'x' }}{%- endif %}",
        std::string("{{ system_message or 'You are a helpful assistant.' }}"),
        std::string("{{ system_message | default('You are a helpful assistant.') }}"),
        "Be brief. " + content})
    EXPECT_NE(refusal(with_system_turn(turn)).find("default system message"), std::string::npos) << turn;
  // A literal header's own expression with a fallback (or, else).
  EXPECT_NE(refusal("{{- '<|im_start|>system\\n' + (system_message or \"Be helpful.\") + '<|im_end|>\\n' }}" + loop)
                .find("default system message"),
            std::string::npos);
  EXPECT_NE(refusal("{{- '<|im_start|>system\\n' + (s if s else 'Be helpful.') + '<|im_end|>\\n' }}" + loop)
                .find("default system message"),
            std::string::npos);
  // No default: a literal header holding a real newline (a "\n" in tokenizer_config.json, decoded),
  // its content from an expression. jinja2 writes it before the loop writes the message again:
  // refused as a whole, the expression named.
  structure_refusal("{{ '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}" + loop,
                    "+ messages[0]['content'] + '<|im_en");
  // No default either: a literal header opening a tools branch whose else branch and text are no
  // default (Qwen3's shape): after a literal header only its own expression is read. An `if tools`
  // with no else branch holding a default block is refused as a whole.
  const std::string tools_branch =
      "{%- if tools %}{{- '<|im_start|>system\\n' }}{%- if messages[0]['role'] == 'system' %}{{- "
      "messages[0]['content'] + '\\n\\n' }}{%- else %}{{- '' }}{%- endif %}{{- '# Tools<|im_end|>\\n' }}{%- endif %}";
  structure_refusal(tools_branch + loop, "{%- if tools %} (line 1) without a plain else branch");
}

// Python's str.strip() takes every Unicode space: U+3000 (ideographic) and U+2003 (em space) too.
TEST(ChatTemplate, PythonStripTakesUnicodeSpaces) {
  EXPECT_EQ(python_strip("\xe3\x80\x80hi\xe3\x80\x80"), "hi");
  EXPECT_EQ(python_strip("\xe2\x80\x83 hi \xe2\x80\x83"), "hi");
  EXPECT_EQ(python_strip("\xe3\x80\x81hi"), "\xe3\x80\x81hi");  // U+3001, a comma, is not a space
}

TEST(ChatTemplate, Refusals) {
  EXPECT_NE(refusal("").find("no chat template"), std::string::npos);
  EXPECT_NE(refusal("{{ x }}").find("no family"), std::string::npos);
  EXPECT_NE(refusal("{{ '<start_of_turn>' + role }}").find("'gemma'"), std::string::npos);
  EXPECT_NE(refusal("{{ '<|im_start|>' }}{{ '<|im_sep|>' }}").find("'phi4'"), std::string::npos);
  // Qwen2.5 writes a system message of its own when the conversation has none.
  EXPECT_NE(refusal("{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud.<|im_end|>\\n' }}")
                .find("default system message"),
            std::string::npos);
  const ChatTemplate t = detect(kChatMl);
  EXPECT_THROW(t.render({}, kNoBos), std::invalid_argument);
  EXPECT_THROW(t.render({{"tool", "x"}}, kNoBos), std::invalid_argument);
}

// Template shapes whose output the renderers would not reproduce byte for byte: each refused, with
// the reason named. The texts are small hand-written fragments of the shapes in question.
TEST(ChatTemplate, RefusesShapesItCannotRender) {
  const std::string gen = "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
  const std::string loop =
      "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
      "'<|im_end|>\\n' }}{% endfor %}";
  // A default system message kept in a variable, written when the conversation has none.
  const std::string set_default =
      "{% set system_message = 'You are a helpful assistant.' %}{% if messages[0]['role'] != 'system' %}{{ "
      "'<|im_start|>system\\n' + system_message + '<|im_end|>\\n' }}{% endif %}" + loop + gen;
  EXPECT_NE(refusal(set_default).find("default system message"), std::string::npos);
  // The same with whitespace control and double quotes.
  std::string dq = set_default;
  dq.replace(0, dq.find("%}") + 2, "{%- set system_message = \"You are a helpful assistant.\" -%}");
  EXPECT_NE(refusal(dq).find("default system message"), std::string::npos);
  // Qwen2-VL's shape: the default written as raw template text, after a real newline.
  const std::string raw_default =
      "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\n"
      "You are a helpful assistant.<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n{{ message['content'] "
      "}}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
  EXPECT_NE(refusal(raw_default).find("default system message"), std::string::npos);
  // Yi's shape: the generation prompt after every user turn, no add_generation_prompt test at all...
  const std::string yi =
      "{% for message in messages %}{% if message['role'] == 'user' %}{{ '<|im_start|>user\\n' + "
      "message['content'] + '<|im_end|>\\n<|im_start|>assistant\\n' }}{% elif message['role'] == 'assistant' "
      "%}{{ message['content'] + '<|im_end|>\\n' }}{% endif %}{% endfor %}";
  EXPECT_NE(refusal(yi).find("add_generation_prompt"), std::string::npos);
  // ...or with one at the end too.
  EXPECT_NE(refusal(yi + gen).find("outside an add_generation_prompt test"), std::string::npos);
  // ChatML that writes bos_token (Hermes-2-Pro's and InternLM2's shape).
  EXPECT_NE(refusal("{{ bos_token }}" + loop + gen).find("bos_token"), std::string::npos);
  // Llama-3.2-Vision's shape: the date header, but a string content written untrimmed.
  const std::string vision =
      "{{- bos_token }}{%- if messages[0]['role'] == 'system' %}{%- set system_message = "
      "messages[0]['content']|trim %}{%- set messages = messages[1:] %}{%- else %}{%- set system_message = \"\" "
      "%}{%- endif %}{{- '<|start_header_id|>system<|end_header_id|>\\n\\n' }}{{- 'Cutting Knowledge Date: December "
      "2023\\n' }}{{- 'Today Date: ' + date_string + '\\n\\n' }}{{- system_message }}{{- '<|eot_id|>' }}{%- for "
      "message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' }}{%- if "
      "message['content'] is string %}{{- message['content'] }}{%- else %}{%- for content in message['content'] "
      "%}{%- if content['type'] == 'image' %}{{- '<|image|>' }}{%- elif content['type'] == 'text' %}{{- "
      "content['text'] }}{%- endif %}{%- endfor %}{%- endif %}{{- '<|eot_id|>' }}{%- endfor %}{%- if "
      "add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";
  EXPECT_NE(refusal("{{- bos_token }}{%- set date_string = \"26 Jul 2024\" %}" + vision.substr(16)).find("trim"),
            std::string::npos);
  // A Llama 3 template that writes no BOS: the renderer would write one.
  std::string no_bos(kLlama30);
  ASSERT_EQ(no_bos.find("{{- bos_token }}"), 0u);
  no_bos.erase(0, 16);
  EXPECT_NE(refusal(no_bos).find("bos_token"), std::string::npos);
  // The shapes still accepted: the plain ChatML loop, and it with an empty default (`set x = ''`).
  EXPECT_EQ(detect(loop + gen).family(), ChatFamily::kChatMl);
  EXPECT_EQ(detect("{% set sep = '' %}" + loop + gen).family(), ChatFamily::kChatMl);
  // Raw-text ChatML without a default system message.
  EXPECT_EQ(detect("{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] "
                   "}}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
                .family(),
            ChatFamily::kChatMl);
}

namespace {

// Our own texts of Qwen2.5's shape (the loop skipping a first system message, the if/else block
// before it) and of Qwen1.5's / Qwen2's (real newlines in the literals).
const std::string kLoop25 =
    "{%- for message in messages %}\n    {%- if (message.role == \"user\") or (message.role == \"system\" and not "
    "loop.first) or (message.role == \"assistant\") %}\n        {{- '<|im_start|>' + message.role + '\\n' + "
    "message.content + '<|im_end|>' + '\\n' }}\n    {%- endif %}\n{%- endfor %}\n";
const std::string kGen = "{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n{%- endif %}\n";
const std::string kHead25 =
    "{%- if messages[0]['role'] == 'system' %}\n    {{- '<|im_start|>system\\n' + messages[0]['content'] + "
    "'<|im_end|>\\n' }}\n{%- else %}\n    {{- '<|im_start|>system\\nBe kind.<|im_end|>\\n' }}\n{%- endif %}\n";
const std::string kQwen15 =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
    "Be brief.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
    "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

}  // namespace

// A ChatML template's default system message, in the two shapes the server renders (test_serve_chat.py
// checks them against jinja2): written when the conversation does not open with a system message,
// and only then. Other shapes stay refused.
TEST(ChatTemplate, ChatMlDefaultSystemMessageInQwenShapes) {
  const ChatTemplate q25 = detect(kHead25 + kLoop25 + kGen);
  EXPECT_EQ(q25.family(), ChatFamily::kChatMl);
  EXPECT_EQ(q25.name(), "chatml (default system message)");
  EXPECT_EQ(q25.render({{"user", "hi"}}, kNoBos),
            "<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(q25.render({{"system", "S"}, {"user", "hi"}, {"system", "T"}}, kNoBos),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>system\nT<|im_end|>\n"
            "<|im_start|>assistant\n");
  // A later system message does not stand in for the first: the default is still written.
  EXPECT_EQ(q25.render({{"user", "hi"}, {"system", "T"}}, kNoBos),
            "<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>system\nT<|im_end|>\n"
            "<|im_start|>assistant\n");

  // Qwen1.5's / Qwen2's shape, real newlines in the literals.
  const ChatTemplate q15 = detect(kQwen15);
  EXPECT_EQ(q15.render({{"user", "hi"}}, kNoBos),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(q15.render({{"system", "S"}, {"user", "hi"}}, kNoBos),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");

  // Refused: a loop that writes the first system message again (the header would be doubled), white
  // space Jinja would write (no `-` on the default's tag), a second default kept in a variable, the
  // default inside the loop after the message, and a default holding a quote escape.
  const std::string loop_all =
      "{%- for message in messages %}\n    {{- '<|im_start|>' + message.role + '\\n' + message.content + "
      "'<|im_end|>\\n' }}\n{%- endfor %}\n";
  EXPECT_NE(refusal(kHead25 + loop_all + kGen).find("default system message"), std::string::npos);
  std::string spaced = kHead25;
  spaced.replace(spaced.find("    {{- '<|im_start|>system\\nBe"), 7, "    {{ ");
  EXPECT_NE(refusal(spaced + kLoop25 + kGen).find("default system message"), std::string::npos);
  EXPECT_NE(refusal("{%- set other = 'You are helpful.' %}" + kHead25 + kLoop25 + kGen).find("default system message"),
            std::string::npos);
  std::string after = kQwen15;
  after.replace(after.find("{% if loop.first"), 0, "{{'x'}}");
  EXPECT_NE(refusal(after).find("default system message"), std::string::npos);
  std::string quoted = kHead25;
  quoted.replace(quoted.find("Be kind."), 8, "Be \\'kind\\'.");
  EXPECT_NE(refusal(quoted + kLoop25 + kGen).find("default system message"), std::string::npos);
  // A double quote inside the single-quoted literal is plain text: accepted, written as it is.
  std::string double_quoted = kHead25;
  double_quoted.replace(double_quoted.find("Be kind."), 8, "Say \"hi\".");
  EXPECT_EQ(detect(double_quoted + kLoop25 + kGen).render({{"user", "hi"}}, kNoBos),
            "<|im_start|>system\nSay \"hi\".<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
}

// Where the default's block sits decides what Jinja writes, so it is accepted only where it runs
// before the message loop, once, whatever the conversation: at the top level, or (Qwen2.5's) in the
// else branch of `if tools`, the branch every conversation the server renders takes ("tools" absent
// or []). Each refused text below is one jinja2 renders otherwise than with the default in front
// (checked with jinja2 3.1: after the loop it writes the system turn last, inside the loop a first
// system message twice, under a false `if`, in a comment or in `if tools` nothing, in a raw block the
// block's own text; text before the block it writes first).
TEST(ChatTemplate, ChatMlDefaultSystemOnlyWhereItRunsFirst) {
  const std::string tools_open =
      "{%- if tools %}\n    {%- for tool in tools %}{{- tool.name }}{%- endfor %}\n{%- else %}\n";
  for (const std::string& text : {kHead25 + kLoop25 + kGen, tools_open + kHead25 + "{%- endif %}\n" + kLoop25 + kGen,
                                  "{%- set a = 1 %}\n\n{#- note #}\n" + kHead25 + kLoop25 + kGen}) {
    const ChatTemplate t = detect(text);
    EXPECT_EQ(t.name(), "chatml (default system message)") << text;
    EXPECT_EQ(t.render({{"user", "hi"}}, kNoBos),
              "<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
    EXPECT_EQ(t.render({{"system", "S"}, {"user", "hi"}}, kNoBos),
              "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  }
  const size_t body = kLoop25.find("    {%- if (message.role");
  std::string skip_in_comment = kLoop25;
  skip_in_comment.replace(skip_in_comment.find(" or (message.role == \"system\" and not loop.first)"), 49, "");
  skip_in_comment = kHead25 + "{#- message.role == 'system' and not loop.first -#}" + skip_in_comment + kGen;
  for (const std::string& text : {
           // review BY's four: after the loop, inside its body, under a false condition, in a comment
           kLoop25 + kHead25 + kGen,
           kLoop25.substr(0, body) + kHead25 + kLoop25.substr(body) + kGen,
           "{%- if messages|length > 100 %}" + kHead25 + "{%- endif %}\n" + kLoop25 + kGen,
           "{#- " + kHead25 + " -#}\n" + kLoop25 + kGen,
           // in the branch of `if tools` that never runs, in a raw block, inside a string
           "{%- if tools %}\n" + kHead25 + "{%- else %}{%- endif %}\n" + kLoop25 + kGen,
           "{%- raw %}" + kHead25 + "{%- endraw %}\n" + kLoop25 + kGen,
           "{%- set unused = \"" + kHead25 + "\" %}" + kLoop25 + kGen,
           // the loop's skip of the first system message only in a comment (the loop writes it again)
           skip_in_comment,
           // text written before it: a raw block's, an expression's, the template's own, white space
           // no `-` strips (trim_blocks takes the first newline only)
           "{%- raw %}x{%- endraw %}" + kHead25 + kLoop25 + kGen,
           "{{ 'x' }}" + kHead25 + kLoop25 + kGen,
           "Hi " + kHead25 + kLoop25 + kGen,
           "{% set a = 1 %}\n \n{%" + kHead25.substr(3) + kLoop25 + kGen,
           // review CD H1: `tools` or `messages` assigned before the block (jinja2 then runs the
           // `if tools` branch, or renders another conversation), also inside an earlier `if`
           "{%- set tools = [1] %}" + tools_open + kHead25 + "{%- endif %}\n" + kLoop25 + kGen,
           "{%- if true %}{%- set tools = [1] %}{%- endif %}" + tools_open + kHead25 + "{%- endif %}\n" + kLoop25 +
               kGen,
           "{%- set a, messages = 1, [] %}" + kHead25 + kLoop25 + kGen,
           // review CD H2: in `{#-#}` the `-` opens the comment; the two spaces after it are written
           "{#-#}  {%" + kHead25.substr(3) + kLoop25 + kGen,
           // review CE M1: the skip in an `if` that guards nothing (jinja2 then writes the system
           // message twice), outside the loop, or guarding another write than the whole body's
           kHead25 + "{%- for message in messages %}{%- if message.role == 'system' and not loop.first %}" +
               "{%- endif %}{{- message.content }}{%- endfor %}" + kGen,
           kHead25 + "{%- if message.role == 'system' and not loop.first %}{%- endif %}" +
               "{%- for message in messages %}{{- message.content }}{%- endfor %}" + kGen,
           kHead25 + "{%- for message in messages %}{%- if message.role == 'system' and not loop.first %}" +
               "{{- 'x' }}{%- endif %}{{- message.content }}{%- endfor %}" + kGen,
           kHead25 + "{%- if false %}" + kLoop25 + "{%- endif %}" + kGen,
           // review CG M1: the skip's words in a condition that does not skip: negated, after
           // `true or`, or alone (jinja2 then writes the system message twice, or no user turn)
           kHead25 + "{%- for message in messages %}{%- if not (message.role == 'system' and not loop.first) %}" +
               "{{- message.content }}{%- endif %}{%- endfor %}" + kGen,
           kHead25 + "{%- for message in messages %}{%- if true or (message.role == 'system' and not loop.first) %}" +
               "{{- message.content }}{%- endif %}{%- endfor %}" + kGen,
           kHead25 + "{%- for message in messages %}{%- if (message.role == 'system' and not loop.first) %}" +
               "{{- message.content }}{%- endif %}{%- endfor %}" + kGen,
       })
    EXPECT_NE(refusal(text).find("default system message"), std::string::npos) << text;

  // Qwen1.5's shape: its loop at the top level and the first loop, or refused.
  const size_t gen15 = kQwen15.find("{% if add_generation_prompt");
  for (const std::string& text : {
           "{% if messages|length > 100 %}" + kQwen15.substr(0, gen15) + "{% endif %}" + kQwen15.substr(gen15),
           "{# " + kQwen15 + " #}" + std::string(kChatMl),
           "{% for message in messages %}{{ message['content'] }}{% endfor %}" + kQwen15,
           "{% for x in [1, 2] %}" + kQwen15.substr(0, gen15) + "{% endfor %}" + kQwen15.substr(gen15),
       })
    EXPECT_NE(refusal(text).find("default system message"), std::string::npos) << text;
}

// 40,000 nested ifs are refused as jinja2 would (Python compiles no such nesting) as soon as they
// pass 80, in linear time. 75 nested ifs around the default's block, or closed before it: where the
// block sits is found in time linear in the tags (each tag rescanned the open blocks: seconds,
// review CE M2): refused inside the ifs; after them the default is placed, and the template then
// refused as a whole for the ifs themselves (conditions jinja2 evaluates, which the server does
// not judge); without them it renders the default.
TEST(ChatTemplate, ChatMlDefaultSystemUnderManyNestedIfsIsPlacedInLinearTime) {
  std::string opens, ends;
  for (int i = 0; i < 40000; ++i) opens += "{%if a%}", ends += "{%endif%}";
  const auto tn = infertrace::test::thread_cpu_now();
  EXPECT_NE(refusal(opens + kHead25 + ends + kLoop25 + kGen).find("blocks nested more than 80 deep"), std::string::npos);
  EXPECT_LT(infertrace::test::thread_cpu_now() - tn, infertrace::test::cpu_seconds(5));
  opens.resize(75 * std::string_view("{%if a%}").size());
  ends.resize(75 * std::string_view("{%endif%}").size());
  const auto t0 = infertrace::test::thread_cpu_now();
  EXPECT_NE(refusal(opens + kHead25 + ends + kLoop25 + kGen).find("default system message"), std::string::npos);
  EXPECT_LT(infertrace::test::thread_cpu_now() - t0, infertrace::test::cpu_seconds(5));
  const auto t1 = infertrace::test::thread_cpu_now();
  EXPECT_NE(refusal(opens + ends + kHead25 + kLoop25 + kGen).find("it has {%if a%} (line 1) outside the parts"),
            std::string::npos);
  EXPECT_LT(infertrace::test::thread_cpu_now() - t1, infertrace::test::cpu_seconds(5));
  const ChatTemplate t = detect(kHead25 + kLoop25 + kGen);
  EXPECT_EQ(t.render({{"user", "hi"}}, kNoBos),
            "<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
}

// Jinja reads a template's carriage returns as newlines (in string literals too): a default holding
// one is written with "\n" where the text has "\r", so it is refused, not rendered with the "\r".
TEST(ChatTemplate, ChatMlDefaultWithACarriageReturnIsRefused) {
  std::string text = kQwen15;
  text.replace(text.find("Be brief."), 9, "Be\rbrief.");
  EXPECT_NE(refusal(text).find("default system message"), std::string::npos);
}

// Long runs in a template from a model file (white space, a default's text) cost little and do not
// exhaust the stack (the patterns' repetitions are bounded): refused, quickly.
TEST(ChatTemplate, ChatMlDefaultSystemLongRunsAreRefusedQuickly) {
  const std::string spaces(200000, ' ');
  const std::string text = "{% for message in messages %}" + spaces + "{% if loop.first and messages[0]['role'] != " +
                           "'system' %}{{ '<|im_start|>system\\n" + std::string(200000, 'a') + "<|im_end|>\\n' }}" +
                           spaces + "{% endif %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + " +
                           "'<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}" +
                           "{{ '<|im_start|>assistant\\n' }}{% endif %}";
  const auto t0 = infertrace::test::thread_cpu_now();
  EXPECT_NE(refusal(text).find("default system message"), std::string::npos);
  EXPECT_LT(infertrace::test::thread_cpu_now() - t0, infertrace::test::cpu_seconds(20));
}

// 11,000 skips of the first system message in one `if`, its body long (29,000 empty ifs): the tag
// holding them is judged once, not once per match (7 s before: review CG M2); and such a
// condition is no known one, so the default is refused. (Since review ZR M3 such a condition is
// refused for its length first; 75 skips still reach the judgement.)
TEST(ChatTemplate, ManySkipsInOneConditionAreJudgedOnce) {
  std::string cond = "(message.role == 'system' and not loop.first)", body;
  for (int i = 1; i < 11000; ++i) cond += " or (message.role == 'system' and not loop.first)";
  for (int i = 0; i < 29000; ++i) body += "{%if a%}{%endif%}";
  // The write first and the endif not before the endfor: each judgement read the whole body.
  const std::string text = kHead25 + "{%- for message in messages %}{%- if " + cond + " %}{{- message.content }}" +
                           body + "{%- endif %}{{- 'x' }}{%- endfor %}" + kGen;
  const auto t0 = infertrace::test::thread_cpu_now();
  // Since review ZR M3 `and`/`or` count against the 150 operators a tag may hold (jinja2 compiles no
  // more), so this condition is refused before any judgement; the 75 skips below (149 operators)
  // are judged, with the same long body.
  EXPECT_NE(refusal(text).find("more than 150 binary operators in one tag"), std::string::npos);
  std::string legal = "(message.role == 'system' and not loop.first)";
  for (int i = 1; i < 75; ++i) legal += " or (message.role == 'system' and not loop.first)";
  EXPECT_NE(refusal(kHead25 + "{%- for message in messages %}{%- if " + legal + " %}{{- message.content }}" + body +
                    "{%- endif %}{{- 'x' }}{%- endfor %}" + kGen)
                .find("default system message"),
            std::string::npos);
  // 77 ms in the dev build, about 3 s of CPU under ASan+UBSan; 6.85 s before.
  EXPECT_LT(infertrace::test::thread_cpu_now() - t0, infertrace::test::cpu_seconds(5));
}

// 40,000 system headers with no <|im_end|> after them (about 1 MB from a model file): each header's
// turn is read up to the next one, not to the end of the text, so detection stays linear (it took
// minutes, stalling server start-up: review CE M3). Each header is followed by an expression with
// no fallback, so no default system message is seen; the text is then refused as a whole (raw text
// before the loop), also in linear time.
TEST(ChatTemplate, ManySystemHeadersWithoutAnEndAreReadInLinearTime) {
  const std::string loop =
      "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + "
      "'<|im_end|>' + '\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}"
      "{%- endif %}";
  std::string headers;
  for (int i = 0; i < 40000; ++i) headers += "<|im_start|>system\n{{ x }}";
  const auto t0 = infertrace::test::thread_cpu_now();
  std::string why = refusal(headers + loop);
  EXPECT_LT(infertrace::test::thread_cpu_now() - t0, infertrace::test::cpu_seconds(5));
  EXPECT_NE(why.find("it writes the text '<|im_start|>system\\n' (line 1)"), std::string::npos) << why;
  std::string literal_headers;
  for (int i = 0; i < 40000; ++i) literal_headers += "'<|im_start|>system\\n' + x ";
  const auto t1 = infertrace::test::thread_cpu_now();
  why = refusal(literal_headers + loop);
  EXPECT_LT(infertrace::test::thread_cpu_now() - t1, infertrace::test::cpu_seconds(5));
  EXPECT_NE(why.find("it writes the text ''<|im_start|>system"), std::string::npos) << why;
}

// A template from a model file is untrusted text: a long white-space run inside an expression with a
// fallback (`x or <spaces> ''`) is read without recursing per character (std::regex's `\s*` did, and
// overflowed the stack), and the fallback is still seen: a default system message, refused.
TEST(ChatTemplate, FallbackAfterALongWhiteSpaceRunIsSeenWithoutACrash) {
  const std::string loop =
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
      "'<|im_end|>\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
  std::string run;  // every ASCII white-space character, as std::regex's \s took them
  for (int i = 0; i < 200000; ++i) run += " \t\n\r\f\v"[i % 6];
  EXPECT_NE(refusal(loop + "{{ '<|im_start|>system\\n' + x or" + run + "'' }}").find("default system message"),
            std::string::npos);
  EXPECT_NE(refusal(loop + "{{ '<|im_start|>system\\n' + x | default" + run + "('') }}").find("default system message"),
            std::string::npos);
  // The words only count whole: `color`, `orelse`, `defaults(` are no fallback. The texts must
  // compile, or the compile check refuses them before the fallback is looked for (review CL M2).
  // jinja2 writes a quote right after a name only as a test's argument, and no test's name ends in
  // "or" or "else", so those two stand inside a string literal, which the scan reads too. (All four
  // are refused all the same, for what they are: each writes after the loop, the check that comes
  // after the default-system one.)
  for (const std::string expr : {"'a color \"b\"'", "'orelse \"a\"'", "defaults('a')", "x.default_ ('a')"}) {
    const std::string why = refusal(loop + "{{ '<|im_start|>system\\n' + " + expr + " + '<|im_end|>\\n' }}");
    EXPECT_EQ(why.find("default system message"), std::string::npos) << expr << ": " << why;
    EXPECT_NE(why.find("outside the parts"), std::string::npos) << expr << ": " << why;
  }
}

namespace {

// A template written here with the constructs of Qwen3's published one, in this file's own layout
// and names: a tools branch, the last query found by a backward loop that skips tool responses, the
// content taken when it is a string, role branches with the assistant's as an elif, its reasoning
// split off, the think block under Qwen3's two nested conditions, tool calls, tool results, and the
// generation prompt with the enable_thinking test.
constexpr std::string_view kQwen3Shaped = R"TPL({%- if tools %}
{{- '<|im_start|>system\n' }}
{%- if messages[0].role == 'system' %}{{- messages[0].content + '\n\n' }}{%- endif %}
{{- 'Tools you may call:' }}
{%- for tool in tools %}{{- '\n' + tool | tojson }}{%- endfor %}
{{- '<|im_end|>\n' }}
{%- else %}
{%- if messages[0].role == 'system' %}{{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}{%- endif %}
{%- endif %}
{%- set st = namespace(searching=true, last_query_index=messages|length - 1) %}
{%- for turn in messages[::-1] %}
  {%- set at = (messages|length - 1) - loop.index0 %}
  {%- if st.searching and turn.role == "user" and turn.content is string and not(turn.content.startswith('<tool_response>') and turn.content.endswith('</tool_response>')) %}
    {%- set st.searching = false %}
    {%- set st.last_query_index = at %}
  {%- endif %}
{%- endfor %}
{%- for turn in messages %}
  {%- if turn.content is string %}{%- set reply = turn.content %}{%- else %}{%- set reply = '' %}{%- endif %}
  {%- if (turn.role == "user") or (turn.role == "system" and not loop.first) %}
    {{- '<|im_start|>' + turn.role + '\n' + reply + '<|im_end|>' + '\n' }}
  {%- elif turn.role == "assistant" %}
    {%- set thoughts = '' %}
    {%- if '</think>' in reply %}
      {%- set thoughts = reply.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n') %}
      {%- set reply = reply.split('</think>')[-1].lstrip('\n') %}
    {%- endif %}
    {%- if loop.index0 > st.last_query_index %}
      {%- if loop.last or (not loop.last and thoughts) %}
        {{- '<|im_start|>' + turn.role + '\n<think>\n' + thoughts.strip('\n') + '\n</think>\n\n' + reply.lstrip('\n') }}
      {%- else %}
        {{- '<|im_start|>' + turn.role + '\n' + reply }}
      {%- endif %}
    {%- else %}
      {{- '<|im_start|>' + turn.role + '\n' + reply }}
    {%- endif %}
    {%- if turn.tool_calls %}
      {%- for call in turn.tool_calls %}{{- '\n<tool_call>' + call.name + '</tool_call>' }}{%- endfor %}
    {%- endif %}
    {{- '<|im_end|>\n' }}
  {%- elif turn.role == "tool" %}
    {{- '<|im_start|>user\n<tool_response>\n' + reply + '\n</tool_response><|im_end|>\n' }}
  {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
  {{- '<|im_start|>assistant\n' }}
  {%- if enable_thinking is defined and enable_thinking is false %}
    {{- '<think>\n\n</think>\n\n' }}
  {%- endif %}
{%- endif %}
)TPL";

// kQwen3Shaped with `from` (which must be there) made `to`.
std::string qwen3_with(std::string_view from, std::string_view to) {
  std::string t(kQwen3Shaped);
  const size_t at = t.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) t.replace(at, from.size(), to);
  return t;
}

// Whether the text is refused as a Qwen3 template with `reason` in the refusal.
::testing::AssertionResult refused_as_qwen3(const std::string& text, std::string_view reason) {
  std::string why;
  if (ChatTemplate::detect(text, &why)) return ::testing::AssertionFailure() << "accepted";
  if (why.find("is Qwen3, but") == std::string::npos || why.find(reason) == std::string::npos)
    return ::testing::AssertionFailure() << "refused for another reason: " << why;
  return ::testing::AssertionSuccess();
}

constexpr std::string_view kThinkWrite =
    "{{- '<|im_start|>' + turn.role + '\\n<think>\\n' + thoughts.strip('\\n') + '\\n</think>\\n\\n' + "
    "reply.lstrip('\\n') }}";
constexpr std::string_view kThinkCondition = "{%- if loop.last or (not loop.last and thoughts) %}";
constexpr std::string_view kPromptTest = "{%- if enable_thinking is defined and enable_thinking is false %}";

}  // namespace

// The Qwen3-shaped text is read as Qwen3 and rendered as its conditions say (the prompts written
// out by hand from them).
TEST(ChatTemplate, Qwen3ShapedTemplateIsAccepted) {
  const ChatTemplate t = detect(kQwen3Shaped);
  EXPECT_EQ(t.family(), ChatFamily::kQwen3);
  EXPECT_TRUE(t.has_enable_thinking());
  // Before the last query the reasoning goes; after it a turn with reasoning keeps it, the last
  // turn gets a block even without, a middle turn without reasoning gets none.
  EXPECT_EQ(t.render({{"user", "a"}, {"assistant", "<think>old</think>b"}, {"user", "c"}, {"assistant", "d"},
                      {"assistant", "<think>\nnew\n</think>\n\ne"}, {"assistant", "f"}},
                     kNoBos),
            "<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\nb<|im_end|>\n<|im_start|>user\nc<|im_end|>\n"
            "<|im_start|>assistant\nd<|im_end|>\n<|im_start|>assistant\n<think>\nnew\n</think>\n\ne<|im_end|>\n"
            "<|im_start|>assistant\n<think>\n\n</think>\n\nf<|im_end|>\n<|im_start|>assistant\n");
  ChatRenderOptions off;
  off.enable_thinking = false;
  EXPECT_EQ(t.render({{"user", "hi"}}, off), "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
  // The preset's own template (think condition joined by `and` in one tag) too.
  EXPECT_EQ(detect(infertrace::engine::qwen3_chat_template()).family(), ChatFamily::kQwen3);
}

// Qwen3-marked templates whose generation prompt is not Qwen3's (Qwen3.5-VL's writes an empty think
// block unless thinking is enabled): refused, the tag named.
TEST(ChatTemplate, Qwen3MarkedWithAnotherGenerationPromptIsRefused) {
  const std::string enabled_test = "{%- if enable_thinking is defined and enable_thinking is true %}";
  EXPECT_TRUE(refused_as_qwen3(
      qwen3_with(std::string(kPromptTest) + "\n    {{- '<think>\\n\\n</think>\\n\\n' }}",
                 enabled_test + "{{- '<think>\\n' }}{%- else %}{{- '<think>\\n\\n</think>\\n\\n' }}"),
      "where Qwen3's template has only `if enable_thinking is defined and enable_thinking is false`"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{{- '<think>\\n\\n</think>\\n\\n' }}",
                                          "{{- '<think>\\n\\n</think>\\n\\n' }}{%- else %}{{- '<think>\\n' }}"),
                               "has no other branch (it writes no think block unless thinking is switched off)"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{{- '<|im_start|>assistant\\n' }}", "{{- '<|im_start|>assistant\\n\\n' }}"),
                               "writing '<|im_start|>assistant\\n\\n', where Qwen3's generation prompt is"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{{- '<think>\\n\\n</think>\\n\\n' }}", "{{- '<think>\\n</think>\\n' }}"),
                               "where Qwen3's is '<think>\\n\\n</think>\\n\\n'"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("  {%- endif %}\n{%- endif %}\n", "  {%- endif %}\n{%- else %}{{- 'x' }}{%- endif %}\n"),
                               "in the generation prompt, where Qwen3's template has no other branch"));
  // The switch set by the template itself, or read elsewhere.
  EXPECT_TRUE(refused_as_qwen3("{%- set enable_thinking = false %}\n" + std::string(kQwen3Shaped),
                               "setting a switch the request passes"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(kThinkCondition, "{%- if enable_thinking is defined %}{%- endif %}" +
                                                               std::string(kThinkCondition)),
                               "reading enable_thinking outside the generation prompt's"));
}

// Qwen3-marked templates whose think blocks are written under other conditions or otherwise: a
// training variant writing one into every assistant turn, Qwen3.5-VL's writing one into every turn
// after the last query, and the block itself changed.
TEST(ChatTemplate, Qwen3MarkedWithOtherThinkBlocksIsRefused) {
  // Every turn: the write moved out of both conditions.
  std::string every = qwen3_with(std::string(kThinkWrite), "{{- '<|im_start|>' + turn.role + '\\n' + reply }}");
  const std::string branch_start = "    {%- if loop.index0 > st.last_query_index %}";
  every.insert(every.find(branch_start), std::string("    ") + std::string(kThinkWrite) + "\n    {%- if false %}");
  every.replace(every.find("{%- if turn.tool_calls %}"), 0, "{%- endif %}\n    ");
  EXPECT_TRUE(refused_as_qwen3(every, "writing a think block without Qwen3's condition: not only after the last user query"));
  // After the last query, whatever the turn.
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(kThinkCondition, "{%- if true %}"),
                               "writing a think block under a condition Qwen3's template does not have"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(std::string(kThinkCondition) + "\n", "{%- if 1 %}{%- endif %}\n{%- if 1 %}\n"),
                               "under a condition Qwen3's template does not have"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- if loop.index0 > st.last_query_index %}", "{%- if turn.role == \"assistant\" %}"),
                               "not only after the last user query"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(kThinkCondition, "{%- if turn.role == \"assistant\" %}"),
                               "not only for the last message or one with reasoning"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(kThinkCondition, "{%- if loop.last %}"), "under a condition Qwen3's"));
  // In an else branch.
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("      {{- '<|im_start|>' + turn.role + '\\n' + reply }}\n    {%- endif %}",
                                          "      " + std::string(kThinkWrite) + "\n    {%- endif %}"),
                               "writes one only in the first branch of its conditions"));
  // The tag split across literals, written in every turn.
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{{- '<|im_end|>\\n' }}\n  {%- elif", "{{- '<thi' + 'nk>' }}{{- '<|im_end|>\\n' }}\n  {%- elif"),
                               "writing a think block without Qwen3's condition"));
  // No think block at all (assistant turns written without one), or a second one.
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(std::string(kThinkWrite), "{{- '<|im_start|>' + turn.role + '\\n' + reply }}"),
                               "it writes no think block into assistant turns"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("    {%- if turn.tool_calls %}",
                                          "    {%- if loop.index0 > st.last_query_index and (loop.last or thoughts) %}" +
                                              std::string(kThinkWrite) + "{%- endif %}\n    {%- if turn.tool_calls %}"),
                               "writing a second think block (the first on line 30)"));
  // Something else written in the block's branch.
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(std::string(kThinkWrite), std::string(kThinkWrite) + "{{- '.' }}"),
                               "beside the think block (line 30) in its branch"));
  // The block itself: reasoning not stripped of newlines, content not lstripped; a think tag (or any
  // text) as template data.
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("thoughts.strip('\\n') + '\\n</think>", "thoughts + '\\n</think>"),
                               "writing a think block other than Qwen3's"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("reply.lstrip('\\n') }}", "reply }}"), "writing a think block other than Qwen3's"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{{- '<|im_end|>\\n' }}\n  {%- elif", "<think>{{- '<|im_end|>\\n' }}\n  {%- elif"),
                               "it writes the template text '    <think>' (before line 40)"));
  // The indentation before an expression without `-`: jinja2 writes it (lstrip_blocks strips it
  // only before a statement).
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("    {{- '<|im_start|>user\\n<tool_response>", "    {{ '<|im_start|>user\\n<tool_response>"),
                               "it writes the template text '    '"));
}

// What could change a message's content before it is written, which the Qwen3 renderer does not do:
// a filter (Qwen3.5-VL's `|trim`), a macro, another statement, a method call.
TEST(ChatTemplate, Qwen3MarkedTransformingContentIsRefused) {
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set reply = turn.content %}", "{%- set reply = turn.content|trim %}"),
                               "applying the filter `trim`"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set reply = turn.content %}", "{%- set reply = turn.content | upper %}"),
                               "applying the filter `upper`"));
  EXPECT_TRUE(refused_as_qwen3("{%- macro body(c) %}{{- c }}{%- endmacro %}\n" +
                                   qwen3_with("{%- set reply = turn.content %}", "{%- set reply = body(turn.content) %}"),
                               "(a `macro` statement)"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set reply = turn.content %}", "{%- set reply %}{{ turn.content }} {% endset %}"),
                               "(a block `set` capturing what it writes)"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set thoughts = '' %}", "{%- set thoughts = '' %}{%- if loop.first %}{% continue %}{% endif %}"),
                               "(a `continue` statement)"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set reply = turn.content %}", "{%- set reply = turn.content.strip() %}"),
                               "calling .strip(...)"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set reply = turn.content %}", "{%- set reply = turn.content.upper() %}"),
                               "calling .upper(...)"));
  // A guard raising where the renderer renders (Qwen3.5-VL's when no user query is found).
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- for turn in messages %}", "{%- if st.searching %}{{- raise_exception('no "
                                                                         "query') }}{%- endif %}\n{%- for turn in messages %}"),
                               "calling raise_exception(...)"));
}

// Writes outside the three places Qwen3's template writes from (its top system block, the message
// loop, the generation prompt): jinja2 writes them, the renderer would not (review DA H1).
TEST(ChatTemplate, Qwen3MarkedWritingElsewhereIsRefused) {
  const std::string prompt = "{%- if add_generation_prompt %}";
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(prompt, "{{- 'X' }}\n" + prompt), "writing outside the message loop"));
  EXPECT_TRUE(refused_as_qwen3("{{- 'X' }}\n" + std::string(kQwen3Shaped), "writing outside the message loop"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(prompt, "{%- if messages|length > 1 %}{{- 'X' }}{%- endif %}\n" + prompt),
                               "writing in a top-level block Qwen3's template does not have"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("'<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}",
                                          "'<|im_start|>system\\n' + messages[0].content + '\\n' }}"),
                               "writing in the system block other than Qwen3's"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- if messages[0].role == 'system' %}{{- '<|im_start|>system",
                                          "{%- if messages[0].role == 'user' %}{{- '<|im_start|>system"),
                               "writing in the system block other than Qwen3's"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set st.searching = false %}", "{%- set st.searching = false %}{{- 'X' }}"),
                               "writing in the reverse loop"));
}

// What the message loop's user, system and assistant branches write is read: an edited turn that
// jinja2 writes otherwise is refused, not rendered as Qwen3's (review CT55 M1).
// Undecided conditions in the message loop multiply the ways through it: more than are read is a
// refusal, and an `if` of hundreds of undecided branches is read in bounded time (its ways kept
// unique as they come, not compared all against all).
TEST(ChatTemplate, Qwen3MarkedLoopWithTooManyWaysIsRefused) {
  const std::string user = "{{- '<|im_start|>' + turn.role + '\\n' + reply + '<|im_end|>' + '\\n' }}";
  std::string nine;
  for (int i = 0; i < 9; ++i) nine += "{%- if reply == 'n" + std::to_string(i) + "' %}{{- 'x" + std::to_string(i) + "' }}{%- endif %}";
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(user, nine + user), "with more ways through the message loop than are read here"));
  std::string elifs = "{%- if loop.index0 == 0 %}{{- 'w0' }}";
  for (int i = 1; i < 390; ++i) elifs += "{%- elif loop.index0 == " + std::to_string(i) + " %}{{- 'w" + std::to_string(i) + "' }}";
  elifs += "{%- endif %}";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(user, nine.substr(0, nine.find("{%- if reply == 'n7'")) + elifs + user),
                               "with more ways through the message loop than are read here"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));  // 2.8 s before (50,000 ways compared pairwise), 1 ms after
}

TEST(ChatTemplate, Qwen3MarkedLoopBranchEditsAreRefused) {
  const std::string user = "{{- '<|im_start|>' + turn.role + '\\n' + reply + '<|im_end|>' + '\\n' }}";
  // jinja2 writes "Hello /no_think" for a user message; the Qwen3 renderer would write "Hello".
  EXPECT_TRUE(refused_as_qwen3(
      qwen3_with(user, "{{- '<|im_start|>' + turn.role + '\\n' + reply + ' /no_think<|im_end|>' + '\\n' }}"),
      "(line 18) writing '<|im_start|>user\\n' + content + ' /no_think<|im_end|>\\n' for a user message opening "
      "the conversation, where Qwen3's template writes '<|im_start|>user\\n' + content + '<|im_end|>\\n'"));
  // Without `not loop.first` jinja2 writes a first system message twice (the top block and the loop).
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("(turn.role == \"system\" and not loop.first)", "(turn.role == \"system\")"),
                               "writing '<|im_start|>system\\n' + content + '<|im_end|>\\n' for a system message "
                               "opening the conversation, where Qwen3's template writes nothing (the top system "
                               "block writes it"));
  // Without the system clause jinja2 writes no later system message.
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(" or (turn.role == \"system\" and not loop.first)", ""),
                               "writing nothing for a later system message"));
  // A user branch taken for every message: the first system message written twice, assistant
  // turns written as user ones.
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- if (turn.role == \"user\") or", "{%- if true or"),
                               "for a system message opening the conversation, where"));
  // An assistant turn without a think block, edited; its end tag dropped.
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- else %}\n      {{- '<|im_start|>' + turn.role + '\\n' + reply }}",
                                          "{%- else %}\n      {{- '<|im_start|>' + turn.role + '\\n\\n' + reply }}"),
                               "writing '<|im_start|>assistant\\n\\n' + content + '<|im_end|>\\n' for an assistant"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("    {{- '<|im_end|>\\n' }}\n  {%- elif", "  {%- elif"),
                               "for an assistant message opening the conversation, where Qwen3's template writes "
                               "'<|im_start|>assistant\\n' + content + '<|im_end|>\\n' (or its think block)"));
  // A test choosing the reasoning split otherwise than Qwen3's.
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- if '</think>' in reply %}", "{%- if '</think>x' in reply %}"),
                               "around sets only, testing other than Qwen3's"));
  // The reasoning split otherwise than Qwen3's: the content taken before '</think>', the reasoning
  // set into a variable the think block does not write.
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set reply = reply.split('</think>')[-1]", "{%- set reply = reply.split('</think>')[0]"),
                               "splitting the reasoning off other than Qwen3's `thoughts = reply.split("));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set thoughts = reply.split(", "{%- set thought = reply.split("),
                               "splitting the reasoning off other than Qwen3's"));
  // A write the reading cannot follow, in a branch a user message takes.
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(user, "{{- '<|im_start|>' + turn.role + '\\n' + turn.name + '<|im_end|>\\n' }}"),
                               "writing for a user message opening the conversation what Qwen3's template does not"));
  // A content variable set otherwise before its write: jinja2 writes what the set says, the
  // renderer the message (review WD56 H2: `set reply = ''` rendered "Hello" where jinja2 wrote "").
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(user, "{%- set reply = '' %}" + user),
                               "setting reply for a user message opening the conversation otherwise than Qwen3's "
                               "template (turn.content)"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(user, "{%- set reply = turn.role %}" + user), "setting reply for a user"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set thoughts = '' %}", "{%- set thoughts = '' %}{%- set thoughts = turn.role %}"),
                               "setting thoughts for an assistant message"));
  // The reasoning split in the user branch: jinja2 would cut a user message holding '</think>'.
  EXPECT_TRUE(refused_as_qwen3(
      qwen3_with(user, "{%- if '</think>' in reply %}{%- set thoughts = reply.split('</think>')[0].rstrip('\\n')"
                       ".split('<think>')[-1].lstrip('\\n') %}{%- set reply = reply.split('</think>')[-1]"
                       ".lstrip('\\n') %}{%- endif %}" + user),
      "splitting the reasoning off a user message opening the conversation, where Qwen3's template splits assistant "
      "messages only"));
  // Qwen3's tests of the reasoning field (never sent here) around its sets stay accepted.
  for (const std::string test : {"turn.reasoning_content is string",
                                 "turn.reasoning_content is defined and turn.reasoning_content is not none"})
    EXPECT_EQ(detect(qwen3_with("{%- set thoughts = '' %}", "{%- set thoughts = '' %}{%- if " + test +
                                                                " %}{%- set thoughts = turn.reasoning_content %}{%- endif %}"))
                  .family(),
              ChatFamily::kQwen3)
        << test;
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set thoughts = '' %}", "{%- set thoughts = '' %}{%- if turn.reasoning_content "
                                                                     "is not string %}{%- set thoughts = '' %}{%- endif %}"),
                               "around sets only, testing other than Qwen3's"));
  // The tool branches are not taken by the messages the server sends: edits there stay accepted.
  EXPECT_EQ(detect(qwen3_with("'\\n<tool_call>' + call.name", "'\\n<tool_call>!' + call.name")).family(),
            ChatFamily::kQwen3);
  EXPECT_EQ(detect(qwen3_with("'<|im_start|>user\\n<tool_response>\\n'", "'<|im_start|>user\\n<tool_response>!\\n'")).family(),
            ChatFamily::kQwen3);
  // The preset's layout (the system message written in the loop, no top system block): a
  // conversation opening with a system message is written once, by the loop; a loop skipping it
  // would write it nowhere.
  std::string preset(infertrace::engine::qwen3_chat_template());
  const std::string other = "    {%- else %}\n        {{- '<|im_start|>'";
  ASSERT_NE(preset.find(other), std::string::npos);
  preset.replace(preset.find(other), other.size(), "    {%- elif not loop.first %}\n        {{- '<|im_start|>'");
  EXPECT_TRUE(refused_as_qwen3(preset, "writing nothing for a user message opening the conversation"));
}

// The messages read are the request's, in one forward loop, and the last query is found by Qwen3's
// reverse loop before it (review DA H2).
TEST(ChatTemplate, Qwen3MarkedRebindingMessagesIsRefused) {
  const std::string loop = "{%- for turn in messages %}";
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(loop, "{%- set messages = [] %}\n" + loop), "setting messages"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(loop, loop + "{%- if loop.first %}{%- set turn = messages[0] %}{%- endif %}"),
                               "setting turn"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(loop, "{%- for again in messages %}{%- endfor %}\n" + loop),
                               "looping over messages where Qwen3's template has only one"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- for turn in messages[::-1] %}", "{%- for turn in messages %}"),
                               "looping over messages before the reverse loop"));
  // Another item than the first, unguarded: jinja2 fails past the last message.
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(loop, loop + "{%- if messages[loop.index0 + 1].role == 'x' %}{%- endif %}"),
                               "reading messages[...] other than messages[0]"));
}

// What could compute a message's text, or a think block, unseen by the reading (review DA H3/H5).
TEST(ChatTemplate, Qwen3MarkedHiddenTransformsAreRefused) {
  const std::string other = "{{- '<|im_start|>' + turn.role + '\\n' + reply }}\n      {%- endif %}";
  const auto with_other = [&](std::string_view write) {
    return qwen3_with(other, "{{- '<|im_start|>' + turn.role + '\\n' + " + std::string(write) + " }}\n      {%- endif %}");
  };
  EXPECT_TRUE(refused_as_qwen3(with_other("'<%s>\\n\\n</%s>\\n\\n' % ('think', 'think') + reply"),
                               "using the operator `%`"));
  EXPECT_TRUE(refused_as_qwen3(with_other("reply * 2"), "using the operator `*`"));
  EXPECT_TRUE(refused_as_qwen3(with_other("reply // 1"), "using the operator `//`"));
  EXPECT_TRUE(refused_as_qwen3(with_other("reply[::-1]"), "slicing (or a `:`) other than messages[::-1]"));
  EXPECT_TRUE(refused_as_qwen3(with_other("reply['upper']()"), "reading ['upper']"));
  EXPECT_TRUE(refused_as_qwen3(with_other("(reply)('x')"), "calling what an expression yields"));
  EXPECT_TRUE(refused_as_qwen3(with_other("'ab'[0]"), "subscripting a literal"));
  EXPECT_TRUE(refused_as_qwen3(with_other("reply.upper"), "reading .upper, not a field"));
  // A think tag kept in a variable and written in a branch the reading does not follow.
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set thoughts = '' %}", "{%- set thoughts = '' %}{%- set tb = '<' + 'think>' %}"),
                               "setting a value holding '<think>'"));
}

// The think condition's last query index is the one Qwen3's reverse loop sets, under Qwen3's test;
// which user messages count as tool responses is read from that test (review DA H4).
TEST(ChatTemplate, Qwen3MarkedLastQueryIsReadFromTheReverseLoop) {
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("last_query_index=messages|length - 1", "last_query_index=-1"),
                               "starting last_query_index other than at `messages|length - 1`"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set st.last_query_index = at %}", "{%- set st.last_query_index = 0 %}"),
                               "setting last_query_index other than Qwen3's"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- for turn in messages %}",
                                          "{%- set st.last_query_index = st.last_query_index - 1 %}\n{%- for turn in messages %}"),
                               "setting last_query_index other than Qwen3's"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- if loop.index0 > st.last_query_index %}", "{%- if loop.index0 > other.last_query_index %}"),
                               "testing the last query index of other"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(" and not(turn.content.startswith('<tool_response>') and "
                                          "turn.content.endswith('</tool_response>'))", ""),
                               "finding the last query without all of Qwen3's test"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set st.searching = false %}", ""), "it has no Qwen3 last-query search"));
  // The rule comes from the test, not from text elsewhere (a comment naming startswith).
  const std::string contains = qwen3_with(
      "not(turn.content.startswith('<tool_response>') and turn.content.endswith('</tool_response>'))",
      "not('<tool_response>' in turn.content and '</tool_response>' in turn.content)");
  const std::vector<ChatMessage> conv = {
      {"user", "q"}, {"assistant", "<think>r</think>a"}, {"user", "x <tool_response>t</tool_response>"}};
  // Holding both tags, the last message is a tool response: the query is the first, the reasoning
  // after it kept.
  const std::string kept = "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>\nr\n</think>\n\na<|im_end|>\n"
                           "<|im_start|>user\nx <tool_response>t</tool_response><|im_end|>\n<|im_start|>assistant\n";
  EXPECT_EQ(detect(contains + "{#- startswith('<tool_response>') #}").render(conv, kNoBos), kept);
  EXPECT_EQ(detect(contains).render(conv, kNoBos), kept);
  // Starting and ending with them is asked: the last message is the query, the reasoning dropped.
  EXPECT_EQ(detect(kQwen3Shaped).render(conv, kNoBos),
            "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\na<|im_end|>\n"
            "<|im_start|>user\nx <tool_response>t</tool_response><|im_end|>\n<|im_start|>assistant\n");
}

// In the message loop a variable is set only as Qwen3's are ('' , a field, the split/strip of one),
// and the think block's content is not its reasoning: what else would write other text unseen
// (review DA 07, 08, 09).
TEST(ChatTemplate, Qwen3MarkedLoopSetsAreQwen3s) {
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set thoughts = '' %}", "{%- set thoughts = '' %}{%- set reply = reply + '!' %}"),
                               "setting reply to a value other than Qwen3's"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set thoughts = '' %}", "{%- set thoughts = 'R' %}"),
                               "setting thoughts to a value other than Qwen3's"));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("'\\n</think>\\n\\n' + reply.lstrip('\\n')", "'\\n</think>\\n\\n' + thoughts.lstrip('\\n')"),
                               "writing a think block other than Qwen3's"));
  // A split of a field is a value Qwen3's sets take, but outside the reasoning split's `if` it is
  // not Qwen3's: jinja2 would write the content after 'x' as the reasoning (accepted before review
  // WD56 H2, the loop's ways reading no set).
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set thoughts = '' %}", "{%- set thoughts = turn.content.split('x')[-1].strip('\\n') %}"),
                               "setting thoughts for an assistant message opening the conversation otherwise than "
                               "Qwen3's template ('' or turn.reasoning_content)"));
}

// Review DF H1: the generation prompt above the message loop (or above the reverse loop) is
// written first by jinja2; only after the message loop's end is it Qwen3's.
TEST(ChatTemplate, Qwen3MarkedGenerationPromptBeforeTheMessagesIsRefused) {
  const std::string prompt = "{%- if add_generation_prompt %}\n  {{- '<|im_start|>assistant\\n' }}\n  " +
                             std::string(kPromptTest) + "\n    {{- '<think>\\n\\n</think>\\n\\n' }}\n  {%- endif %}\n{%- endif %}\n";
  std::string moved = qwen3_with(prompt, "");
  for (std::string_view before : {"{%- for turn in messages %}", "{%- for turn in messages[::-1] %}",
                                  "{%- set st = namespace("}) {
    std::string t = moved;
    t.replace(t.find(before), 0, prompt);
    EXPECT_TRUE(refused_as_qwen3(t, "before the end of the message loop")) << before;
  }
  // Moved back after the loop, the same text is read.
  EXPECT_EQ(detect(moved + prompt).family(), ChatFamily::kQwen3);
}

// Review DF H2: the reverse loop holds Qwen3's index set and one test setting the last query and
// clearing the flag; any other set or test there moves them where the renderer does not look.
TEST(ChatTemplate, Qwen3MarkedReverseLoopHoldsOnlyQwen3sStatements) {
  const std::string index = "{%- set at = (messages|length - 1) - loop.index0 %}";
  const std::string_view reason = "in the reverse loop, where Qwen3's template has only";
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(index, index + "{%- set at = 0 %}"), reason));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set st.searching = false %}", "{%- set st.searching = false %}{%- set at = 0 %}"),
                               reason));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set st.searching = false %}", "{%- if true %}{%- set at = at + 1 %}{%- endif %}"
                                                                             "{%- set st.searching = false %}"),
                               reason));
  // The flag cleared in a second test, or the test with another branch.
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("  {%- endif %}\n{%- endfor %}\n{%- for turn in messages %}",
                                          "  {%- endif %}\n  {%- if loop.first %}{%- set st.searching = false %}{%- endif %}\n"
                                          "{%- endfor %}\n{%- for turn in messages %}"),
                               reason));
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("    {%- set st.last_query_index = at %}\n",
                                          "    {%- set st.last_query_index = at %}\n  {%- else %}\n"),
                               "setting last_query_index other than Qwen3's"));
  // The index set after the test, or a loop inside.
  EXPECT_TRUE(refused_as_qwen3(qwen3_with(index, "{%- for x in [1] %}{%- endfor %}" + index), reason));
}

// Review DF M1: the think block writes the reasoning variable (not one taken from the content,
// nor the message itself) and then the content variable (taken from the content).
TEST(ChatTemplate, Qwen3MarkedThinkBlockWritesReasoningThenContent) {
  const std::string_view reason = "writing as reasoning";
  // Swapped: content in the block, reasoning after it.
  std::string swapped = qwen3_with(std::string(kThinkCondition), "{%- if loop.last or (not loop.last and reply) %}");
  swapped.replace(swapped.find("thoughts.strip('\\n')"), 20, "reply.strip('\\n')");
  swapped.replace(swapped.find("reply.lstrip('\\n') }}"), 18, "thoughts.lstrip('\\n')");
  EXPECT_TRUE(refused_as_qwen3(swapped, reason));
  // The reasoning variable taken from the content field.
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("{%- set thoughts = '' %}", "{%- set thoughts = turn.content %}"), reason));
  // The content variable taken from the reasoning field.
  EXPECT_TRUE(refused_as_qwen3(
      qwen3_with("{%- set reply = turn.content %}{%- else %}", "{%- set reply = turn.reasoning_content %}{%- else %}"),
      reason));
  // A reasoning variable the loop never sets.
  std::string unset = qwen3_with(std::string(kThinkCondition), "{%- if loop.last or (not loop.last and other) %}");
  unset.replace(unset.find("thoughts.strip('\\n')"), 20, "other.strip('\\n')");
  EXPECT_TRUE(refused_as_qwen3(unset, reason));
  // The reasoning read from a field into its own variable stays accepted.
  EXPECT_EQ(detect(qwen3_with("{%- set thoughts = '' %}", "{%- set thoughts = turn.reasoning_content %}")).family(),
            ChatFamily::kQwen3);
}

// Review DF v2/62: Qwen3's template writes nothing directly in its message loop, outside the role
// branches; a write there would come before every message.
TEST(ChatTemplate, Qwen3MarkedWriteDirectlyInTheMessageLoopIsRefused) {
  EXPECT_TRUE(refused_as_qwen3(qwen3_with("  {%- if (turn.role == \"user\")", "  {{- 'X' }}\n  {%- if (turn.role == \"user\")"),
                               "writing directly in the message loop"));
}

namespace {

// Zephyr-shaped templates (written here, in the shape of zephyr-7b-beta's and TinyLlama-1.1B-Chat's):
// one branch per role writing `<|ROLE|>\n` + content + eos_token, the generation prompt in the loop
// under `loop.last and add_generation_prompt`. The expected prompts below were checked against
// jinja2 (trim_blocks, lstrip_blocks) rendering the same texts with eos_token "</s>".
// Laid out one tag a line: the newline after each `}}` is written (trim_blocks strips only the one
// after a block tag), so every message and the generation prompt end with "\n".
constexpr std::string_view kZephyrLaidOut =
    "{% for turn in messages %}\n{% if turn['role'] == 'user' %}\n{{ '<|user|>\\n' + turn['content'] + eos_token }}\n"
    "{% elif turn['role'] == 'system' %}\n{{ '<|system|>\\n' + turn['content'] + eos_token }}\n"
    "{% elif turn['role'] == 'assistant' %}\n{{ '<|assistant|>\\n' + turn['content'] + eos_token }}\n{% endif %}\n"
    "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

std::string zephyr_one_line() {
  std::string t(kZephyrLaidOut);
  std::erase(t, '\n');
  return t;
}

ChatRenderOptions eos(std::string text) {
  ChatRenderOptions o;
  o.eos_token = std::move(text);
  return o;
}

const std::vector<ChatMessage> kZephyrTurns = {
    {"system", "Be brief."}, {"user", "hi"}, {"assistant", " a \n"}, {"user", "q"}};

}  // namespace

TEST(ChatTemplate, ZephyrLaidOutWritesTheNewlinesAfterItsExpressions) {
  const ChatTemplate t = detect(kZephyrLaidOut);
  EXPECT_EQ(t.family(), ChatFamily::kZephyr);
  EXPECT_EQ(t.name(), "zephyr");
  EXPECT_FALSE(t.has_enable_thinking());
  EXPECT_EQ(t.render(kZephyrTurns, eos("</s>")),
            "<|system|>\nBe brief.</s>\n<|user|>\nhi</s>\n<|assistant|>\n a \n</s>\n<|user|>\nq</s>\n<|assistant|>\n");
  EXPECT_EQ(t.render({{"assistant", "x"}}, eos("</s>")), "<|assistant|>\nx</s>\n<|assistant|>\n");
  // eos_token is the option's text, written as it is (the server passes its vocabulary's EOS).
  EXPECT_EQ(t.render({{"user", "hi"}}, eos("<|endoftext|>")), "<|user|>\nhi<|endoftext|>\n<|assistant|>\n");
  EXPECT_EQ(t.render({{"user", "hi"}}, kNoBos), "<|user|>\nhi\n<|assistant|>\n");
  EXPECT_THROW(t.render({}, eos("</s>")), std::invalid_argument);
  EXPECT_THROW(t.render({{"tool", "x"}}, eos("</s>")), std::invalid_argument);
}

TEST(ChatTemplate, ZephyrOnOneLineWritesNoNewlines) {
  const ChatTemplate t = detect(zephyr_one_line());
  EXPECT_EQ(t.family(), ChatFamily::kZephyr);
  EXPECT_EQ(t.render(kZephyrTurns, eos("</s>")),
            "<|system|>\nBe brief.</s><|user|>\nhi</s><|assistant|>\n a \n</s><|user|>\nq</s><|assistant|>");
  EXPECT_EQ(t.render({{"assistant", "x"}}, eos("</s>")), "<|assistant|>\nx</s><|assistant|>");
}

// Other spellings of the same parts: the header from the role, a dead `else` raising, an `else`
// taking the role left, the generation prompt after the loop, raw template text, `~`, dashes.
TEST(ChatTemplate, ZephyrVariantsRenderAsJinja2Does) {
  const std::string raw_text =
      "{#- written here -#}\n{%- for m in messages -%}\n  {%- if m.role == 'user' %}\n<|user|>\n{{ m.content ~ eos_token }}\n"
      "  {%- elif m.role == 'system' %}\n<|system|>\n{{ m.content ~ eos_token }}\n"
      "  {%- elif m.role == 'assistant' %}\n<|assistant|>\n{{ m.content ~ eos_token }}\n"
      "  {%- endif %}\n\n{%- endfor %}\n{% if add_generation_prompt %}\n<|assistant|>\n{% endif %}\n";
  EXPECT_EQ(detect(raw_text).render(kZephyrTurns, eos("</s>")),
            "<|system|>\nBe brief.</s><|user|>\nhi</s><|assistant|>\n a \n</s><|user|>\nq</s><|assistant|>\n");
  // Every header written from the role, no <|user|> marker: read whole as Zephyr all the same. A
  // role outside system, user and assistant (which jinja2 would write as '<|tool|>') is refused.
  const ChatTemplate from_role =
      detect("{%- for m in messages -%}{{- '<|' + m.role + '|>\\n' + m.content + eos_token -}}{% endfor -%}"
             "{% if add_generation_prompt %}<|assistant|>\n{% endif %}");
  EXPECT_EQ(from_role.family(), ChatFamily::kZephyr);
  EXPECT_EQ(from_role.render(kZephyrTurns, eos("</s>")),
            "<|system|>\nBe brief.</s><|user|>\nhi</s><|assistant|>\n a \n</s><|user|>\nq</s><|assistant|>\n");
  EXPECT_THROW(from_role.render({{"tool", "x"}}, eos("</s>")), std::invalid_argument);
  EXPECT_EQ(detect("{% for message in messages %}\n{{ \"<|\" ~ message['role'] ~ \"|>\\n\" ~ message['content'] ~ "
                   "eos_token }}\n{% endfor %}\n{% if add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n")
                .render(kZephyrTurns, eos("</s>")),
            "<|system|>\nBe brief.</s>\n<|user|>\nhi</s>\n<|assistant|>\n a \n</s>\n<|user|>\nq</s>\n<|assistant|>\n");
  const std::string else_dead =
      "{% for message in messages %}{% if message.role == 'system' %}{{ '<|system|>\\n' + message.content + eos_token }}"
      "{% elif message.role == 'user' %}{{ '<|user|>\\n' + message.content + eos_token }}"
      "{% elif message.role == 'assistant' %}{{ '<|assistant|>\\n' + message.content + eos_token }}"
      "{% else %}{{ raise_exception('roles are system, user, assistant') }}{% endif %}{% endfor %}"
      "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";
  EXPECT_EQ(detect(else_dead).render(kZephyrTurns, eos("</s>")),
            "<|system|>\nBe brief.</s><|user|>\nhi</s><|assistant|>\n a \n</s><|user|>\nq</s><|assistant|>\n");
  const std::string else_assistant =
      "{% for message in messages %}{% if message.role == 'user' %}{{ '<|user|>\\n' + message.content + eos_token }}\n"
      "{% elif \"system\" == message['role'] %}<|system|>\n{{ message.content ~ eos_token }}\n"
      "{% else %}{{ '<|' + message.role + '|>\\n' + message.content + eos_token }}\n{% endif %}"
      "{% if add_generation_prompt and loop.last %}{{ '<|assistant|>\\n' }}{% endif %}{% endfor %}";
  EXPECT_EQ(detect(else_assistant).render(kZephyrTurns, eos("</s>")),
            "<|system|>\nBe brief.</s>\n<|user|>\nhi</s>\n<|assistant|>\n a \n</s>\n<|user|>\nq</s>\n<|assistant|>\n");
}

// What ChatML's reader passes over at the top level (serve/jinja_prelude.h), the Zephyr reader does
// too: a `set` of a literal to a name the parts do not read, and axolotl's prelude before the loop
// (it never runs: add_generation_prompt is always passed). jinja2 writes the same for them.
TEST(ChatTemplate, ZephyrTakesChatMlsSetAndPrelude) {
  const std::string one_line = zephyr_one_line();
  const std::string want =
      "<|system|>\nBe brief.</s><|user|>\nhi</s><|assistant|>\n a \n</s><|user|>\nq</s><|assistant|>";
  for (const std::string& text :
       {"{% set sep = '\\n' %}\n" + one_line, "{%- set n = 3 -%}\n{% set flag = none %}" + one_line,
        one_line + "{% set after = true %}",
        "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}\n" + one_line,
        "{%- if add_generation_prompt is not defined %}\n  {%- set add_generation_prompt = true %}\n{%- endif %}\n"
        "{# axolotl #}" + one_line}) {
    const ChatTemplate t = detect(text);
    EXPECT_EQ(t.family(), ChatFamily::kZephyr) << text;
    EXPECT_EQ(t.render(kZephyrTurns, eos("</s>")), want) << text;
  }
}

// A template with no system branch: jinja2 writes nothing of a system message (or raises, when the
// branch it takes raises), and so does the server.
TEST(ChatTemplate, ZephyrWithoutASystemBranch) {
  const std::string one_line = zephyr_one_line();
  auto with = [&](std::string_view from, std::string_view to) {
    std::string t = one_line;
    const size_t at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? t : t.replace(at, from.size(), to);
  };
  const std::string system_branch =
      "{% elif turn['role'] == 'system' %}{{ '<|system|>\\n' + turn['content'] + eos_token }}";
  const ChatTemplate none = detect(with(system_branch, ""));
  EXPECT_EQ(none.family(), ChatFamily::kZephyr);
  EXPECT_EQ(none.render(kZephyrTurns, eos("</s>")),
            "<|user|>\nhi</s><|assistant|>\n a \n</s><|user|>\nq</s><|assistant|>");
  EXPECT_EQ(none.render({{"system", "S"}}, eos("</s>")), "<|assistant|>");
  // Laid out: the system message writes nothing, the others the newline after their `}}`.
  std::string laid_out(kZephyrLaidOut);
  const size_t from = laid_out.find("{% elif turn['role'] == 'system' %}");
  laid_out.erase(from, laid_out.find("{% elif turn['role'] == 'assistant' %}") - from);
  EXPECT_EQ(detect(laid_out).render(kZephyrTurns, eos("</s>")),
            "<|user|>\nhi</s>\n<|assistant|>\n a \n</s>\n<|user|>\nq</s>\n<|assistant|>\n");
  // A branch for another role only: the same.
  EXPECT_EQ(detect(with("turn['role'] == 'system'", "turn['role'] == 'developer'")).render(kZephyrTurns, eos("</s>")),
            "<|user|>\nhi</s><|assistant|>\n a \n</s><|user|>\nq</s><|assistant|>");
  // An else raising that a system message reaches: jinja2 renders no conversation holding one.
  for (const std::string& text :
       {std::regex_replace(with(system_branch, ""), std::regex("\\{% endif %\\}\\{% if loop"),
                           "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}"
                           "{% if loop"),
        with("{{ '<|system|>\\n' + turn['content'] + eos_token }}",
             "{# none #}{{ raise_exception(\"no system\") }}")}) {
    const ChatTemplate raises = detect(text);
    EXPECT_EQ(raises.family(), ChatFamily::kZephyr) << text;
    EXPECT_THROW(raises.render(kZephyrTurns, eos("</s>")), std::invalid_argument) << text;
    EXPECT_THROW(raises.render({{"user", "u"}, {"system", "late"}}, eos("</s>")), std::invalid_argument) << text;
    EXPECT_EQ(raises.render({{"user", "hi"}, {"assistant", "b"}}, eos("</s>")),
              "<|user|>\nhi</s><|assistant|>\nb</s><|assistant|>")
        << text;
  }
}

// A `set` of a number or string before Zephyr's or ChatML's template (or a number or string in a
// branch no message reaches) is taken only where jinja2 compiles it: numbers it splits in two
// (review Z2 M1) and escapes Python cannot decode (M2) are refused, naming the token.
TEST(ChatTemplate, LiteralsJinja2CannotLexAreRefused) {
  const std::string one_line = zephyr_one_line();
  const std::string want =
      "<|system|>\nBe brief.</s><|user|>\nhi</s><|assistant|>\n a \n</s><|user|>\nq</s><|assistant|>";
  for (const std::string v : {"0", "10", "1_000", "1.5", "1e5", "1.5e-3", "0x1F", "0b101", "0o17", "'\\n'", "'\\x41'",
                              "'\\u00e9'", "'\\q'"}) {
    const std::string text = "{% set sep = " + v + " %}\n" + one_line;
    const ChatTemplate t = detect(text);
    EXPECT_EQ(t.family(), ChatFamily::kZephyr) << text;
    EXPECT_EQ(t.render(kZephyrTurns, eos("</s>")), want) << text;
    // (ChatML refuses a `set` of a non-empty string: it could be a default system message.)
    if (v[0] != '\'') {
      EXPECT_EQ(detect(std::string(kChatMl) + "{% set after = " + v + " %}").family(), ChatFamily::kChatMl) << v;
    }
  }
  const std::pair<std::string_view, std::string_view> refused[] = {
      {"08", "'08', which jinja2 reads as the number '0' and then '8'"},
      {"1_", "'1_', which jinja2 reads as the number '1' and then '_'"},
      {"1e", "'1e', which jinja2 reads as the number '1' and then 'e'"},
      {"0x", "'0x', which jinja2 reads as the number '0' and then 'x'"},
      {"1a", "'1a', which jinja2 reads as the number '1' and then 'a'"},
      {"'\\x4'", "the escape '\\x4' in a string literal, which jinja2 cannot decode (truncated \\xXX escape)"},
      {"'\\u12'", "the escape '\\u12' in a string literal, which jinja2 cannot decode (truncated \\uXXXX escape)"},
      {"'\\N{NOPE}'", "the escape '\\N' in a string literal"},
      {"'\\U00110000'", "the escape '\\U00110000' in a string literal, which jinja2 cannot decode (no Unicode"}};
  for (const auto& [v, what] : refused) {
    for (const std::string& text : {"{% set sep = " + std::string(v) + " %}\n" + one_line,
                                    std::string(kChatMl) + "{% set after = " + std::string(v) + " %}"}) {
      const std::string why = refusal(text);
      EXPECT_NE(why.find("would not compile in jinja2"), std::string::npos) << text << ": " << why;
      EXPECT_NE(why.find(what), std::string::npos) << text << ": " << why;
    }
  }
  // In a branch no rendered role reaches, too: jinja2 lexes the whole template before rendering.
  const size_t at = one_line.find("{% elif turn['role'] == 'system' %}");
  ASSERT_NE(at, std::string::npos);
  for (std::string_view tool : {"{{ 0x }}", "{{ '\\u12' }}"}) {
    const std::string text = std::string(one_line).insert(at, "{% elif turn['role'] == 'tool' %}" + std::string(tool));
    EXPECT_NE(refusal(text).find("would not compile in jinja2"), std::string::npos) << text;
  }
  for (std::string_view tool : {"{{ 0 }}", "{{ '\\u0012' }}"}) {
    const std::string text = std::string(one_line).insert(at, "{% elif turn['role'] == 'tool' %}" + std::string(tool));
    EXPECT_EQ(detect(text).render(kZephyrTurns, eos("</s>")), want) << text;
  }
}

TEST(ChatTemplate, ZephyrRefusals) {
  const std::string one_line = zephyr_one_line();
  // GLM's templates have <|user|> too.
  EXPECT_NE(refusal("[gMASK]<sop>" + one_line).find("'glm'"), std::string::npos);
  EXPECT_NE(refusal(one_line + "{# <|endoftext|> #}").find("'glmedge'"), std::string::npos);
  EXPECT_NE(refusal("{{ bos_token }}" + one_line).find("Zephyr that writes bos_token"), std::string::npos);
  auto refused_as_zephyr = [](const std::string& text, std::string_view what) {
    const std::string why = refusal(text);
    EXPECT_NE(why.find("is Zephyr, but"), std::string::npos) << why;
    EXPECT_NE(why.find(what), std::string::npos) << why;
  };
  auto with = [&](std::string_view from, std::string_view to) {
    std::string t = one_line;
    const size_t at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? t : t.replace(at, from.size(), to);
  };
  // A system message written otherwise than as Zephyr's or not at all.
  refused_as_zephyr(with("'<|system|>\\n' + turn['content']", "turn['content']"),
                    "writes a system message as content + eos_token, not as '<|system|>\\n' + content + eos_token (or "
                    "nothing)");
  // A user message no branch writes: jinja2 drops it, the server does not render that.
  refused_as_zephyr(with("{% if turn['role'] == 'user' %}", "{% if turn['role'] == 'developer' %}"),
                    "writes a user message as nothing, not as");
  // A system message reaching a raise with more than a literal message, or other roles raising.
  refused_as_zephyr(with("{{ '<|system|>\\n' + turn['content'] + eos_token }}",
                         "{{ raise_exception('no ' + turn['role']) }}"),
                    "{{ raise_exception('no ' + turn['role']) }} (line 1) where");
  refused_as_zephyr(with("{{ '<|assistant|>\\n' + turn['content'] + eos_token }}", "{{ raise_exception('no') }}"),
                    "raising (raise_exception) for an assistant message");
  refused_as_zephyr(with("turn['content'] + eos_token }}{% elif turn['role'] == 'system'",
                         "turn['content'] | trim + eos_token }}{% elif turn['role'] == 'system'"),
                    "{{ '<|user|>\\n' + turn['content'] | trim + eos_token }} (line 1) where");
  refused_as_zephyr(with("+ eos_token }}{% elif turn['role'] == 'system'", "+ '\\n' }}{% elif turn['role'] == 'system'"),
                    "writes a user message as '<|user|>\\n' + content + '\\n', not as");
  refused_as_zephyr(with("{{ '<|assistant|>' }}", "{{ '<|assistant|>' }}X"), "its generation prompt is '<|assistant|>X'");
  refused_as_zephyr(with("{% endif %}{% endfor %}", "{% endif %} {% endfor %}"),
                    "followed by text written after the generation prompt in the loop");
  refused_as_zephyr(one_line + "X", "writes the text 'X'");
  // A `set` of what the parts read, or of another value than a literal (which could raise).
  refused_as_zephyr(with("{% for turn in messages %}", "{% set eos_token = '<e>' %}{% for turn in messages %}"),
                    "{% set eos_token = '<e>' %}");
  refused_as_zephyr(with("{% for turn in messages %}", "{% set n = messages|length %}{% for turn in messages %}"),
                    "{% set n = messages|length %}");
  // axolotl's prelude only before the loop, and only setting add_generation_prompt.
  refused_as_zephyr(one_line + "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}"
                               "{% endif %}",
                    "outside the parts");
  refused_as_zephyr("{% if not add_generation_prompt is defined %}X{% endif %}" + one_line, "writing text");
  refused_as_zephyr("{% if add_generation_prompt is not defined %}{% set add_generation_prompt = 1 %}{% endif %}" +
                        one_line,
                    "doing other than `set add_generation_prompt = true`");
  refused_as_zephyr(with("{% if loop.last and add_generation_prompt %}", "{% if loop.first %}{% endif %}"
                                                                         "{% if loop.last and add_generation_prompt %}"),
                    "inside the message loop");
  refused_as_zephyr(with("{% if loop.last and add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}", ""),
                    "writes no generation prompt");
  // An else a rendered role reaches, raising: the server would render what jinja2 refuses.
  refused_as_zephyr(with("{% elif turn['role'] == 'assistant' %}{{ '<|assistant|>\\n' + turn['content'] + eos_token }}",
                         "{% else %}{{ raise_exception('no') }}"),
                    "raise_exception");
  refused_as_zephyr(with("{% if turn['role'] == 'user' %}", "{% if turn['role'] == 'user' and loop.first %}"),
                    "inside the message loop");
  refused_as_zephyr(with("{% elif turn['role'] == 'system' %}", "{% elif turn['role'] == 'system' or loop.first %}"),
                    "testing other than the message's role");
  // jinja2 would not compile it.
  EXPECT_NE(refusal(with("{% endfor %}", "")).find("would not compile"), std::string::npos);
  // Headers from the role, and something else than Zephyr's shape: refused saying what.
  const std::string from_role =
      "{% for m in messages %}{{ '<|' + m.role + '|>\\n' + m.content + eos_token }}{% endfor %}"
      "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}";
  auto refused_from_role = [](const std::string& text, std::string_view what) {
    const std::string why = refusal(text);
    EXPECT_NE(why.find("writes '<|' + role + '|>' headers as Zephyr does, but"), std::string::npos) << why;
    EXPECT_NE(why.find(what), std::string::npos) << why;
  };
  refused_from_role(std::regex_replace(from_role, std::regex("\\|>\\\\n"), "|>"),
                    "writes a system message as '<|system|>' + content + eos_token, not as");
  refused_from_role(std::regex_replace(from_role, std::regex("m\\.content"), "m.content|trim"), "|trim");
  refused_from_role(std::regex_replace(from_role, std::regex("'<\\|assistant\\|>' "), "'<|bot|>' "),
                    "its generation prompt is '<|bot|>'");
  EXPECT_NE(refusal("{{ bos_token }}" + from_role).find("'<|' + role + '|>' headers and bos_token"), std::string::npos);
}

// Review Z2 L2: a loop variable named raise_exception hides the function in the loop: jinja2 calls
// the message there (and fails), so the call is refused naming that, not read as a raise.
TEST(ChatTemplate, ZephyrLoopVariableRaiseExceptionHidesTheFunction) {
  const std::string shadowed = std::regex_replace(zephyr_one_line(), std::regex("turn"), "raise_exception");
  // Without a call the template is Zephyr's: raise_exception['role'] is the message's role.
  EXPECT_EQ(detect(shadowed).render(kZephyrTurns, eos("</s>")),
            "<|system|>\nBe brief.</s><|user|>\nhi</s><|assistant|>\n a \n</s><|user|>\nq</s><|assistant|>");
  const std::string text = std::regex_replace(
      shadowed, std::regex("\\{\\{ '<\\|system\\|>\\\\n' \\+ raise_exception\\['content'\\] \\+ eos_token \\}\\}"),
      "{{ raise_exception('x') }}");
  ASSERT_NE(text, shadowed);
  const std::string why = refusal(text);
  EXPECT_NE(why.find("{{ raise_exception('x') }} (line 1) calling raise_exception(...), which the loop variable "
                     "`raise_exception` hides"),
            std::string::npos)
      << why;
  EXPECT_EQ(why.find("raises for a system message"), std::string::npos) << why;
}

// Review Z2 L3: a raise in the system branch that is not the branch's one tag is named, with what
// is written before it, not refused as an expression this server cannot render.
TEST(ChatTemplate, ZephyrRaiseAfterTextOrTwiceIsNamed) {
  const std::string one_line = zephyr_one_line();
  const std::string system = "{{ '<|system|>\\n' + turn['content'] + eos_token }}";
  auto with = [&](std::string_view to) {
    std::string t = one_line;
    return t.replace(t.find(system), system.size(), to);
  };
  const std::pair<std::string, std::string> cases[] = {
      {"{{ 'S' }}{{ raise_exception('no') }}",
       "it has {{ raise_exception('no') }} (line 1) raising (raise_exception) for a system message after writing 'S', "
       "where this server takes one raise_exception('...') alone in the branch"},
      {"P{{ 'S' + turn['role'] }}{# c #}{{ raise_exception('no') }}",
       "raising (raise_exception) for a system message after writing 'PSsystem', where"},
      {"{{ raise_exception('a') }}{{ raise_exception('b') }}",
       "it has {{ raise_exception('b') }} (line 1) raising (raise_exception) a second time for a system message"},
      {"{{ raise_exception('a') }}{{ 'S' }}",
       "it has {{ 'S' }} (line 1) after raise_exception('...') for a system message"}};
  for (const auto& [branch, what] : cases) {
    const std::string why = refusal(with(branch));
    EXPECT_NE(why.find("is Zephyr, but"), std::string::npos) << branch << ": " << why;
    EXPECT_NE(why.find(what), std::string::npos) << branch << ": " << why;
    EXPECT_EQ(why.find("where this server renders only"), std::string::npos) << branch << ": " << why;
  }
  // An assistant message reaching a raise after text: named for the assistant message.
  const std::string assistant = "{{ '<|assistant|>\\n' + turn['content'] + eos_token }}";
  std::string text = one_line;
  text.replace(text.find(assistant), assistant.size(), "{{ 'A' }}{{ raise_exception('no') }}");
  EXPECT_NE(refusal(text).find("raising (raise_exception) for an assistant message after writing 'A'"), std::string::npos)
      << refusal(text);
  // Template data before the one raise is taken, as before (jinja2 writes nothing when it raises).
  const ChatTemplate data_first = detect(with("TEXT{{ raise_exception('no') }}"));
  EXPECT_EQ(data_first.family(), ChatFamily::kZephyr);
  EXPECT_THROW(data_first.render(kZephyrTurns, eos("</s>")), std::invalid_argument);
}

// Review Z2 L4: a refusal quoting a template string shows its control characters escaped, as \n is.
TEST(ChatTemplate, RefusalsQuoteControlCharactersEscaped) {
  const std::string one_line = zephyr_one_line();
  const std::string system = "{{ '<|system|>\\n' + turn['content'] + eos_token }}";
  std::string text = one_line;
  text.replace(text.find(system), system.size(), "{{ '\\r\\t\x01\x7f' + '\\n' }}");
  const std::string why = refusal(text);
  EXPECT_NE(why.find("writes a system message as '\\r\\t\\x01\\x7f\\n', not as"), std::string::npos) << why;
  for (char c : why) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f) << why;
  EXPECT_EQ(jinja_quote("a\rb\tc\x1f" "d\ne"), "a\\rb\\tc\\x1fd\\ne");
}

namespace {

// Review CT M1: a Llama 3.1-shaped template of our own, one line, and edits of it. Every expected
// prompt below was rendered by jinja2 3.1.6 (trim_blocks, lstrip_blocks, bos_token "<B>") from the
// same text and written out here.
const std::string kL31 =
    "{{- bos_token }}{%- if not date_string is defined %}{%- set date_string = \"26 Jul 2024\" %}{%- endif %}{%- if "
    "messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content'] | trim %}{%- set messages = "
    "messages[1:] %}{%- else %}{%- set system_message = \"\" %}{%- endif %}{{- "
    "'<|start_header_id|>system<|end_header_id|>\\n\\nCutting Knowledge Date: December 2023\\nToday Date: ' + "
    "date_string + '\\n\\n' + system_message + '<|eot_id|>' }}{%- for message in messages %}{{- '<|start_header_id|>' "
    "+ message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{%- endfor %}{%- if "
    "add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";

std::string edit(std::string text, std::string_view from, std::string_view to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

const std::vector<ChatMessage> kFour = {{"system", " s "}, {"user", " hi "}, {"assistant", "yo "}, {"user", "again"}};
const std::vector<ChatMessage> kHi = {{"user", " hi"}};

ChatRenderOptions bos_b() {
  ChatRenderOptions o;
  o.bos = "<B>";
  o.today = "01 Dec 2026";
  return o;
}

}  // namespace

TEST(ChatTemplate, Llama3VariantsRenderTheirOwnLiterals) {
  const std::string sys = "<B><|start_header_id|>system<|end_header_id|>\n\n";
  // The cut-off date is the template's.
  const ChatTemplate march = detect(edit(kL31, "December 2023", "March 2024"));
  EXPECT_EQ(march.render(kHi, bos_b()), sys + "Cutting Knowledge Date: March 2024\nToday Date: 26 Jul 2024\n\n"
                                              "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
                                              "<|start_header_id|>assistant<|end_header_id|>\n\n");
  // A default system message, written when the conversation opens with none.
  const ChatTemplate def = detect(edit(kL31, "set system_message = \"\"", "set system_message = \"You are a helpful assistant.\""));
  EXPECT_EQ(def.name(), "llama3.1+ (system header dated 26 Jul 2024, default system message)");
  EXPECT_EQ(def.render(kHi, bos_b()), sys + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
                                            "You are a helpful assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>"
                                            "\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(def.render(kFour, bos_b()),
            sys + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\ns<|eot_id|><|start_header_id|>user"
                  "<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nyo<|eot_id|>"
                  "<|start_header_id|>user<|end_header_id|>\n\nagain<|eot_id|><|start_header_id|>assistant"
                  "<|end_header_id|>\n\n");
  // <|eom_id|> closing each message.
  EXPECT_EQ(detect(edit(kL31, "| trim + '<|eot_id|>'", "| trim + '<|eom_id|>'")).render(kFour, bos_b()),
            sys + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\ns<|eot_id|><|start_header_id|>user"
                  "<|end_header_id|>\n\nhi<|eom_id|><|start_header_id|>assistant<|end_header_id|>\n\nyo<|eom_id|>"
                  "<|start_header_id|>user<|end_header_id|>\n\nagain<|eom_id|><|start_header_id|>assistant"
                  "<|end_header_id|>\n\n");
  // One newline after a message's header.
  EXPECT_EQ(detect(edit(kL31, "'<|end_header_id|>\\n\\n' + message", "'<|end_header_id|>\\n' + message")).render(kFour, bos_b()),
            sys + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\ns<|eot_id|><|start_header_id|>user"
                  "<|end_header_id|>\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\nyo<|eot_id|>"
                  "<|start_header_id|>user<|end_header_id|>\nagain<|eot_id|><|start_header_id|>assistant"
                  "<|end_header_id|>\n\n");
  // Content written untrimmed (the system message is still trimmed by its own set).
  EXPECT_EQ(detect(edit(kL31, "message['content'] | trim + '<|eot_id|>'", "message['content'] + '<|eot_id|>'"))
                .render(kFour, bos_b()),
            sys + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\ns<|eot_id|><|start_header_id|>user"
                  "<|end_header_id|>\n\n hi <|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nyo <|eot_id|>"
                  "<|start_header_id|>user<|end_header_id|>\n\nagain<|eot_id|><|start_header_id|>assistant"
                  "<|end_header_id|>\n\n");
  // Meta's 3.2 date block: strftime_now inside `if not date_string is defined`: today's date.
  const ChatTemplate today = detect(edit(kL31, "{%- set date_string = \"26 Jul 2024\" %}",
                                         "{%- if strftime_now is defined %}{%- set date_string = strftime_now(\"%d %b "
                                         "%Y\") %}{%- else %}{%- set date_string = \"26 Jul 2024\" %}{%- endif %}"));
  EXPECT_EQ(today.render(kHi, bos_b()), sys + "Cutting Knowledge Date: December 2023\nToday Date: 01 Dec 2026\n\n"
                                              "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
                                              "<|start_header_id|>assistant<|end_header_id|>\n\n");
  // Meta's 3.0 spelling (loop_messages, the content built in a set, bos_token on the first).
  const std::string meta30 =
      "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + "
      "message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 "
      "%}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ "
      "'<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
  const ChatTemplate m30 = detect(meta30);
  EXPECT_EQ(m30.family(), ChatFamily::kLlama3);
  EXPECT_EQ(m30.render(kFour, bos_b()),
            "<B><|start_header_id|>system<|end_header_id|>\n\ns<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
            "hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nyo<|eot_id|><|start_header_id|>user"
            "<|end_header_id|>\n\nagain<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplate, Llama3VariantsNotRenderedAreRefused) {
  // No generation prompt block.
  EXPECT_NE(refusal(kL31.substr(0, kL31.find("{%- if add_generation_prompt"))).find("add_generation_prompt"),
            std::string::npos);
  // A filter on the role.
  EXPECT_NE(refusal(edit(kL31, "+ message['role'] +", "+ message['role'] | upper +")).find("upper"), std::string::npos);
  // A loop skipping system messages.
  EXPECT_NE(refusal(edit(edit(kL31, "{%- for message in messages %}",
                              "{%- for message in messages %}{%- if message['role'] != 'system' %}"),
                         "{%- endfor %}", "{%- endif %}{%- endfor %}"))
                .find("!= 'system'"),
            std::string::npos);
  // Assistant content written untrimmed in a branch of its own, user content trimmed.
  const std::string loop_body =
      "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + "
      "'<|eot_id|>' }}";
  EXPECT_NE(refusal(edit(kL31, loop_body,
                         "{%- if message['role'] == 'assistant' %}{{- '<|start_header_id|>assistant<|end_header_id|>"
                         "\\n\\n' + message['content'] + '<|eot_id|>' }}{%- else %}" +
                             loop_body + "{%- endif %}"))
                .find("== 'assistant'"),
            std::string::npos);
  // Llama 3.0's shape with a default system turn in front.
  EXPECT_NE(refusal(edit(std::string(kLlama30), "{%- for message",
                         "{%- if messages[0]['role'] != 'system' %}{{- '<|start_header_id|>system<|end_header_id|>"
                         "\\n\\nYou are helpful.<|eot_id|>' }}{%- endif %}{%- for message"))
                .find("Llama 3"),
            std::string::npos);
  // A date block without the system message's (the default would be unknown).
  EXPECT_NE(refusal(edit(kL31, "{%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content'] | trim %}{%- set messages = messages[1:] %}{%- else %}{%- set system_message = \"\" %}{%- endif %}", ""))
                .find("system message"),
            std::string::npos);
}
