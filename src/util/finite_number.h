// Real numbers read out of text a program printed (bench interference's --metric-regex group 1),
// without std::stod: it takes "12abc" as 12 and "inf" or "nan" as numbers, so a throughput of
// infinity or a unit glued to the figure passed as a measurement (review BD L9).
#pragma once

#include <optional>
#include <string_view>

namespace infertrace {

// The whole text (ASCII white space around it aside) as a finite decimal number: digits with an
// optional leading '-', fraction and exponent ("12", "-0.5", "1.5e3"). nullopt for anything else:
// a suffix ("12abc", "12 ms"), infinity, NaN, hexadecimal, a value beyond double ("1e999"), empty.
std::optional<double> parse_finite_number(std::string_view text);

}  // namespace infertrace
