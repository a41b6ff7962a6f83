// Why a write to standard output failed. glibc's stdout drops a buffer whose write failed and keeps
// only its error flag: the final flush, with nothing left to write, has no errno, so `analyze
// --json T > /dev/full` could say only "a write to it failed" (review CA L11). Once watched, every
// write of stdout (and of std::cout, which writes through it) goes through one function that keeps
// the errno of the first one that fails.
#pragma once

namespace infertrace {

// Makes stdout (and std::cout) a stream whose writes go to file descriptor 1 as before, with the
// same buffering (lines on a terminal, blocks elsewhere), through a function that records the first
// write error. Call before anything is written; later calls do nothing.
void watch_standard_output();

// The errno of the first write to standard output that failed since watch_standard_output(); 0
// when none failed (or it was never called).
int standard_output_write_errno();

}  // namespace infertrace
