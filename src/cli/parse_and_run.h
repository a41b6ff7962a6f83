// Parses the command line into `app` (whose callbacks run the verb) and maps every outcome to the
// exit-code convention of util/error.h: 0 ok (or the verb's own findings code), 1 runtime/input
// error, 2 usage error; help and --version print and exit 0. Shared by `infertrace` and
// `infertrace-serve` (header-only: the second executable links no cli/ sources).
#pragma once

#include <CLI/CLI.hpp>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "cli/empty_values.h"
#include "cli/help_format.h"
#include "cli/numeric_options.h"
#include "cli/unexpected_words.h"
#include "util/error.h"
#include "util/text_clean.h"
#include "util/watched_stdout.h"

namespace infertrace::cli {

// Whether what the verb wrote to standard output reached it. A write to a full disk or a closed
// file fails only when the buffer is flushed, after the verb returned: unchecked, `analyze --json
// T > out.json` on a full disk left an empty file and exit 0 (audit EW M1). std::cout writes
// through C's stdout, so both are flushed and checked. Empty when all went out, else why not: the
// errno of the first write that failed (util/watched_stdout.h), which may have been long before
// this flush (glibc's own stdout kept only its error flag: "a write to it failed", review CA L11).
inline std::string standard_output_error() {
  errno = 0;  // (std::cout's flush is stdout's fflush: the error may come from either)
  std::cout.flush();
  const bool stdio_failed = std::fflush(stdout) != 0 || std::ferror(stdout);
  const int err = standard_output_write_errno() != 0 ? standard_output_write_errno() : errno;
  if (!stdio_failed && std::cout.good()) return {};
  return err != 0 ? std::strerror(err) : "a write to it failed";
}

// `code` when standard output took everything, else 1 (a runtime error: what was printed is
// incomplete, whatever the verb found) with the reason on stderr.
inline int checked_output(int code) {
  const std::string why = standard_output_error();
  if (why.empty()) return code;
  std::cerr << "infertrace: error: cannot write standard output: " << why << "\n";
  return 1;
}

// The first `--NAME` (or `--NAME=VALUE`, returned whole) before a `--` that the verb on the command line (and its
// sub-verbs) has no option for; "" when there is none. Asked only once parsing failed: CLI11 can
// report another word instead (record's `--durration 1 -- CMD ARGS` read 1 as the command and
// named ARGS as unexpected; a missing required argument hid it: review DJ M2, S42 M2).
inline std::string unknown_long_option(CLI::App& app, const std::vector<std::string>& words) {
  // (this CLI11 has no get_subcommand that returns null for an unknown name)
  const auto sub_named = [](CLI::App* parent, const std::string& name) -> CLI::App* {
    const auto subs = parent->get_subcommands([&name](CLI::App* a) { return a->check_name(name); });
    return subs.empty() ? nullptr : subs.front();
  };
  if (words.size() < 2) return "";
  CLI::App* verb = sub_named(&app, words[1]);
  if (!verb) return "";
  size_t i = 2;
  while (i < words.size())
    if (CLI::App* sub = sub_named(verb, words[i])) verb = sub, ++i;
    else break;
  for (; i < words.size() && words[i] != "--"; ++i) {
    const std::string& w = words[i];
    if (w.size() < 3 || w.compare(0, 2, "--") != 0) continue;
    const std::string name = w.substr(0, w.find('='));
    if (!verb->get_option_no_throw(name) && !app.get_option_no_throw(name)) return w;  // as given: "--size-mib="
  }
  return "";
}

// "unknown verb 'threadz' of bench (its verbs: threads, membw, ...)" when the words stop at a (sub)command
// that needs a sub-verb and the next word names none of them; "" otherwise. CLI11 says only "A
// subcommand is required", which reads as if none was given (`bench threadz`, `model foo`, `engine
// runn`; main.cpp says this for the top level of `infertrace`; review CA L1).
inline std::string unknown_subcommand(CLI::App& app, const std::vector<std::string>& words) {
  const auto subs_of = [](CLI::App* parent) {
    return parent->get_subcommands([](CLI::App* a) { return !a->get_name().empty(); });
  };
  CLI::App* at = &app;
  std::string path;  // the words that named subcommands: "bench"
  size_t i = 1;
  for (; i < words.size(); ++i) {
    CLI::App* next = nullptr;
    for (CLI::App* sub : subs_of(at))
      if (sub->check_name(words[i])) next = sub;
    if (!next) break;
    at = next;
    path += (path.empty() ? "" : " ") + words[i];
  }
  if (i >= words.size() || at->get_require_subcommand_min() == 0) return "";
  const std::string& word = words[i];
  if (word.empty() || word[0] == '-') return "";  // an option (or `--`): CLI11's message is about it
  std::string names;
  for (CLI::App* sub : subs_of(at)) names += (names.empty() ? "" : ", ") + sub->get_name();
  // The word quoted as numeric values are (escaped_text, a backslash doubled): a control byte went
  // to the terminal raw (parse_and_run escapes whole messages too, backslashes left alone).
  if (path.empty()) return "unknown verb '" + escaped_text(word) + "' (verbs: " + names + ")";
  return "unknown verb '" + escaped_text(word) + "' of " + path + " (its verbs: " + names + ")";
}

// What a usage error says, for parse_and_run's one line. CLI11's RequiredError and ExtrasError can
// hide the word at fault: a mistyped sub-verb (`bench threadz`: "A subcommand is required") or an
// unknown option; any other is CLI11's own text.
inline std::string usage_error_text(CLI::App& app, const std::vector<std::string>& words, const CLI::ParseError& e) {
  const bool required = dynamic_cast<const CLI::RequiredError*>(&e) != nullptr;
  if (!required && !dynamic_cast<const CLI::ExtrasError*>(&e)) return e.what();
  if (std::string sub = unknown_subcommand(app, words); !sub.empty()) return sub;
  std::string unknown = unknown_long_option(app, words);
  if (required) {
    // CLI11 checks requirements before it complains about words it did not take: `analyze
    // --trcaes T` said "traces is required" and hid the misspelt option (review DJ M2). An unknown
    // option is the error to name (a lone "-" is a path, "-5" a number, "--" the end of options).
    for (const std::string& w : app.remaining(true))
      if (unknown.empty() && w.size() > 1 && w != "--" && w[0] == '-' &&
          !std::isdigit(static_cast<unsigned char>(w[1])) && w[1] != '.')
        unknown = w;
    return !unknown.empty() ? "The following argument was not expected: " + escaped_text(unknown) : std::string(e.what());
  }
  const std::string extras = unexpected_words(words, app.remaining(true));
  return !unknown.empty() ? "The following argument was not expected: " + escaped_text(unknown)
         : !extras.empty() ? extras
                           : std::string(e.what());
}

// `verb_exit_code`: what a verb that completed set (findings); read after a successful parse.
inline int parse_and_run(CLI::App& app, int argc, char** argv, int (*verb_exit_code)()) {
  watch_standard_output();     // before anything is written: a failed write's errno is kept
  refuse_empty_values(app);    // first: "" is no number either, and this says so plainly
  check_numeric_options(app);  // every verb's numeric options, in one place
  use_help_format(app);        // usage lines without hidden positionals
  std::vector<std::string> words(argv, argv + argc);
  if (const std::string refused = split_empty_equals(app, words); !refused.empty()) {
    std::cerr << "infertrace: error: " << terminal_safe_message(refused) << " (see --help)\n";
    return 2;  // usage error, as the same empty value given as its own word
  }
  std::vector<char*> word_ptrs;
  for (std::string& w : words) word_ptrs.push_back(w.data());
  try {
    app.parse(static_cast<int>(word_ptrs.size()), word_ptrs.data());
  } catch (const CLI::CallForHelp& e) {
    return checked_output(app.exit(e));
  } catch (const CLI::CallForAllHelp& e) {
    return checked_output(app.exit(e));
  } catch (const CLI::CallForVersion& e) {
    return checked_output(app.exit(e));
  } catch (const CLI::ParseError& e) {
    // One line in the form of every other error (CLI11's own print is two, without the prefix).
    std::cerr << "infertrace: error: " << terminal_safe_message(usage_error_text(app, words, e)) << " (see --help)\n";
    return 2;  // usage error
  } catch (const Error& e) {
    // Messages quote paths and values as given: escaped here once for all of them (review S55 M1).
    std::cerr << "infertrace: error: " << terminal_safe_message(e.what()) << "\n";
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    std::cerr << "infertrace: error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "infertrace: error: " << terminal_safe_message(e.what()) << "\n";
    return 1;
  }
  return checked_output(verb_exit_code());
}

}  // namespace infertrace::cli
