// The --help layout of both executables: CLI11's, except that the usage line names only the
// positionals the help lists, and a flag that takes one value each time says "(repeatable)".
// CLI11 2.1 puts every positional into the usage line, hidden ones
// too (group ""), each as its bare "..." : `fusion --help` read "fusion [OPTIONS] trace [...]", as if
// fusion took more traces, where its hidden positional only catches stray words to refuse them
// (review UX L3). Header-only, as parse_and_run.h, which applies it to the whole command tree.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

namespace infertrace::cli {

class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App* app, std::string name) const override {
    std::string line = get_label("Usage") + ":";
    if (!name.empty()) line += " " + name;
    if (!app->get_options([](const CLI::Option* o) { return o->nonpositional(); }).empty())
      line += " [" + get_label("OPTIONS") + "]";
    for (const CLI::Option* p :
         app->get_options([](const CLI::Option* o) { return o->get_positional() && !o->get_group().empty(); }))
      line += " " + make_option_usage(p);
    const bool has_verbs = !app->get_subcommands([](const CLI::App* s) {
                                  return !s->get_disabled() && !s->get_name().empty();
                                }).empty();
    if (has_verbs) {
      // Every app of this tree that has sub-verbs runs exactly one of them.
      const std::string word = get_label("SUBCOMMAND");
      line += " " + (app->get_require_subcommand_min() == 0 ? "[" + word + "]" : word);
    }
    return line + "\n";
  }
  // CLI11 marks every vector option "TEXT ...", as if one flag took several values. An option with
  // allow_extra_args(false) takes one value per flag (`--attach A --attach B`; `--attach A B` is
  // refused): its help says "(repeatable)" instead (review FMT L6).
  std::string make_option_opts(const CLI::Option* opt) const override {
    std::string s = CLI::Formatter::make_option_opts(opt);
    if (opt->nonpositional() && !opt->get_allow_extra_args() && opt->get_type_size() != 0 &&
        opt->get_expected_max() == CLI::detail::expected_max_vector_size)
      if (const size_t k = s.find(" ..."); k != std::string::npos) s.replace(k, 4, " (repeatable)");
    return s;
  }
};

// Gives `app` and every subcommand under it (at any depth) the formatter above. CLI11 copies a
// parent's formatter into a subcommand when the subcommand is made, so it is set on each one here,
// after every verb has been registered.
inline void use_help_format(CLI::App& app, const std::shared_ptr<HelpFormatter>& f = std::make_shared<HelpFormatter>()) {
  app.formatter(f);
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) use_help_format(*sub, f);
}

}  // namespace infertrace::cli
