#include "serve/chat_template.h"

#include "serve/chatml_default_system.h"
#include "serve/chatml_structure.h"
#include "serve/jinja_lex.h"
#include "serve/jinja_syntax.h"
#include "serve/llama3_structure.h"
#include "serve/qwen3_structure.h"
#include "serve/stop_matcher.h"  // utf8_incomplete_tail

#include <algorithm>
#include <cctype>
#include <ctime>
#include <stdexcept>
#include <utility>

namespace infertrace::serve {
namespace {

bool has(std::string_view text, std::string_view s) { return text.find(s) != std::string_view::npos; }

// Jinja's `trim` is Python's str.strip(): every character for which str.isspace() holds, so
// Unicode spaces too (U+00A0, U+3000, ...), not only ASCII ones.
size_t space_at(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  const unsigned c = b(i);
  if (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f)) return 1;
  if (c == 0xc2 && (b(i + 1) == 0x85 || b(i + 1) == 0xa0)) return 2;
  if (c == 0xe1 && b(i + 1) == 0x9a && b(i + 2) == 0x80) return 3;  // U+1680
  if (c == 0xe2 && b(i + 1) == 0x80 && ((b(i + 2) >= 0x80 && b(i + 2) <= 0x8a) || b(i + 2) == 0xa8 ||
                                        b(i + 2) == 0xa9 || b(i + 2) == 0xaf))
    return 3;  // U+2000..200A, U+2028, U+2029, U+202F
  if (c == 0xe2 && b(i + 1) == 0x81 && b(i + 2) == 0x9f) return 3;  // U+205F
  if (c == 0xe3 && b(i + 1) == 0x80 && b(i + 2) == 0x80) return 3;  // U+3000
  return 0;
}

std::string trim(std::string_view s) {
  size_t start = 0;
  while (start < s.size()) {
    const size_t n = space_at(s, start);
    if (n == 0) break;
    start += n;
  }
  size_t end = s.size();
  while (end > start) {
    // A space ending at `end` is 1 to 3 bytes long: try each start.
    size_t n = 0;
    for (size_t len = 1; len <= 3 && len <= end - start && n == 0; ++len)
      if (space_at(s, end - len) == len) n = len;
    if (n == 0) break;
    end -= n;
  }
  return std::string(s.substr(start, end - start));
}

}  // namespace

std::string python_strip(std::string_view s) { return trim(s); }

namespace {

// Python's str.strip('\n') / lstrip('\n') / rstrip('\n').
std::string_view lstrip_nl(std::string_view s) {
  while (!s.empty() && s.front() == '\n') s.remove_prefix(1);
  return s;
}
std::string_view rstrip_nl(std::string_view s) {
  while (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  return s;
}

// The template text without spaces, tabs and newlines, so markers can be matched however a
// template spaces its Jinja (`message['content'] | trim` and `message['content']|trim`). Only for
// markers: string literals lose their spaces too.
std::string squeeze(std::string_view t) {
  std::string out;
  out.reserve(t.size());
  for (char ch : t)
    if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') out.push_back(ch);
  return out;
}

bool is_word_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_ascii_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// Whether `word` stands whole at `at` in `s` (no word character before it) and is followed, after
// any white space, by one of `next`.
bool word_then(std::string_view s, size_t at, std::string_view word, std::string_view next) {
  if (s.compare(at, word.size(), word) != 0 || (at > 0 && is_word_char(s[at - 1]))) return false;
  size_t i = at + word.size();
  while (i < s.size() && is_ascii_space(s[i])) ++i;
  return i < s.size() && next.find(s[i]) != std::string_view::npos;
}

// An expression's fallback text: `x or 'text'`, `x | default('text')`, `default(x, 'text')`,
// `x if c else 'text'`. A plain scan, not std::regex: the text comes from a model file, and
// libstdc++'s regex recurses once per character a `\s*` repeats, so a long white-space run
// overflowed the stack. Linear: a white-space run is read again only after the word before it.
bool has_fallback(std::string_view expr) {
  for (size_t at = 0; at < expr.size(); ++at)
    if (word_then(expr, at, "or", "'\"") || word_then(expr, at, "else", "'\"") || word_then(expr, at, "default", "("))
      return true;
  return false;
}

// What a ChatML template writes after `<|im_start|>system\n` up to its `<|im_end|>` (`turn`): a
// default of its own when it has an else/elif branch, an expression with a fallback, or text
// outside the Jinja tags (`{% if ... %}{{ messages[0]['content'] }}{% else %}You are ...{% endif %}`
// writes "You are ..." when the conversation has no system message). The turn may end inside an
// expression (`+ '<|im_end|>\n' }}`): its unterminated rest is read as an expression.
bool system_turn_has_default(std::string_view turn) {
  for (size_t i = 0; i < turn.size();) {
    const bool tag = turn[i] == '{' && i + 1 < turn.size() && (turn[i + 1] == '{' || turn[i + 1] == '%' || turn[i + 1] == '#');
    if (!tag) {
      if (turn[i] != ' ' && turn[i] != '\t' && turn[i] != '\n' && turn[i] != '\r') return true;
      ++i;
      continue;
    }
    const char kind = turn[i + 1];
    const size_t end = turn.find(std::string{kind == '{' ? '}' : kind, '}'}, i + 2);
    if (end == std::string_view::npos) return kind == '{' && has_fallback(turn.substr(i + 2));
    const std::string body = squeeze(turn.substr(i + 2, end - i - 2));
    if (kind == '%' && (body.rfind("else", 0) == 0 || body.rfind("-else", 0) == 0 || body.rfind("elif", 0) == 0 ||
                        body.rfind("-elif", 0) == 0))
      return true;
    if (kind == '{' && has_fallback(turn.substr(i + 2, end - i - 2))) return true;
    i = end + 2;
  }
  return false;
}

// A ChatML template that writes a system message of its own (Qwen2.5's "You are Qwen, ...",
// SmolLM2's "You are a helpful AI assistant named SmolLM, ...", Qwen2-VL's "You are a helpful
// assistant.") when the conversation has none. Either the system header is followed by text of
// its own, inside a string literal ("<|im_start|>system\\n" then no closing quote) or as raw
// template text (a real newline, then neither a quote nor a Jinja tag), or the default is kept in
// a variable (`set system_message = 'You are ...'`: any non-empty string literal set, to be safe).
bool writes_default_system(std::string_view text, std::string_view squeezed) {
  for (std::string_view open : {std::string_view("<|im_start|>system\\n"), std::string_view("<|im_start|>system\n")}) {
    const bool raw = open.back() == '\n';
    // Linear in the text (review CE M3): a turn ends at its <|im_end|> or at the next header, so
    // the turns read below do not overlap, and the <|im_end|> found is reused by every header
    // before it (a template from a model file with 40,000 headers and no <|im_end|> after them
    // took minutes when each header searched and read the rest of the text).
    size_t im_end = 0;
    bool im_end_known = false;
    for (size_t at = text.find(open), following = 0; at != std::string_view::npos; at = following) {
      following = text.find(open, at + 1);
      const size_t next = at + open.size();
      if (next >= text.size()) continue;
      const char c = text[next];
      if (c != '\'' && c != '"' && !(raw && c == '{')) return true;  // text of its own after the header
      if (!im_end_known || (im_end != std::string_view::npos && im_end < next)) {
        im_end = text.find("<|im_end|>", next);
        im_end_known = true;
      }
      const size_t turn_end = std::min(im_end, following);
      const std::string_view turn = text.substr(next, turn_end == std::string_view::npos ? turn_end : turn_end - next);
      if (c == '\'' || c == '"') {
        // The header is a literal (also one holding a real newline, as a "\n" in
        // tokenizer_config.json decodes to) and the content an expression: only that expression's
        // own fallback is looked at. Branches after it are not: a literal header is how Qwen-style
        // templates open the system turn of their tools branch too, whose else branches and text
        // are no default (a default in an if/else after a literal header is not detected).
        if (has_fallback(turn.substr(0, turn.find("}}")))) return true;
        continue;
      }
      // Raw text followed by a tag: a default may hide in the turn up to its <|im_end|>.
      if (system_turn_has_default(turn)) return true;
    }
  }
  for (std::string_view tag : {std::string_view("{%set"), std::string_view("{%-set")}) {
    for (size_t at = squeezed.find(tag); at != std::string_view::npos; at = squeezed.find(tag, at + 1)) {
      const size_t eq = squeezed.find('=', at);
      const size_t close = squeezed.find("%}", at);
      if (eq == std::string_view::npos || close == std::string_view::npos || eq > close) continue;
      const size_t v = eq + 1;  // `set x = ''` (empty) is no default text
      if (v + 1 < squeezed.size() && (squeezed[v] == '\'' || squeezed[v] == '"') && squeezed[v + 1] != squeezed[v])
        return true;
    }
  }
  return false;
}

// The renderers write the assistant's generation prompt once, at the end, because the templates
// they reproduce write it only under `if add_generation_prompt`. Yi's templates write it after
// every user turn instead. So every "<|im_start|>assistant" in the template text must come after
// an add_generation_prompt test with no endif, endfor or else/elif in between (a template writing
// an assistant turn's header as a literal is refused too: refusing is the safe side).
std::string generation_prompt_problem(std::string_view squeezed) {
  if (!has(squeezed, "ifadd_generation_prompt"))
    return "it writes no generation prompt under an add_generation_prompt test";
  static constexpr std::string_view kPrompt = "<|im_start|>assistant";
  for (size_t at = squeezed.find(kPrompt); at != std::string_view::npos; at = squeezed.find(kPrompt, at + 1)) {
    const size_t test = squeezed.rfind("ifadd_generation_prompt", at);
    const std::string_view between = test == std::string_view::npos ? "" : squeezed.substr(test, at - test);
    if (test == std::string_view::npos || has(between, "endif") || has(between, "endfor") || has(between, "else") ||
        has(between, "elif"))
      return "it writes the assistant's header outside an add_generation_prompt test (the generation prompt "
             "after each turn, as Yi's templates do)";
  }
  return "";
}

// The other families llama.cpp's llm_chat_detect_template tells apart, by the same kind of
// distinctive substrings, named so a refusal says what the template is.
std::string other_family(std::string_view t) {
  if (has(t, "<|im_start|>") && has(t, "<|im_sep|>")) return "phi4";
  if (has(t, "<|im_start|>") && has(t, "<end_of_utterance>")) return "smolvlm";
  if (has(t, "[INST]")) return "mistral / llama2";
  if (has(t, "<|assistant|>") && has(t, "<|end|>")) return "phi3";
  if (has(t, "<start_of_turn>")) return "gemma";
  if (has(t, "<|START_OF_TURN_TOKEN|>")) return "command-r";
  if (has(t, "<|header_start|>") && has(t, "<|header_end|>")) return "llama4";
  if (has(t, "<|start_of_role|>")) return "granite";
  if (has(t, "<\xef\xbd\x9c" "Assistant\xef\xbd\x9c>")) return "deepseek3";
  // GLM's templates have <|user|> too: ChatGLM3's and GLM-4's open with [gMASK], GLM-Edge's end
  // turns with <|endoftext|> (llama.cpp's chatglm3, chatglm4 and glmedge).
  if (has(t, "[gMASK]")) return "glm";
  if (has(t, "<|user|>") && has(t, "<|endoftext|>")) return "glmedge";
  if (has(t, "<|user|>")) return "zephyr";
  return "";
}

std::string today_string() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%d %b %Y", &tm);
  return buf;
}

void check_roles(const std::vector<ChatMessage>& messages) {
  if (messages.empty()) throw std::invalid_argument("the conversation has no messages");
  for (const ChatMessage& m : messages)
    if (m.role != "system" && m.role != "user" && m.role != "assistant")
      throw std::invalid_argument("role '" + m.role + "' is not rendered (only system, user and assistant)");
}

std::string render_chatml(const std::vector<ChatMessage>& messages) {
  std::string out;
  for (const ChatMessage& m : messages) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
  return out + "<|im_start|>assistant\n";
}

// Qwen3's template for conversations without tools: assistant turns after the last user query keep
// (or get, when the turn is the last message) a think block; earlier ones lose theirs.
std::string render_qwen3(const std::vector<ChatMessage>& messages, std::optional<bool> enable_thinking,
                         bool tool_response_by_ends) {
  const size_t n = messages.size();
  size_t last_query = n - 1;
  for (size_t i = n; i-- > 0;) {
    const std::string_view c = messages[i].content;
    const bool tool_response = tool_response_by_ends
                                   ? c.starts_with("<tool_response>") && c.ends_with("</tool_response>")
                                   : has(c, "<tool_response>") && has(c, "</tool_response>");
    if (messages[i].role == "user" && !tool_response) {
      last_query = i;
      break;
    }
  }
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    const ChatMessage& m = messages[i];
    if (m.role != "assistant") {
      out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
      continue;
    }
    std::string_view content = m.content, reasoning;
    if (const size_t close = m.content.find("</think>"); close != std::string::npos) {
      // content.split('</think>')[-1].lstrip('\n'); the part before the first </think>, from its
      // last <think> on, is the reasoning.
      content = lstrip_nl(std::string_view(m.content).substr(m.content.rfind("</think>") + 8));
      std::string_view before = rstrip_nl(std::string_view(m.content).substr(0, close));
      if (const size_t open = before.rfind("<think>"); open != std::string_view::npos) before.remove_prefix(open + 7);
      reasoning = lstrip_nl(before);
    }
    out += "<|im_start|>assistant\n";
    if (i > last_query && (i + 1 == n || !reasoning.empty()))
      out += "<think>\n" + std::string(rstrip_nl(lstrip_nl(reasoning))) + "\n</think>\n\n" +
             std::string(lstrip_nl(content));
    else
      out += content;
    out += "<|im_end|>\n";
  }
  out += "<|im_start|>assistant\n";
  if (enable_thinking.has_value() && !*enable_thinking) out += "<think>\n\n</think>\n\n";
  return out;
}

// What the template writes (serve/llama3_structure.h): BOS, for 3.1+ the system header with the
// date and the system message (the template's default when the conversation opens with none), then
// each message and the generation prompt, every literal the template's own.
std::string render_llama3(const Llama3Structure& l, const std::vector<ChatMessage>& messages,
                          const ChatRenderOptions& o, const std::string& date) {
  std::string out = o.bos;
  size_t first = 0;
  if (l.dated) {
    std::string system = l.default_system;
    if (messages[0].role == "system") {
      system = trim(messages[0].content);
      first = 1;
    }
    out += l.system_before + date + l.system_between + system + l.system_after;
  }
  for (size_t i = first; i < messages.size(); ++i)
    out += l.before_role + messages[i].role + l.before_content +
           (l.trim ? trim(messages[i].content) : messages[i].content) + l.after;
  return out + l.prompt;
}

// What the template writes for each message of its role, then its generation prompt.
std::string render_zephyr(const ZephyrStructure& z, const std::vector<ChatMessage>& messages,
                          const ChatRenderOptions& o) {
  std::string out;
  for (const ChatMessage& m : messages) {
    if (m.role == "system" && z.system_raises)
      throw std::invalid_argument("the template raises for a system message: " + *z.system_raises);
    const std::vector<ZephyrPiece>& pieces = m.role == "system" ? z.system : m.role == "user" ? z.user : z.assistant;
    for (const ZephyrPiece& p : pieces) {
      switch (p.kind) {
        case ZephyrPiece::Kind::kText: out += p.text; break;
        case ZephyrPiece::Kind::kContent: out += m.content; break;
        case ZephyrPiece::Kind::kEos: out += o.eos_token; break;
      }
    }
  }
  return out + z.prompt;
}

}  // namespace

bool ChatTemplate::names(std::string_view name) const {
  auto ident = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; };
  if (name.empty()) return false;
  for (size_t at = text_.find(name); at != std::string::npos; at = text_.find(name, at + 1)) {
    const size_t end = at + name.size();
    if ((at == 0 || !ident(text_[at - 1])) && (end == text_.size() || !ident(text_[end]))) return true;
  }
  return false;
}

std::optional<ChatTemplate> ChatTemplate::detect(std::string_view t, std::string* why) {
  ChatTemplate c;
  c.text_ = std::string(t);
  auto refuse = [&](const std::string& reason) -> std::optional<ChatTemplate> {
    if (why) *why = reason;
    return std::nullopt;
  };
  if (t.empty()) return refuse("the model has no chat template (tokenizer.chat_template)");
  // jinja2 compiles the whole template before rendering: one it refuses is refused here too,
  // whatever family its markers name.
  const std::string source = jinja_normalized(t);
  std::string bad;
  const std::optional<JinjaStructure> structure = jinja_structure(source, &bad);
  if (!structure) return refuse("the model's chat template would not compile in jinja2: " + bad);
  // Families not read whole (Qwen3 read in the parts that decide its
  // rendering, serve/qwen3_structure.h): text jinja2 writes outside every block is written by none
  // of their renderers.
  auto top_level_text_problem = [&](const std::string& family) -> std::string {
    const std::string x = top_level_text(source, *structure);
    if (x.empty()) return "";
    std::string_view head = std::string_view(x).substr(0, 40);
    if (head.size() < x.size()) head.remove_suffix(utf8_incomplete_tail(head));  // no character cut in two
    std::string shown;
    for (char ch : head) shown += ch == '\n' ? std::string("\\n") : std::string(1, ch);
    return "the model's chat template is " + family + ", but it writes the text '" + shown +
           "' outside its blocks, which this server does not render";
  };
  // llama.cpp's order: <|im_start|> first (ChatML, unless phi4's or smolvlm's markers are there too).
  const std::string other = other_family(t);
  auto refuse_other = [&] {
    return refuse("the model's chat template is of llama.cpp's '" + other + "' family, which this server does not render");
  };
  const std::string sq = squeeze(t);
  if (has(t, "<|im_start|>")) {
    if (other == "phi4" || other == "smolvlm") return refuse_other();
    // ChatML as rendered here has no BOS; a template writing bos_token (Hermes-2-Pro, InternLM2)
    // puts one first.
    if (has(t, "bos_token"))
      return refuse("the model's chat template is ChatML that writes bos_token, which this server does not render");
    if (has(t, "</think>") && has(t, "last_query_index")) {
      // Qwen3-Thinking-2507 opens the think block in the generation prompt itself: another variant.
      if (has(t, "<|im_start|>assistant\\n<think>"))
        return refuse("the model's chat template is a Qwen3 variant that opens a think block in its generation "
                      "prompt, which this server does not render");
      if (const std::string p = generation_prompt_problem(sq); !p.empty())
        return refuse("the model's chat template is Qwen3, but " + p + ", which this server does not render");
      if (const std::string p = top_level_text_problem("Qwen3"); !p.empty()) return refuse(p);
      // The parts that decide what the Qwen3 renderer writes, tag by tag: a template with Qwen3's
      // markers but another generation prompt or think-block rule (Qwen3.5-VL's, training
      // variants') renders otherwise.
      std::string shape;
      const std::optional<Qwen3Structure> q = read_qwen3_structure(t, &shape);
      if (!q) return refuse("the model's chat template is Qwen3, but " + shape + ", which this server does not render");
      c.family_ = ChatFamily::kQwen3;
      c.enable_thinking_ = q->enable_thinking;
      c.tool_response_by_ends_ = q->tool_response_by_ends;  // read from the reverse loop's test
      return c;
    }
    if (has(t, "<think>"))
      return refuse("the model's chat template is ChatML with think-block handling this server does not know");
    if (writes_default_system(t, sq)) {
      // Rendered only in Qwen2.5's and Qwen1.5/2's shapes, and only when the rest of the template
      // has no other default (a second one would be written too, or instead).
      const std::optional<ChatMlDefaultSystem> d = find_chatml_default_system(t);
      if (!d || writes_default_system(d->rest, squeeze(d->rest)))
        return refuse("the model's chat template is ChatML with a default system message of its own, written in a "
                      "way this server does not render");
      c.default_system_ = d->message;
    }
    if (const std::string p = generation_prompt_problem(sq); !p.empty())
      return refuse("the model's chat template is ChatML, but " + p + ", which this server does not render");
    // The whole template, tag by tag: nothing but the parts the rendering stands for (text before
    // or after the loop, a `set`, a second loop would be written or run by jinja2, not here).
    std::string shape;
    const std::optional<ChatMlStructure> st = read_chatml_structure(t, &shape);
    if (!st) return refuse("the model's chat template is ChatML, but " + shape + ", which this server does not render");
    if (st->default_system != c.default_system_)
      return refuse("the model's chat template is ChatML with a default system message this server reads two ways, "
                    "which it does not render");
    c.family_ = ChatFamily::kChatMl;
    return c;
  }
  if (other == "mistral / llama2") {
    const std::optional<InstMatch> v = detect_inst(t, why);
    if (!v) return std::nullopt;
    c.family_ = ChatFamily::kInst;
    c.inst_ = v->variant;
    c.tests_tools_ = v->tests_tools_not_none;
    return c;
  }
  if (other == "zephyr") {
    // Read whole (serve/zephyr_structure.h): what each role and the generation prompt write is
    // taken from the template, so its own white space is rendered.
    if (has(t, "bos_token"))
      return refuse("the model's chat template is Zephyr that writes bos_token, which this server does not render");
    std::string shape;
    std::optional<ZephyrStructure> z = read_zephyr_structure(t, &shape);
    if (!z) return refuse("the model's chat template is Zephyr, but " + shape + ", which this server does not render");
    c.family_ = ChatFamily::kZephyr;
    c.zephyr_ = std::move(*z);
    return c;
  }
  if (!other.empty()) return refuse_other();
  if (has(t, "<|start_header_id|>") && has(t, "<|end_header_id|>")) {
    // Read whole (serve/llama3_structure.h): the literals, the trim, the date and the default
    // system message are the template's own; any other shape is refused (review CT M1).
    std::string shape;
    std::optional<Llama3Structure> l = read_llama3_structure(t, &shape);
    if (!l) return refuse("the model's chat template is Llama 3, but " + shape + ", which this server does not render");
    c.family_ = l->dated ? ChatFamily::kLlama31 : ChatFamily::kLlama3;
    // Meta's tool parts were passed over as writing nothing without tools: "tools": [] would run them.
    c.tests_tools_ = has(t, "tools");
    c.fixed_date_ = l->fixed_date;
    c.llama3_ = std::move(*l);
    return c;
  }
  // Zephyr's shape with every header written from the role ('<|' + M.role + '|>'), no literal
  // <|user|> to tell it by: accepted when, read whole, it writes each of system, user and assistant
  // as Zephyr does (the reader writes the role out for each; other roles are refused per
  // conversation, as for every family).
  if (has(sq, "'<|'+") || has(sq, "'<|'~") || has(sq, "\"<|\"+") || has(sq, "\"<|\"~")) {
    if (has(t, "bos_token"))
      return refuse("the model's chat template writes Zephyr's '<|' + role + '|>' headers and bos_token, which this "
                    "server does not render");
    std::string shape;
    std::optional<ZephyrStructure> z = read_zephyr_structure(t, &shape);
    if (!z)
      return refuse("the model's chat template writes '<|' + role + '|>' headers as Zephyr does, but " + shape +
                    ", which this server does not render");
    c.family_ = ChatFamily::kZephyr;
    c.zephyr_ = std::move(*z);
    return c;
  }
  return refuse("the model's chat template is of no family this server recognises");
}

std::string ChatTemplate::name() const {
  switch (family_) {
    case ChatFamily::kChatMl: return default_system_ ? "chatml (default system message)" : "chatml";
    case ChatFamily::kQwen3: return "qwen3 (ChatML with think blocks)";
    case ChatFamily::kLlama3: return "llama3";
    case ChatFamily::kLlama31:
      return (fixed_date_.empty() ? "llama3.1+ (system header with today's date"
                                  : "llama3.1+ (system header dated " + fixed_date_) +
             (llama3_.default_system.empty() ? ")" : ", default system message)");
    case ChatFamily::kInst: return inst_variant_name(inst_) + " ([INST])";
    case ChatFamily::kZephyr: return "zephyr";
  }
  return "";
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages, const ChatRenderOptions& o) const {
  check_roles(messages);
  switch (family_) {
    case ChatFamily::kChatMl:
      // The template's default system message opens a conversation that has none of its own.
      if (default_system_ && messages.front().role != "system")
        return "<|im_start|>system\n" + *default_system_ + "<|im_end|>\n" + render_chatml(messages);
      return render_chatml(messages);
    case ChatFamily::kQwen3:
      return render_qwen3(messages, enable_thinking_ ? o.enable_thinking : std::nullopt, tool_response_by_ends_);
    case ChatFamily::kLlama3:
    case ChatFamily::kLlama31:
      // Meta's 3.1+ templates test `tools is not none`: with "tools": [] they write "Environment:
      // ipython" and the tool-calling instructions into the prompt, which this renderer does not.
      if (tests_tools_ && o.tools_listed)
        throw std::invalid_argument(
            "with this template 'tools': [] writes the tool-calling environment and instructions; leave 'tools' out");
      if (!llama3_.dated) return render_llama3(llama3_, messages, o, "");
      return render_llama3(llama3_, messages, o,
                           !fixed_date_.empty() ? fixed_date_ : !o.today.empty() ? o.today : today_string());
    case ChatFamily::kInst:
      // A branch on `tools is not none` was left out as dead: "tools": [] would run it.
      if (tests_tools_ && o.tools_listed)
        throw std::invalid_argument("with this template 'tools': [] writes an empty tool list; leave 'tools' out");
      return render_inst(inst_, messages, o);
    case ChatFamily::kZephyr: return render_zephyr(zephyr_, messages, o);
  }
  return "";
}

}  // namespace infertrace::serve
