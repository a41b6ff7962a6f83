#include "serve/jinja_prelude.h"

#include "serve/jinja_syntax.h"

namespace infertrace::serve {

using Kind = JinjaToken::Kind;

bool jinja_sets_a_literal(const std::vector<JinjaToken>& a, std::initializer_list<std::string_view> read) {
  if (a.size() != 3 || a[0].kind != Kind::kName || a[1].kind != Kind::kOperator || a[1].text != "=") return false;
  for (std::string_view n : read)
    if (a[0].text == n) return false;
  const JinjaToken& v = a[2];
  if (v.kind == Kind::kString || v.kind == Kind::kNumber) return true;
  for (std::string_view n : {"true", "false", "none", "True", "False", "None"})
    if (v.kind == Kind::kName && v.text == n) return true;
  return false;
}

bool jinja_is_prompt_default(JinjaCursor& c) {
  const size_t at = c.i;
  if (c.name("not") && c.name("add_generation_prompt") && c.name("is") && c.name("defined") && c.done()) return true;
  c.i = at;
  if (c.name("add_generation_prompt") && c.name("is") && c.name("not") && c.name("defined") && c.done()) return true;
  c.i = at;
  return false;
}

std::string jinja_prompt_default_problem(const JinjaTemplate& t, size_t k) {
  const size_t end = t.st.next[k];
  if (t.keyword(end) != "endif") return "with another branch";
  size_t set = 0;
  for (size_t j = k + 1; j <= end; ++j) {
    if (!jinja_data_before(t.source, t.tags(), j).empty()) return "writing text";
    if (j == end || t.tags()[j].kind == JinjaTag::Kind::kComment) continue;
    const std::vector<JinjaToken> a = t.args(j);
    if (set != 0 || t.keyword(j) != "set" || a.size() != 3 || a[0].kind != Kind::kName ||
        a[0].text != "add_generation_prompt" || a[1].kind != Kind::kOperator || a[1].text != "=" ||
        a[2].kind != Kind::kName ||
        !(a[2].text == "true" || a[2].text == "false" || a[2].text == "True" || a[2].text == "False"))
      return "doing other than `set add_generation_prompt = true` or `= false`";
    set = j;
  }
  return set != 0 ? "" : "setting nothing";
}

}  // namespace infertrace::serve
