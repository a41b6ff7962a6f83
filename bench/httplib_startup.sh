#!/usr/bin/env bash
# Why the serving verbs live in their own executable: the start-up cost a program pays for linking
# Debian's cpp-httplib (a shared library that loads OpenSSL, brotli and zlib), measured on two
# otherwise identical tiny programs, N execs each, rounds interleaved (A B A B). Prints ms per exec.
# Usage: bench/httplib_startup.sh [EXECS_PER_ROUND] [ROUNDS]
set -euo pipefail
n="${1:-300}"
rounds="${2:-5}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
cat > "$dir/with.cpp" <<'CPP'
#include <httplib.h>
#include <cstdio>
// The client is referenced (never run) so the library stays linked.
int main(int argc, char**) { if (argc > 5) { httplib::Client c("127.0.0.1", 1); c.Get("/"); } std::puts("x"); }
CPP
cat > "$dir/without.cpp" <<'CPP'
#include <cstdio>
int main() { std::puts("x"); }
CPP
g++ -O2 "$dir/with.cpp" -o "$dir/with" -lcpp-httplib
g++ -O2 "$dir/without.cpp" -o "$dir/without"
echo "libraries loaded: without $(ldd "$dir/without" | wc -l), with cpp-httplib $(ldd "$dir/with" | wc -l)"
time_execs() {
  local bin="$1" t0 t1
  t0=$(date +%s%N)
  for _ in $(seq "$n"); do "$bin" >/dev/null; done
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / n ))
}
without=() with=()
for _ in $(seq "$rounds"); do
  without+=("$(time_execs "$dir/without")")
  with+=("$(time_execs "$dir/with")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mw=$(median "${without[@]}")
mh=$(median "${with[@]}")
awk -v a="$mw" -v b="$mh" -v r="$rounds" -v n="$n" 'BEGIN {
  printf "median over %d rounds of %d execs: without %.2f ms, with cpp-httplib %.2f ms per exec (+%.2f ms)\n",
         r, n, a / 1e6, b / 1e6, (b - a) / 1e6 }'
