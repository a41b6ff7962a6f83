// The Kineto reader's simdjson part compiled for the build's own target: on plain x86-64 that is
// simdjson's portable "fallback" on-demand kernel. Runs where the Haswell copy cannot.
#include <simdjson.h>

#define INFERTRACE_KINETO_KERNEL_NS generic_kernel
#include "ingest/kineto/piece_reader_impl.h"
