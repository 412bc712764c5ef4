#!/usr/bin/env bash
# The micro-kernels' one source (Sources/KernelsHaswell, linked into KernelsGeneric and KernelsSkylakeX)
# must stay portable Swift: compile it for 64-bit ARM, with and without GRAPHC_FMA (what Package.swift
# passes on arm64). The toolchain here ships a standard library for aarch64 only in Embedded Swift,
# a stricter subset, so that is what this uses. The rest of the runtime is not built for ARM here.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/graphc-aarch64.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# The kernels import the C shims (inline functions only); SwiftPM would write these module maps.
{
  printf 'module CPrefetch {\n  header "%s"\n  export *\n}\n' "$root/Sources/CPrefetch/include/Prefetch.h"
  printf 'module CVectorShims {\n  umbrella "%s"\n  export *\n}\n' "$root/Sources/CVectorShims/include"
} > "$tmp/module.modulemap"
for define in "" "-D GRAPHC_FMA"; do
  # shellcheck disable=SC2086
  swiftc -target aarch64-none-none-elf -enable-experimental-feature Embedded -wmo -parse-as-library -O \
    -module-name Kernels $define -I "$tmp" -c "$root"/Sources/KernelsHaswell/*.swift -o "$tmp/kernels.o"
  # ELF e_machine (2 bytes at offset 18) is 183 (0xb7) for AArch64.
  [ "$(od -An -tu2 -j18 -N2 "$tmp/kernels.o" | tr -d ' ')" = 183 ] || { echo "error: not an aarch64 object" >&2; exit 1; }
done
echo "ok: the kernel source compiles for aarch64 (Embedded Swift), with and without GRAPHC_FMA"
