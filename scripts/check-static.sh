#!/usr/bin/env bash
# Fails unless every named binary links only libc-level system libraries, so it runs on a node
# with no Swift runtime installed. CHECK_STATIC_ALLOW adds a regex alternative for a binary that ships
# in its own image with that library (the controller and zlib).
set -euo pipefail
allowed='^(linux-vdso\.so|libc\.so|libm\.so|libdl\.so|libpthread\.so|librt\.so|libutil\.so|ld-linux-x86-64\.so|ld-linux-aarch64\.so|libgcc_s\.so|libstdc\+\+\.so'"${CHECK_STATIC_ALLOW:+|$CHECK_STATIC_ALLOW}"')'
status=0
for bin in "$@"; do
  libs=$(ldd "$bin" | awk '{print $1}' | sed 's#.*/##')
  bad=$(grep -Ev "$allowed" <<<"$libs" || true)
  if [ -n "$bad" ]; then
    echo "check-static: $bin links non-system libraries: $(echo $bad)" >&2
    status=1
  else
    echo "check-static: $bin: $(echo $libs)"
  fi
done
exit $status
