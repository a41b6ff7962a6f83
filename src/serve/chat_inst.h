// The "[INST]" chat family (Llama-2-chat and Mistral-Instruct GGUFs, architecture llama): which of
// its variants a template is, and the prompt that variant renders (docs/serve.md "Chat").
// The variants differ in where BOS, spaces and the system message go and in what they refuse, so
// a template is taken for a variant only when its live code (jinja_code, less the tool branches
// that cannot run here) is that variant's code tag for tag, in the same order and nesting, but
// for the messages its raise_exception calls give; any other [INST] template is refused. The
// variants' code is known here only by its length and 64-bit FNV-1a hash (no published template's
// text is in the repository): equal code is found by equal length and hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/fnv1a.h"

namespace infertrace::serve {

struct ChatMessage;
struct ChatRenderOptions;

// The templates each was checked against are named in docs/serve.md.
enum class InstVariant {
  kLlama2,           // Llama-2-chat: BOS before every [INST], <<SYS>> block in the first, contents stripped
  kMistralV01,       // Mistral-7B-Instruct-v0.1: no system role, "</s> " after an answer
  kMistralV01Eos,    // the same with "</s>" alone (Mixtral-8x7B-Instruct-v0.1's first template)
  kMistralV1,        // " [INST] ": the system message in the first user turn (Mixtral-8x7B-Instruct-v0.1 later)
  kMistralV3,        // "[INST] ...[/INST]": the system message in the last message when it is a user turn
  kMistralV3Tools,   // " [INST] ... [/INST]", system messages not written, tool branches (Mistral-7B-v0.3)
  kMistralV3Tekken,  // "[INST]...[/INST]" as v3, tool branches (Mistral-Nemo-Instruct-2407)
  kMistralV7,        // [SYSTEM_PROMPT] blocks where the system messages are (Mistral-Large-2411)
  kMistralV7Tekken,  // the same without spaces (Mistral-Small-24B-2501)
  kMistralV3Trim,    // as v3 with the answer trimmed, alternation by ns.index, tool branches (Mistral-7B-v0.3's later)
};

// The template's code as detect_inst compares it: in {{ }} and {% %} tags, white space outside
// string literals and whitespace-control dashes dropped, every string literal written with double
// quotes and its escapes normalised; comments dropped. `outputs` counts the {{ }} tags;
// `writes_raw_text` is set when text outside the tags survives Jinja's whitespace handling (with
// Hugging Face's trim_blocks and lstrip_blocks).
struct JinjaCode {
  std::string code;
  int outputs = 0;
  bool writes_raw_text = false;
};
JinjaCode jinja_code(std::string_view template_text);

// `code` without the branches of if-chains whose condition is one of `dead` (conditions false for
// every conversation this server renders: its requests carry no tools, no tool calls and no tool
// role). An if whose every branch is dead leaves its else part, unconditional.
// *dropped_tools_test (when given) is set when a dropped condition tests `tools is not none`:
// that one holds for a request with "tools": [], so its branch would have written something.
std::string without_dead_branches(const std::string& code, const std::vector<std::string_view>& dead,
                                  bool* dropped_tools_test = nullptr);

struct InstMatch {
  InstVariant variant;
  // A branch on `tools is not none` was taken for dead: "tools": [] would run it (an empty tool
  // list written, jinja2 rendering [AVAILABLE_TOOLS][] in Mistral-Nemo's), so such a request is
  // refused rather than rendered without it.
  bool tests_tools_not_none = false;
};

// The key the variants' code is stored under: fnv1a64 (util/fnv1a.h).

// What detect_inst looks at in a template: `code` is jinja_code's without the tool branches that
// cannot run here (without_dead_branches) and with each raise_exception's message left out (a
// single string literal for argument: it raises whatever it says).
struct InstCode {
  std::string code;
  bool writes_raw_text = false;       // from jinja_code: never a variant
  bool tests_tools_not_none = false;  // as InstMatch
  bool has_tools = false;             // for the refusal's reason: `tools` anywhere in the code
  bool has_own_system_message = false;  // a `set system_message = "..."` or a default_system_message
};
InstCode inst_code(std::string_view template_text);

// A variant's code, as stored: inst_code(...).code's length and fnv1a64.
struct InstShape {
  InstVariant variant;
  size_t length;
  uint64_t hash;
};
// The shape inst_code gives `template_text`, taken for variant v (tests build their tables so).
InstShape inst_shape(InstVariant v, std::string_view template_text);

// The table detect_inst(text, why) looks templates up in: the published templates' shapes (named
// in chat_inst.cpp and docs/serve.md), or a ScopedInstShapes' table while one lives.
const std::vector<InstShape>& inst_shapes();

// The variant of a template holding "[INST]", or nullopt with *why set (the variants of `shapes`
// named, and why the template is none of them where that is plain: text outside its tags, tool
// handling, a system message of its own).
std::optional<InstMatch> detect_inst(std::string_view template_text, std::string* why,
                                     const std::vector<InstShape>& shapes);
std::optional<InstMatch> detect_inst(std::string_view template_text, std::string* why);  // inst_shapes()

// Tests only: while one lives, inst_shapes() (and so ChatTemplate::detect) is `shapes`, so that
// templates written in a test's own words stand for the variants. One thread; nests.
class ScopedInstShapes {
 public:
  explicit ScopedInstShapes(std::vector<InstShape> shapes);
  ~ScopedInstShapes();
  ScopedInstShapes(const ScopedInstShapes&) = delete;
  ScopedInstShapes& operator=(const ScopedInstShapes&) = delete;

 private:
  std::vector<InstShape> shapes_;
  const std::vector<InstShape>* previous_;
};

std::string inst_variant_name(InstVariant v);

// What the variant's templates render for `messages` (they write no generation prompt: a prompt
// ending with a user turn ends with its [/INST]). Throws std::invalid_argument where they raise an
// exception (roles that do not alternate, a system message they do not take).
std::string render_inst(InstVariant v, const std::vector<ChatMessage>& messages, const ChatRenderOptions& o);

}  // namespace infertrace::serve
