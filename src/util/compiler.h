// Compiler portability for the few function attributes the code relies on.
#pragma once

// Vectorise one hot loop at -O3 while the rest of the file stays at the build's level. GCC needs it
// (its -O2 does not vectorise these loops); clang vectorises them at -O2 and has no such attribute.
#if defined(__clang__)
#define INFERTRACE_HOT_LOOP
#else
#define INFERTRACE_HOT_LOOP __attribute__((optimize("O3")))
#endif
