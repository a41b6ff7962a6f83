// An option given an empty value (`--csv ''`, `--port ''`, `--chunk-bytes ''`) is a usage error.
// CLI11 takes "" as a value: text options then hold "", which most verbs read as "not given"
// (`analyze --csv ''` wrote nothing, exit 0; `serve --host ''` bound [::1] and printed the URL
// "http://:PORT"), and numeric ones convert it to 0 (`fusion --threshold ''` said "threshold
// 0.000000 is outside"). Someone who wants the default leaves the option out, so an empty value is
// a mistake (an unset shell variable, most often) and is refused here, for every option of every
// verb at once, as numeric_options.h does for numbers. Header-only for the same reason: both
// executables call it from parse_and_run().
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace infertrace::cli {

// Options whose empty value means something: an empty prompt is a prompt (BOS alone).
inline bool empty_value_allowed(const CLI::Option& opt) {
  for (const std::string& name : opt.get_lnames())
    if (name == "prompt") return true;
  return false;
}

// Adds the check to every named option of `app` and its subcommands that takes a value; flags
// take none, and positionals (file names) get a clear "cannot open ''" from the verb.
inline void refuse_empty_values(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    if (!opt->nonpositional() || opt->get_type_size_max() == 0 || empty_value_allowed(*opt)) continue;
    // transform(), not check(): CLI11 runs transforms first, so "" gets this message rather than
    // a range check's "Value  not in range".
    opt->transform(CLI::Validator(
        [](std::string& value) -> std::string {
          return value.empty() ? "empty value (leave the option out for its default)" : std::string();
        },
        ""));
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) refuse_empty_values(*sub);
}

namespace detail {

// The value-taking options of one (sub)command: long names, with whether some option of that name
// may be empty, and the names that take the next word. Its own options only: CLI11 (no fallthrough here) matches an
// option only in the subcommand the words have reached, so `bench membw --model=` is membw's
// unknown option, not bench threads' empty --model (review BK item 4).
struct ValueOptions {
  std::map<std::string, bool> longs;
  std::set<std::string> flags;  // long names of the options that take no value (type size 0)
  // Names (long, and short as "-x") of the options that take the next word as their value: not
  // the flags, bool ones included (`--json`), which CLI11 gives no word (expected 0).
  std::set<std::string> take_next;
  // The options CLI11 splits at a delimiter (bench serve --rate 1,2), by long name: CLI11 drops an
  // empty item ("1," was the list 1), where the verbs' own lists refuse it (review CA L6).
  std::map<std::string, char> delimiters;
};

inline ValueOptions value_options_of(const CLI::App& app) {
  ValueOptions v;
  for (const CLI::Option* opt : app.get_options()) {
    if (!opt->nonpositional()) continue;
    if (opt->get_type_size_max() == 0) {
      for (const std::string& name : opt->get_lnames()) v.flags.insert(name);
      continue;
    }
    for (const std::string& name : opt->get_lnames()) v.longs[name] = v.longs[name] || empty_value_allowed(*opt);
    if (opt->get_delimiter() != '\0') {
      for (const std::string& name : opt->get_lnames()) v.delimiters["--" + name] = opt->get_delimiter();
      for (const std::string& name : opt->get_snames()) v.delimiters["-" + name] = opt->get_delimiter();
    }
    if (opt->get_expected_min() > 0) {
      for (const std::string& name : opt->get_lnames()) v.take_next.insert("--" + name);
      for (const std::string& name : opt->get_snames()) v.take_next.insert("-" + name);
    }
  }
  return v;
}

// The subcommand of `app` that `word` names, or nullptr.
inline const CLI::App* subcommand_named(const CLI::App& app, const std::string& word) {
  for (const CLI::App* sub : const_cast<CLI::App&>(app).get_subcommands([](CLI::App*) { return true; }))
    if (!sub->get_name().empty() && sub->check_name(word)) return sub;
  return nullptr;
}

// "--rate 1,: an empty item ..." when `value`, given to the option `name` that CLI11 splits at
// `delimiter`, has an empty item (a delimiter first, last or doubled); "" otherwise.
inline std::string empty_list_item(const std::string& name, const std::string& value, char delimiter) {
  const std::string doubled(2, delimiter);
  if (value.empty() || (value.front() != delimiter && value.back() != delimiter && value.find(doubled) == std::string::npos))
    return {};
  return name + " " + value + ": an empty item (a '" + std::string(1, delimiter) + "' too many)";
}

}  // namespace detail

// `--opt=` with nothing after '=': CLI11 (2.1) then takes the NEXT word as the value, so the
// transform above never sees "" (`analyze --top= 3 T` ran with 3, `report --title= T T` titled the
// page with the trace path; review BD L6). This is the `--opt=$UNSET` case the rule is for. Before
// CLI11 parses, such a word naming a value-taking long option of the subcommand reached so far is
// refused (the returned message), or, for an option whose empty value means something (a
// prompt), split into `--opt` and "" in `args`; a name that subcommand lacks is left to CLI11's
// own "not expected". An option of it that takes no value at all (type size 0: fusion's --csv;
// add_flag's bool flags take one, "true" or "false", and are refused above) is refused given so
// too, and given `={}`: CLI11 takes `--csv=` and `--csv={}` ("{}", its empty list) for the flag
// alone, where any other `--csv=VALUE` reaches the verb, fusion's usage error. Words after `--`
// are the command's or the server's, not ours: left alone.
inline std::string split_empty_equals(const CLI::App& app, std::vector<std::string>& args) {
  const CLI::App* at = &app;  // the (sub)command the words have reached
  detail::ValueOptions known = detail::value_options_of(*at);
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") break;
    // The word after `--title` or `-p` (given without '=') is that option's value, whatever it
    // looks like: `report --title "--output="` titles the page "--output=" (review BH M2), and
    // `--label membw` is no subcommand. Not after a flag (`--json`, a bool flag CLI11 gives no
    // word): `sched --json --top= 5` is `--top=` refused, as `sched --top= 5 --json` (review CA M2).
    if (i > 1 && known.take_next.count(args[i - 1])) {
      if (const auto d = known.delimiters.find(args[i - 1]); d != known.delimiters.end())
        if (std::string bad = detail::empty_list_item(args[i - 1], word, d->second); !bad.empty()) return bad;
      continue;
    }
    if (const CLI::App* sub = detail::subcommand_named(*at, word)) {
      at = sub;
      known = detail::value_options_of(*at);
      continue;
    }
    if (word.size() < 4 || word.compare(0, 2, "--") != 0) continue;
    const size_t eq = word.find('=');
    if (eq == std::string::npos || eq < 3) continue;
    const std::string name = word.substr(2, eq - 2), value = word.substr(eq + 1);
    if (const auto d = known.delimiters.find("--" + name); d != known.delimiters.end())
      if (std::string bad = detail::empty_list_item("--" + name, value, d->second); !bad.empty()) return bad;
    if (value == "{}" && known.flags.count(name) && !known.longs.count(name))
      return word + ": empty value ({} is an empty list to the parser; --" + name + " takes none: give it alone)";
    if (!value.empty()) continue;
    if (known.flags.count(name) && !known.longs.count(name))
      return word + ": empty value (--" + name + " takes none: give it alone)";
    const auto found = known.longs.find(name);
    if (found == known.longs.end()) continue;  // CLI11 says what is wrong with it
    if (!found->second) return word + ": empty value (leave the option out for its default)";
    args[i] = "--" + name;
    args.insert(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, std::string());
    ++i;
  }
  return {};
}

}  // namespace infertrace::cli
