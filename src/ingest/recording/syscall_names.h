// Names of x86-64 syscall numbers (from the kernel's UAPI header at build time).
#pragma once

#include <string_view>

namespace infertrace {

// "" when the number is unknown.
std::string_view syscall_name_x86_64(int nr);

}  // namespace infertrace
