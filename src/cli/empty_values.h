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

#include <string>

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

}  // namespace infertrace::cli
