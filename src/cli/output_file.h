// Single-file outputs of the verbs (export's Perfetto/SQLite/Chrome files, report's HTML page):
// checked before anything is read, and written so that a failure leaves nothing half-written.
#pragma once

#include <string>
#include <vector>

#include "util/error.h"
#include "util/output_target.h"
#include "util/write_whole.h"

namespace infertrace::cli {

// Throws Error when `out` is a directory (SQLite's open would remove an empty one) or one of the
// inputs (it would be overwritten); `what` names the inputs in the message ("the input trace").
void check_output_file(const std::string& out, const std::vector<std::string>& inputs, const std::string& what);

// write_whole lives in util/ (report/, engine/ and bench use it too); cli callers name it as before.
using infertrace::write_whole;

}  // namespace infertrace::cli
