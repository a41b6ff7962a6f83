#include "serve/chat_inst.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "serve/chat_template.h"

namespace infertrace::serve {
namespace {

bool has(std::string_view text, std::string_view s) { return text.find(s) != std::string_view::npos; }

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

// A Jinja string literal starting at t[i] (a quote), decoded; i ends past its closing quote.
// Escapes as Python's: \n \t \r \\ \' \" decoded, any other kept as written.
std::string read_literal(std::string_view t, size_t& i) {
  const char quote = t[i++];
  std::string out;
  while (i < t.size() && t[i] != quote) {
    if (t[i] == '\\' && i + 1 < t.size()) {
      const char e = t[i + 1];
      if (e == 'n') out += '\n';
      else if (e == 't') out += '\t';
      else if (e == 'r') out += '\r';
      else if (e == '\\' || e == '\'' || e == '"') out += e;
      else out += t.substr(i, 2);
      i += 2;
    } else {
      out += t[i++];
    }
  }
  ++i;  // the closing quote (past the end when there is none: the template is malformed anyway)
  return out;
}

void write_literal(const std::string& s, std::string& code) {
  code += '"';
  for (char c : s) {
    if (c == '\n') code += "\\n";
    else if (c == '\t') code += "\\t";
    else if (c == '\r') code += "\\r";
    else if (c == '\\') code += "\\\\";
    else if (c == '"') code += "\\\"";
    else code += c;
  }
  code += '"';
}

// The tags of jinja_code()'s code, in order (string literals may hold "}}" or "%}").
std::vector<std::string> split_tags(const std::string& code) {
  std::vector<std::string> tags;
  size_t i = 0;
  while (i + 1 < code.size()) {
    const std::string_view closer = code[i + 1] == '{' ? "}}" : "%}";
    size_t j = i + 2;
    bool quoted = false;
    while (j < code.size() && (quoted || code.compare(j, 2, closer) != 0)) {
      if (code[j] == '\\' && quoted) ++j;
      else if (code[j] == '"') quoted = !quoted;
      ++j;
    }
    j = std::min(code.size(), j + 2);
    tags.push_back(code.substr(i, j - i));
    i = j;
  }
  return tags;
}

bool starts(const std::string& s, std::string_view prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// Whether a dropped condition tests `tools is not none`: true for a request with "tools": [], so
// its branch would write (an empty tool list) where the variant's rendering writes nothing.
bool tests_tools_not_none(const std::string& condition) { return has(condition, "toolsisnotnone"); }

// Appends tags[i...] to out, if-chains without their dead branches, up to the tag that ends the
// enclosing block (elif, else, endif, endfor), whose index it returns.
size_t emit_block(const std::vector<std::string>& tags, size_t i, std::string& out,
                  const std::vector<std::string_view>& dead, bool& dropped_tools_test) {
  while (i < tags.size()) {
    const std::string& t = tags[i];
    if (starts(t, "{%elif") || t == "{%else%}" || t == "{%endif%}" || t == "{%endfor%}") return i;
    if (starts(t, "{%if")) {
      std::vector<std::pair<std::string, std::string>> branches;  // condition, body
      std::string else_body;
      bool has_else = false;
      std::string body;
      i = emit_block(tags, i + 1, body, dead, dropped_tools_test);
      branches.emplace_back(t.substr(4, t.size() - 6), body);
      while (i < tags.size()) {
        const std::string& u = tags[i];
        if (starts(u, "{%elif")) {
          std::string b;
          const size_t next = emit_block(tags, i + 1, b, dead, dropped_tools_test);
          branches.emplace_back(u.substr(6, u.size() - 8), b);
          i = next;
        } else if (u == "{%else%}" && !has_else) {
          has_else = true;
          i = emit_block(tags, i + 1, else_body, dead, dropped_tools_test);
        } else {
          if (u == "{%endif%}") ++i;
          break;
        }
      }
      std::erase_if(branches, [&](const auto& b) {
        if (std::find(dead.begin(), dead.end(), b.first) == dead.end()) return false;
        dropped_tools_test = dropped_tools_test || tests_tools_not_none(b.first);
        return true;
      });
      if (branches.empty()) {
        if (has_else) out += else_body;
        continue;
      }
      for (size_t k = 0; k < branches.size(); ++k)
        out += (k == 0 ? "{%if" : "{%elif") + branches[k].first + "%}" + branches[k].second;
      if (has_else) out += "{%else%}" + else_body;
      out += "{%endif%}";
      continue;
    }
    out += t;
    ++i;
    if (starts(t, "{%for")) {
      i = emit_block(tags, i, out, dead, dropped_tools_test);
      if (i < tags.size() && tags[i] == "{%endfor%}") out += tags[i++];
    }
  }
  return i;
}

// Conditions false for every conversation rendered here: no tools (a request with tools is
// refused; `tools: []` too for templates that test `tools is not none`, see InstMatch), no
// message with tool calls, no tool role.
const std::vector<std::string_view> kNoTools = {
    "toolsand(message==user_messages[-1])",
    "toolsisnotnoneand(message==user_messages[-1])",
    "message.tool_callsisdefinedandmessage.tool_calls|length>0",
    "message.tool_callsisdefinedandmessage.tool_callsisnotnone",  // Mistral-7B-Instruct-v0.3's later (review CT55 L1)
    "message[\"role\"]==\"tool_calls\"ormessage.tool_callsisdefined",
    "message[\"role\"]==\"tool\"",
    "message[\"role\"]==\"tool_results\"ormessage[\"role\"]==\"tool\"",
};

// `{{raise_exception("...")}}` with one string literal for its argument: it raises whatever the
// message says, so the message is not compared. Any other argument (an expression that might not
// be evaluated, as in `raise_exception(x) if c`) keeps the tag as it is, and unequal to every
// variant's.
bool raises_with_message(const std::string& tag) {
  constexpr std::string_view open = "{{raise_exception(", close = ")}}";
  if (!starts(tag, open) || tag.size() < open.size() + close.size() || tag[open.size()] != '"') return false;
  size_t i = open.size();
  read_literal(tag, i);
  return i + close.size() == tag.size() && tag.compare(i, close.size(), close) == 0;
}

// The live code with every raise's message left out: what a variant's code must equal.
std::string skeleton(const std::string& live) {
  std::string out;
  for (const std::string& t : split_tags(live)) out += raises_with_message(t) ? "{{raise_exception()}}" : t;
  return out;
}

// Each variant's code as skeleton() gives it for the published templates named (those docs/serve.md
// "Chat" lists), kept only as its length and FNV-1a hash: the repository holds no copy of those
// templates. Computed once, outside the repository, and checked there by detecting each of those
// templates and comparing its renderings with jinja2's (docs/serve.md). The whole code is compared, so the
// branches must be where the variant has them (a user branch that writes the assistant's text is
// another template) and nothing else is evaluated or written.
const std::vector<InstShape>& published_shapes() {
  static const std::vector<InstShape> all = {
      // Llama-2-chat (ollama's llama2:7b)
      {InstVariant::kLlama2, 637, 0x5e6f2f2fc2d225a4},
      // Mistral-7B-Instruct-v0.1 (TheBloke's GPTQ), ollama's mistral:7b-instruct
      {InstVariant::kMistralV01, 310, 0xe64513866ebfa24f},
      // Mixtral-8x7B-Instruct-v0.1's first template, ollama's llava:7b
      {InstVariant::kMistralV01Eos, 306, 0x2fca8738ee887a28},
      // Mixtral-8x7B-Instruct-v0.1's later template (ollama's mixtral:8x7b)
      {InstVariant::kMistralV1, 599, 0xf17a3e30aadb70da},
      // ollama's mixtral:8x22b
      {InstVariant::kMistralV3, 594, 0xa287e510c0671110},
      // Mistral-7B-Instruct-v0.3's template with tool branches
      {InstVariant::kMistralV3Tools, 311, 0xe10022041799b640},
      // Mistral-Nemo-Instruct-2407's
      {InstVariant::kMistralV3Tekken, 868, 0xddbbe58e4f39ae7e},
      // ollama's mistral-large:123b
      {InstVariant::kMistralV7, 321, 0xcb3ced34c02c4e0b},
      // ollama's mistral-small:24b
      {InstVariant::kMistralV7Tekken, 315, 0x6b4ae508a42be9b0},
      // Mistral-7B-Instruct-v0.3's later template (ns.index alternation, `|trim` answers; review
      // CT55 L1), as public copies of it read (tests/serve_chat_inst_test.cpp cites them)
      {InstVariant::kMistralV3Trim, 954, 0xb86495d97bf32236},
  };
  return all;
}

// A ScopedInstShapes' table while one lives (tests only), else null.
const std::vector<InstShape>* g_test_shapes = nullptr;

// `system_allowed`: whether the template takes an optional first system message; Mistral v0.1/v0.2
// take none, and their errors must not say otherwise (review CT55 M2).
void alternate(const ChatMessage& m, size_t i, bool system_allowed = true) {
  if ((m.role == "user") != (i % 2 == 0))
    throw std::invalid_argument(system_allowed
                                    ? "after the optional system message, roles must alternate user/assistant/user/..."
                                    : "this template takes no system message; roles must alternate "
                                      "user/assistant/user/...");
}

[[noreturn]] void only_user_and_assistant(bool system_allowed = true) {
  throw std::invalid_argument(system_allowed ? "this template takes only user and assistant messages after an optional "
                                               "first system message"
                                             : "this template takes only user and assistant messages (no system message)");
}

std::string render_llama2(const std::vector<ChatMessage>& m, const ChatRenderOptions& o) {
  const bool has_system = m[0].role == "system";
  std::string out;
  bool first_piece = true;  // its BOS is options.bos (empty when the tokenizer adds BOS); later ones written
  for (size_t i = has_system ? 1 : 0, k = 0; i < m.size(); ++i, ++k) {
    alternate(m[i], k);
    const std::string content = k == 0 && has_system
                                    ? "<<SYS>>\n" + m[0].content + "\n<</SYS>>\n\n" + m[i].content
                                    : m[i].content;
    if (m[i].role == "user") {
      out += (first_piece ? o.bos : o.bos_token) + "[INST] " + python_strip(content) + " [/INST]";
    } else if (m[i].role == "assistant") {
      out += " " + python_strip(content) + " " + o.eos_token;
    } else {
      continue;  // a system message where an assistant one would be: the template writes nothing
    }
    first_piece = false;
  }
  return out;
}

std::string render_mistral_v01(const std::vector<ChatMessage>& m, const ChatRenderOptions& o, bool space) {
  std::string out = o.bos;
  for (size_t i = 0; i < m.size(); ++i) {
    alternate(m[i], i, false);
    if (m[i].role == "user") out += "[INST] " + m[i].content + " [/INST]";
    else if (m[i].role == "assistant") out += m[i].content + o.eos_token + (space ? " " : "");
    else only_user_and_assistant(false);
  }
  return out;
}

// v1 puts the system message in the first user turn, v3 in the last message when that is a user
// turn (else nowhere); tekken is v3 without the spaces; trim: the answer's white space stripped
// (`|trim`, Mistral-7B-Instruct-v0.3's later template).
std::string render_mistral_v1_v3(const std::vector<ChatMessage>& m, const ChatRenderOptions& o, bool v3,
                                 bool tekken = false, bool trim = false) {
  const bool has_system = m[0].role == "system";
  const size_t first = has_system ? 1 : 0;
  const std::string open = tekken ? "[INST]" : v3 ? "[INST] " : " [INST] ", close = v3 ? "[/INST]" : " [/INST]";
  std::string out = o.bos;
  for (size_t i = first; i < m.size(); ++i) {
    alternate(m[i], i - first);
    if (m[i].role == "user") {
      const bool with_system = has_system && (v3 ? i + 1 == m.size() : i == first);
      out += open + (with_system ? m[0].content + "\n\n" : std::string()) + m[i].content + close;
    } else if (m[i].role == "assistant") {
      out += (tekken ? "" : " ") + (trim ? python_strip(m[i].content) : m[i].content) + o.eos_token;
    } else {
      only_user_and_assistant();
    }
  }
  return out;
}

// Mistral-7B-Instruct-v0.3's: user and assistant turns in any order, system messages not written.
std::string render_mistral_v3_tools(const std::vector<ChatMessage>& m, const ChatRenderOptions& o) {
  std::string out = o.bos;
  for (const ChatMessage& x : m) {
    if (x.role == "user") out += " [INST] " + x.content + " [/INST]";
    else if (x.role == "assistant") out += " " + x.content + " " + o.eos_token;
  }
  return out;
}

std::string render_mistral_v7(const std::vector<ChatMessage>& m, const ChatRenderOptions& o, bool tekken) {
  const std::string sp = tekken ? "" : " ";
  std::string out = o.bos;
  for (const ChatMessage& x : m) {
    if (x.role == "user") out += "[INST]" + sp + x.content + "[/INST]";
    else if (x.role == "system") out += "[SYSTEM_PROMPT]" + sp + x.content + "[/SYSTEM_PROMPT]";
    else out += sp + x.content + o.eos_token;
  }
  return out;
}

}  // namespace

JinjaCode jinja_code(std::string_view t) {
  JinjaCode out;
  size_t i = 0;
  bool prev_dash = false, prev_block = false;  // how the previous tag ended, for the raw text after it
  while (i < t.size()) {
    size_t open = i;
    while (open < t.size() && !(t[open] == '{' && open + 1 < t.size() &&
                                (t[open + 1] == '{' || t[open + 1] == '%' || t[open + 1] == '#')))
      ++open;
    const std::string_view raw = t.substr(i, open - i);
    if (!raw.empty()) {
      const bool at_end = open >= t.size();
      const bool next_dash = !at_end && open + 2 < t.size() && t[open + 2] == '-';
      // (`{%+` keeps the indentation before it: lstrip_blocks is off for that tag.)
      const bool next_block = at_end || (t[open + 1] != '{' && !(open + 2 < t.size() && t[open + 2] == '+'));
      // Jinja drops white space next to a dash; trim_blocks drops the newline after a block tag
      // and lstrip_blocks the indentation before one; one newline ending the template goes too.
      const bool dropped = blank(raw) && (prev_dash || next_dash || (at_end && raw == "\n") ||
                                          (prev_block && next_block && raw.front() == '\n' &&
                                           raw.find_first_not_of(" \t", 1) == std::string_view::npos));
      if (!dropped) out.writes_raw_text = true;
    }
    if (open >= t.size()) break;
    const char kind = t[open + 1];
    if (kind == '#') {
      const size_t close = t.find("#}", open + 2);
      if (close == std::string_view::npos) break;
      prev_dash = t[close - 1] == '-';
      prev_block = true;
      i = close + 2;
      continue;
    }
    const std::string_view closer = kind == '{' ? "}}" : "%}";
    out.code += t.substr(open, 2);
    if (kind == '{') ++out.outputs;
    size_t j = open + 2;
    if (j < t.size() && (t[j] == '-' || t[j] == '+')) ++j;
    prev_dash = false;
    while (j < t.size()) {
      const char c = t[j];
      if (c == '\'' || c == '"') {
        write_literal(read_literal(t, j), out.code);
      } else if ((c == '-' || c == '+') && t.substr(j + 1, 2) == closer) {
        prev_dash = c == '-';
        ++j;
      } else if (t.substr(j, 2) == closer) {
        out.code += closer;
        j += 2;
        break;
      } else {
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') out.code += c;
        ++j;
      }
    }
    prev_block = kind == '%';
    i = j;
  }
  return out;
}

std::string without_dead_branches(const std::string& code, const std::vector<std::string_view>& dead,
                                  bool* dropped_tools_test) {
  const std::vector<std::string> tags = split_tags(code);
  std::string out;
  bool tools_test = false;
  for (size_t i = 0; i < tags.size();) {
    i = emit_block(tags, i, out, dead, tools_test);
    if (i < tags.size()) out += tags[i++];  // an unmatched end tag: kept as it is
  }
  if (dropped_tools_test) *dropped_tools_test = tools_test;
  return out;
}


InstCode inst_code(std::string_view text) {
  const JinjaCode j = jinja_code(text);
  InstCode out;
  out.writes_raw_text = j.writes_raw_text;
  // The code that can write anything here: the tool branches never run.
  out.code = skeleton(without_dead_branches(j.code, kNoTools, &out.tests_tools_not_none));
  out.has_tools = has(j.code, "tools");
  out.has_own_system_message = has(j.code, "setsystem_message=\"") || has(j.code, "default_system_message");
  return out;
}

InstShape inst_shape(InstVariant v, std::string_view template_text) {
  const std::string code = inst_code(template_text).code;
  return InstShape{v, code.size(), fnv1a64(code)};
}

const std::vector<InstShape>& inst_shapes() { return g_test_shapes ? *g_test_shapes : published_shapes(); }

ScopedInstShapes::ScopedInstShapes(std::vector<InstShape> shapes)
    : shapes_(std::move(shapes)), previous_(g_test_shapes) {
  g_test_shapes = &shapes_;
}

ScopedInstShapes::~ScopedInstShapes() { g_test_shapes = previous_; }

std::optional<InstMatch> detect_inst(std::string_view text, std::string* why) {
  return detect_inst(text, why, inst_shapes());
}

std::optional<InstMatch> detect_inst(std::string_view text, std::string* why, const std::vector<InstShape>& shapes) {
  const InstCode c = inst_code(text);
  if (!c.writes_raw_text) {
    const uint64_t hash = fnv1a64(c.code);
    for (const InstShape& s : shapes)
      if (s.length == c.code.size() && s.hash == hash) return InstMatch{s.variant, c.tests_tools_not_none};
  }
  if (why) {
    *why = "the model's chat template is of the [INST] family (Llama 2, Mistral) but none of the variants this "
           "server renders (";
    bool first = true;
    for (const InstShape& s : shapes) {
      *why += (first ? "" : ", ") + inst_variant_name(s.variant);
      first = false;
    }
    *why += ")";
    if (c.writes_raw_text) *why += ": it writes text outside its tags";
    else if (c.has_tools) *why += ": it has tool handling";
    else if (c.has_own_system_message) *why += ": it has a system message of its own";
  }
  return std::nullopt;
}

std::string inst_variant_name(InstVariant v) {
  switch (v) {
    case InstVariant::kLlama2: return "llama2";
    case InstVariant::kMistralV01: return "mistral-v0.1";
    case InstVariant::kMistralV01Eos: return "mistral-v0.1 (no space after </s>)";
    case InstVariant::kMistralV1: return "mistral-v1";
    case InstVariant::kMistralV3: return "mistral-v3";
    case InstVariant::kMistralV3Tools: return "mistral-v3 (tool branches)";
    case InstVariant::kMistralV3Tekken: return "mistral-v3-tekken (tool branches)";
    case InstVariant::kMistralV7: return "mistral-v7";
    case InstVariant::kMistralV7Tekken: return "mistral-v7-tekken";
    case InstVariant::kMistralV3Trim: return "mistral-v3 (trimmed answers, tool branches)";
  }
  return "";
}

std::string render_inst(InstVariant v, const std::vector<ChatMessage>& m, const ChatRenderOptions& o) {
  switch (v) {
    case InstVariant::kLlama2: return render_llama2(m, o);
    case InstVariant::kMistralV01: return render_mistral_v01(m, o, true);
    case InstVariant::kMistralV01Eos: return render_mistral_v01(m, o, false);
    case InstVariant::kMistralV1: return render_mistral_v1_v3(m, o, false);
    case InstVariant::kMistralV3: return render_mistral_v1_v3(m, o, true);
    case InstVariant::kMistralV3Tools: return render_mistral_v3_tools(m, o);
    case InstVariant::kMistralV3Tekken: return render_mistral_v1_v3(m, o, true, true);
    case InstVariant::kMistralV7: return render_mistral_v7(m, o, false);
    case InstVariant::kMistralV7Tekken: return render_mistral_v7(m, o, true);
    case InstVariant::kMistralV3Trim: return render_mistral_v1_v3(m, o, true, false, true);
  }
  return "";
}

}  // namespace infertrace::serve
