#include "serve/energy_meter.h"

#include <time.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "util/error.h"

namespace infertrace::serve {

namespace {

bool read_line(const std::string& path, std::string& out) {
  std::ifstream in(path);
  if (!in || !std::getline(in, out)) return false;
  return true;
}

bool read_u64(const std::string& path, uint64_t& v) {
  std::string s;
  if (!read_line(path, s) || s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return false;
  try {
    v = std::stoull(s);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

EnergyMeter::EnergyMeter(const std::string& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    why_not_ = "no powercap interface (" + root + " is missing: no RAPL on this machine or in this VM)";
    return;
  }
  std::vector<std::string> unreadable;
  std::vector<std::string> dirs;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    const std::string n = e.path().filename().string();
    // Top-level zones only ("intel-rapl:0"); "intel-rapl:0:1" are sub-zones (core, uncore, dram)
    // already counted in their package.
    const size_t colon = n.find(':');
    if (colon == std::string::npos || n.find(':', colon + 1) != std::string::npos) continue;
    dirs.push_back(e.path().string());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    std::string name;
    if (!read_line(dir + "/name", name) || name.rfind("package", 0) != 0) continue;
    Domain d{name + " (" + fs::path(dir).filename().string() + ")", dir, 0};
    uint64_t v = 0;
    if (!read_u64(dir + "/energy_uj", v) || !read_u64(dir + "/max_energy_range_uj", d.range_uj)) {
      unreadable.push_back(d.name);
      continue;
    }
    domains_.push_back(d);
  }
  if (domains_.empty()) {
    why_not_ = unreadable.empty() ? "no package domain under " + root
                                  : "package energy counters not readable (root only since Linux 5.10): " + unreadable.front();
  }
}

std::vector<std::string> EnergyMeter::domain_names() const {
  std::vector<std::string> v;
  for (const auto& d : domains_) v.push_back(d.name);
  return v;
}

EnergyMeter::Reading EnergyMeter::read() const {
  Reading r;
  r.t_ns = now_ns();
  for (const auto& d : domains_) {
    uint64_t v = 0;
    if (!read_u64(d.dir + "/energy_uj", v)) throw Error("cannot read " + d.dir + "/energy_uj");
    r.uj.push_back(v);
  }
  return r;
}

double EnergyMeter::joules(const Reading& a, const Reading& b) const {
  double uj = 0;
  for (size_t i = 0; i < domains_.size() && i < a.uj.size() && i < b.uj.size(); ++i) {
    if (b.uj[i] >= a.uj[i]) {
      uj += static_cast<double>(b.uj[i] - a.uj[i]);
    } else {  // wrapped: up to the range, then from zero
      const uint64_t range = std::max(domains_[i].range_uj, a.uj[i]);
      uj += static_cast<double>(range - a.uj[i]) + static_cast<double>(b.uj[i]);
    }
  }
  return uj / 1e6;
}

}  // namespace infertrace::serve
