#!/usr/bin/env bash
# Packs what the GPU machine needs to run infertrace's GPU checks into build/gpu-bundle/ (ignored,
# so it travels only when named in the device tool's `carry`): the stripped binary, the shared
# libraries it uses beyond glibc and libstdc++ (the GPU machine has no Debian packages and no
# network), a copy of ../shared/tools (the capture and workload scripts, which do not travel
# with the checkout; SHARED_TOOLS=DIR names another copy), and the stripped unit-test binary (its
# CUDA engine tests run only where a GPU is). Then run scripts/gpu_checks.sh there.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --build --preset dev --target infertrace infertrace_tests
cupti_lib=build/dev/src/libinfertrace_cupti.so  # the --cuda cupti injection library, when CUPTI was found
b=build/gpu-bundle
rm -rf "$b"
mkdir -p "$b/lib" "$b/tools"
strip -o "$b/infertrace" build/dev/src/infertrace
strip -o "$b/infertrace_tests" build/dev/tests/infertrace_tests
ldd build/dev/src/infertrace build/dev/tests/infertrace_tests | awk '$2 == "=>" && $3 ~ /^\// {print $3}' |
  grep -v -E '/(libc|libm|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' | sort -u | while read -r lib; do cp -L "$lib" "$b/lib/"; done
# The binaries find lib/ through their own RUNPATH, never through LD_LIBRARY_PATH: a traced program
# inherits the environment, and Debian 12's libz/libprotobuf/... must not replace what PyTorch loads.
command -v patchelf >/dev/null || { echo "gpu_bundle: patchelf is missing (scripts/setup.sh installs it)" >&2; exit 1; }
patchelf --set-rpath '$ORIGIN/lib' "$b/infertrace"
patchelf --set-rpath '$ORIGIN/lib' "$b/infertrace_tests"
if [ -f "$cupti_lib" ]; then
  # Next to the binary, where `record --cuda cupti` looks first; with libcupti beside it in cupti/
  # (the library's RUNPATH), not in lib/, so that nothing else finds it: PyTorch loads its own.
  strip -o "$b/$(basename "$cupti_lib")" "$cupti_lib"
  mkdir -p "$b/cupti"
  ldd "$cupti_lib" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | grep -E '/libcupti\.so' | while read -r lib; do cp -L "$lib" "$b/cupti/"; done
fi
# ../shared sits beside the main checkout, not beside a worktree of it: look there too (git's common
# directory is the main checkout's .git). Parts 20, 32 and 35 cannot run without these two scripts,
# so a bundle without them is refused rather than carried to a machine where nobody can add them.
tools=${SHARED_TOOLS:-}
for d in ../shared/tools "$(git rev-parse --path-format=absolute --git-common-dir 2>/dev/null)/../../shared/tools"; do
  [ -z "$tools" ] && [ -f "$d/kineto_capture.py" ] && tools=$d
done
for t in kineto_capture.py launch_workloads.py; do
  [ -f "${tools:-.}/$t" ] || { echo "gpu_bundle: no $t in ${tools:-../shared/tools} (set SHARED_TOOLS=DIR)" >&2; exit 1; }
done
cp "$tools"/*.py "$b/tools/"
# Optional: cuda_sched_trace for the side-by-side overhead part (35): a statically linked build made
# outside this repository (third-party code, never committed here), named by CUDA_SCHED_TRACE.
if [ -n "${CUDA_SCHED_TRACE:-}" ]; then
  [ -x "$CUDA_SCHED_TRACE" ] || { echo "gpu_bundle: CUDA_SCHED_TRACE=$CUDA_SCHED_TRACE is not an executable" >&2; exit 1; }
  mkdir -p "$b/bin" && strip -o "$b/bin/cuda_sched_trace" "$CUDA_SCHED_TRACE"
fi
# The neighbours of `bench interference` (part 70): the GPU machine has no Debian packages, so
# stress-ng, iperf3, fio (and taskset) travel with every shared library they load beyond glibc and
# libstdc++. Those libraries (about 100 MB, fio pulls in ceph and glusterfs) must not shadow what
# PyTorch loads there, so they live in their own lib/ reached only through per-tool wrappers, and the
# whole set travels as one xz tarball (about 25 MB) that part 70 unpacks. NOISE_TOOLS=0 leaves it out.
if [ "${NOISE_TOOLS:-1}" != 0 ]; then
  nt=$(mktemp -d)
  mkdir -p "$nt/bin" "$nt/libexec" "$nt/lib"
  for tool in stress-ng iperf3 fio taskset; do
    path=$(command -v "$tool" || true)
    if [ -z "$path" ]; then echo "gpu_bundle: $tool is not installed here (scripts/setup.sh installs it): part 70 will lack it" >&2; continue; fi
    cp -L "$path" "$nt/libexec/$tool"
    libs=$(ldd "$path" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' |
      { grep -v -E '/(libc|libm|libdl|libpthread|librt|libresolv|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' || true; })
    for lib in $libs; do cp -L -n "$lib" "$nt/lib/"; done
    if [ -z "$libs" ]; then
      # taskset needs nothing beyond glibc, and it execs the measured command (`bench interference`'s
      # pinned and isolated scenarios run `taskset -c N nice -n -10 python3 ...`): its wrapper must
      # not hand that PyTorch process an LD_LIBRARY_PATH full of Debian 12 libraries.
      printf '#!/bin/sh\nexec "$(dirname "$0")/../libexec/%s" "$@"\n' "$tool" >"$nt/bin/$tool"
    else
      printf '#!/bin/sh\nd=$(dirname "$0")/..\nLD_LIBRARY_PATH="$d/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$d/libexec/%s" "$@"\n' "$tool" >"$nt/bin/$tool"
    fi
    chmod +x "$nt/bin/$tool"
  done
  tar cJf "$b/noise-tools.tar.xz" -C "$nt" . && rm -rf "$nt"
fi
# The device tool carries at most 64 MiB: this bundle plus every tracked file (and any untracked file
# git does not ignore) of the checkout the session runs from.
bundle_bytes=$(du -sb "$b" | cut -f1)
tree_bytes=$(git ls-files -z --cached --others --exclude-standard | { du -cb --files0-from=- 2>/dev/null || true; } | tail -n 1 | cut -f1)
tree_bytes=${tree_bytes:-0}
echo "gpu_bundle: $b $((bundle_bytes >> 20)) MiB + working tree $((tree_bytes >> 20)) MiB = $(((bundle_bytes + tree_bytes) >> 20)) MiB of the 64 MiB carry limit"
[ $((bundle_bytes + tree_bytes)) -le $((64 << 20)) ] || { echo "gpu_bundle: over the 64 MiB limit (NOISE_TOOLS=0 saves $(( $(stat -c %s "$b/noise-tools.tar.xz" 2>/dev/null || echo 0) >> 20)) MiB)" >&2; exit 1; }
