// Parses the command line into `app` (whose callbacks run the verb) and maps every outcome to the
// exit-code convention of util/error.h: 0 ok (or the verb's own findings code), 1 runtime/input
// error, 2 usage error; help and --version print and exit 0. Shared by `infertrace` and
// `infertrace-serve` (header-only: the second executable links no cli/ sources).
#pragma once

#include <CLI/CLI.hpp>

#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "cli/empty_values.h"
#include "cli/numeric_options.h"
#include "util/error.h"

namespace infertrace::cli {

// `verb_exit_code`: what a verb that completed set (findings); read after a successful parse.
inline int parse_and_run(CLI::App& app, int argc, char** argv, int (*verb_exit_code)()) {
  refuse_empty_values(app);    // first: "" is no number either, and this says so plainly
  check_numeric_options(app);  // every verb's numeric options, in one place
  std::vector<std::string> words(argv, argv + argc);
  if (const std::string refused = split_empty_equals(app, words); !refused.empty()) {
    std::cerr << "infertrace: error: " << refused << " (see --help)\n";
    return 2;  // usage error, as the same empty value given as its own word
  }
  std::vector<char*> word_ptrs;
  for (std::string& w : words) word_ptrs.push_back(w.data());
  try {
    app.parse(static_cast<int>(word_ptrs.size()), word_ptrs.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line in the form of every other error (CLI11's own print is two, without the prefix).
    std::cerr << "infertrace: error: " << e.what() << " (see --help)\n";
    return 2;  // usage error
  } catch (const Error& e) {
    std::cerr << "infertrace: error: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    std::cerr << "infertrace: error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "infertrace: error: " << e.what() << "\n";
    return 1;
  }
  return verb_exit_code();
}

}  // namespace infertrace::cli
