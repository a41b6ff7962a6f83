// CPU package energy from Linux powercap (Intel RAPL; recent kernels expose AMD's counters under
// the same intel-rapl names). Seed 003 reads wall power over IPMI; powercap needs nothing outside
// the machine but covers only the packages (cores, caches, and on most parts the memory
// controller), not DRAM on every part nor the rest of the box: docs/serve.md says so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace infertrace::serve {

class EnergyMeter {
 public:
  // `root`: the powercap directory (tests point it at a fake tree).
  explicit EnergyMeter(const std::string& root = "/sys/class/powercap");

  bool supported() const { return !domains_.empty(); }
  // Why not, when unsupported (no powercap, no package domain, counters not readable).
  const std::string& why_not() const { return why_not_; }
  // "package-0 (intel-rapl:0)", ...
  std::vector<std::string> domain_names() const;

  struct Reading {
    std::vector<uint64_t> uj;  // per domain
    int64_t t_ns = 0;          // CLOCK_MONOTONIC
  };
  Reading read() const;
  // Joules consumed from `a` to `b` over all package domains; a counter that wrapped (it resets at
  // max_energy_range_uj) is counted once around.
  double joules(const Reading& a, const Reading& b) const;

 private:
  struct Domain {
    std::string name, dir;
    uint64_t range_uj = 0;
  };
  std::vector<Domain> domains_;
  std::string why_not_;
};

}  // namespace infertrace::serve
