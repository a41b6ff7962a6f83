// `--` in a verb that takes several inputs (analyze, compare, ingest, report, sweep) ends its
// options, as in any Unix tool: every word after it is one more input, even one that starts with
// '-', and the inputs given before it come first, in the order given (`analyze a.json -- -b.json`
// reads a.json, then -b.json).
//
// CLI11 2.1 ends a subcommand at a `--` once every positional of it holds its minimum (one input
// here); the words after it went back to the top level, which has no positional: "The following
// argument was not expected: b.json" (review S42 L7). It reads a `--` inside the subcommand while a
// positional still lacks its minimum. So the verb gets a hidden positional of one word, added after
// its inputs: it never fills, because the inputs positional before it takes every word (CLI11 fills
// positionals in the order they were added, and a vector takes any number), and it is not required.
//
// Not for a verb whose words after `--` are a command line (record, bench interference): those keep
// them verbatim as the command.
#pragma once

#include <CLI/CLI.hpp>

#include <stdexcept>
#include <string>

namespace infertrace::cli {

// `inputs`: the verb's positional that takes every input; it must be the verb's last positional so
// far (the hidden one goes after it).
inline void inputs_on_both_sides_of_dash(CLI::App* verb, CLI::Option* inputs) {
  const auto positionals = verb->get_options([](const CLI::Option* o) { return o->get_positional(); });
  if (!inputs->get_positional() || inputs->get_items_expected_max() < CLI::detail::expected_max_vector_size ||
      positionals.empty() || positionals.back() != inputs)
    throw std::logic_error(verb->get_name() + ": inputs_on_both_sides_of_dash needs the verb's last positional, a list");
  // (a name no user sees: hidden from --help and its usage line, and it never receives a word)
  verb->add_option("inputs-after-dash")->group("");
}

}  // namespace infertrace::cli
