// Lists kept in a recording's META as one comma-joined value ("LOC,RES,CAL": the system vectors
// traced, CUPTI's refused callback names): read back into their names.
#pragma once

#include <string>
#include <vector>

namespace infertrace {

// "a,b,c" -> {"a", "b", "c"}; "" -> {} (no names, not one empty name). An empty field between two
// commas stays an empty name, so a list reads back with as many names as were joined.
std::vector<std::string> split_commas(const std::string& s);

}  // namespace infertrace
