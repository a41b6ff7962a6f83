#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks (sudo when not root), then configures and builds
# the default preset. Safe to run again: it installs only missing packages and rebuilds
# incrementally.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config ccache git python3 python3-jinja2
  clang llvm libclang-rt-14-dev
  libsimdjson-dev libcli11-dev libfmt-dev nlohmann-json3-dev zlib1g-dev libzstd-dev libdeflate-dev
  libbpf-dev bpftool libelf-dev linux-libc-dev
  libsqlite3-dev sqlite3 libprotobuf-dev protobuf-compiler libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  chromium
  stress-ng iperf3 fio util-linux procps
  patchelf shellcheck
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    # A minimal Debian (debootstrap, some container and cloud images) has no sudo: say what to do
    # instead of failing on "sudo: command not found".
    if ! command -v sudo >/dev/null 2>&1; then
      echo "setup: these Debian packages are missing: ${missing[*]}" >&2
      echo "setup: installing them needs root, and sudo is not installed. Either run this script as" >&2
      echo "setup: root, or as root install sudo and let $(id -un) use it:" >&2
      echo "setup:   apt-get install sudo && adduser $(id -un) sudo   (then log in again)" >&2
      exit 1
    fi
    SUDO=(sudo)
  fi
  echo "setup: installing ${missing[*]}"
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

preset="${INFERTRACE_PRESET:-dev}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
