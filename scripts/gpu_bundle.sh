#!/usr/bin/env bash
# Packs what the GPU machine needs to run infertrace's GPU checks into build/gpu-bundle/ (ignored,
# so it travels only when named in the device tool's `carry`): the stripped binary, the shared
# libraries it uses beyond glibc and libstdc++ (the GPU machine has no Debian packages and no
# network), and a copy of ../shared/tools (the capture and workload
# scripts, which do not travel with the checkout), and the stripped unit-test binary (its CUDA
# engine tests run only where a GPU is). Then run scripts/gpu_checks.sh there.
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
if [ -f "$cupti_lib" ]; then
  # Next to the binary, where `record --cuda cupti` looks first; with libcupti beside it in lib/
  # (found through LD_LIBRARY_PATH, which gpu_checks.sh sets and the traced command inherits).
  strip -o "$b/$(basename "$cupti_lib")" "$cupti_lib"
  ldd "$cupti_lib" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | grep -E '/libcupti\.so' | while read -r lib; do cp -L "$lib" "$b/lib/"; done
fi
if [ -d ../shared/tools ]; then cp ../shared/tools/*.py "$b/tools/"; fi
du -sh "$b"
