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

// Every value-taking long option name of `app` and its subcommands, with whether some option of
// that name may be empty.
inline void long_value_options(const CLI::App& app, std::map<std::string, bool>& names, std::set<std::string>& shorts) {
  for (const CLI::Option* opt : app.get_options()) {
    if (!opt->nonpositional() || opt->get_type_size_max() == 0) continue;
    for (const std::string& name : opt->get_lnames()) names[name] = names[name] || empty_value_allowed(*opt);
    for (const std::string& name : opt->get_snames()) shorts.insert(name);
  }
  for (const CLI::App* sub : const_cast<CLI::App&>(app).get_subcommands([](CLI::App*) { return true; }))
    long_value_options(*sub, names, shorts);
}

}  // namespace detail

// `--opt=` with nothing after '=': CLI11 (2.1) then takes the NEXT word as the value, so the
// transform above never sees "" (`analyze --top= 3 T` ran with 3, `report --title= T T` titled the
// page with the trace path; review BD L6). This is the `--opt=$UNSET` case the rule is for. Before
// CLI11 parses, such a word naming a known value-taking long option is refused (the returned
// message), or, for an option whose empty value means something (a prompt), split into `--opt`
// and "" in `args`. Words after `--` are the command's or the server's, not ours: left alone.
inline std::string split_empty_equals(const CLI::App& app, std::vector<std::string>& args) {
  std::map<std::string, bool> names;
  std::set<std::string> shorts;
  detail::long_value_options(app, names, shorts);
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") break;
    // The word after `--title` or `-p` (given without '=') is that option's value, whatever it
    // looks like: `report --title "--output="` titles the page "--output=" (review BH M2).
    const std::string& before = args[i - 1];
    if (i > 1 && ((before.size() > 2 && before.compare(0, 2, "--") == 0 && names.count(before.substr(2))) ||
                  (before.size() == 2 && before[0] == '-' && shorts.count(before.substr(1)))))
      continue;
    if (word.size() < 4 || word.compare(0, 2, "--") != 0 || word.back() != '=') continue;
    const std::string name = word.substr(2, word.size() - 3);
    const auto known = names.find(name);
    if (known == names.end()) continue;  // CLI11 says what is wrong with it
    if (!known->second) return word + ": empty value (leave the option out for its default)";
    args[i] = "--" + name;
    args.insert(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, std::string());
    ++i;
  }
  return {};
}

}  // namespace infertrace::cli
