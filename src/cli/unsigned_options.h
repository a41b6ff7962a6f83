// Unsigned options refuse negative numbers. CLI11 2.1 converts an unsigned option's text with
// strtoull, which takes "-1" as 2^64-1: `--seed -1` ran with seed 18446744073709551615 and
// `ingest --chunk-bytes -1` read in pieces of 16 EiB, where a user who typed a sign meant
// something else. Header-only: `infertrace` and `infertrace-serve` both call it from
// parse_and_run(), once for the whole command tree, so no verb has to remember it.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace infertrace::cli {

// The check itself, for an option whose type name is not CLI11's own (see below) and so is not
// found by refuse_negative_unsigned(). The error reads "--seed: must not be negative (got -1)".
inline CLI::Option* refuse_negative(CLI::Option* opt) {
  // No description: the help's "UINT" stays as it was.
  opt->check(CLI::Validator(
      [](std::string& value) -> std::string {
        // strtoull skips leading white space before the sign, so the check does too.
        const size_t first = value.find_first_not_of(" \t\n\v\f\r");
        if (first != std::string::npos && value[first] == '-') return "must not be negative (got " + value + ")";
        return {};
      },
      ""));
  return opt;
}

// Adds refuse_negative() to every option of `app` and its subcommands (at any depth, option
// groups included) that holds unsigned integers: CLI11 names the type of those, alone or in a
// container, "UINT" (its type_name<T>(); a validator's description may follow after a ':'). An
// option given another type name with ->type_name() must call refuse_negative() itself.
inline void refuse_negative_unsigned(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    const std::string type = opt->get_type_name();
    if (type == "UINT" || type.rfind("UINT:", 0) == 0) refuse_negative(opt);
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) refuse_negative_unsigned(*sub);
}

}  // namespace infertrace::cli
