#!/usr/bin/env bash
# Fails unless the shipped shim is small and free of Foundation's ICU layer (issue 19): at most SHIM_MAX_BYTES
# (default 20 MB) as shipped, no symbol of ICU, FoundationInternationalization or full Foundation in its
# symbol file, and libstdc++ linked in (the Makefile's `release`; as a shared library it costs every shim
# ~70 KB). One stray Foundation API in a module the shim links (Yams once, `String.contains` bound through
# TOMLKit's import) links ~90 MB of ICU data and Foundation; this names the cause instead of shipping it.
#
#   scripts/check-shim-size.sh SHIPPED_SHIM SYMBOL_FILE
set -euo pipefail
shim=${1:?usage: check-shim-size.sh SHIPPED_SHIM SYMBOL_FILE}
symbols=${2:?usage: check-shim-size.sh SHIPPED_SHIM SYMBOL_FILE}
max=${SHIM_MAX_BYTES:-20000000}
status=0

bytes=$(stat -c %s "$shim")
if [ "$bytes" -gt "$max" ]; then
  echo "check-shim-size: $shim is $bytes bytes, over the $max allowed" >&2
  status=1
fi

# ICU's C API and C++ namespace carry its version (u_strlen_74, icu_74::); its data is icudt74_dat. Swift mangles
# the module names: 10Foundation (not 20FoundationEssentials), 26FoundationInternationalization.
pattern='(^|[^A-Za-z])(icu_[0-9]+|icudt[0-9]+|U_ICU)|s10Foundation|26FoundationInternationalization|_FoundationICU'
found=$(nm --defined-only "$symbols" | awk '{print $NF}' | grep -E "$pattern" || true)
if [ -n "$found" ]; then
  echo "check-shim-size: $shim links ICU or full Foundation ($(wc -l <<<"$found") symbols), e.g.:" >&2
  head -5 <<<"$found" | sed 's/^/  /' >&2
  status=1
fi
if readelf -d "$shim" | grep -q 'NEEDED.*libstdc++'; then
  echo "check-shim-size: $shim needs libstdc++.so; the release link should take libstdc++.a (Makefile, release)" >&2
  status=1
fi
[ "$status" -ne 0 ] || echo "check-shim-size: $shim: $bytes bytes (limit $max), no ICU or full Foundation"
exit $status
