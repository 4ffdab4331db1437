#!/usr/bin/env bash
# Fetches the pinned containerd and runsc builds of the version matrix (integration/versions/pins.txt)
# from Debian's archive and unpacks each into .cache/versions/NAME with `dpkg -x`. Nothing is installed
# system-wide: apt runs with its own sources list, lists, cache and an empty status file under
# .cache/versions/apt. Idempotent: a NAME already unpacked at its pinned version is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
pins=integration/versions/pins.txt
dest=.cache/versions
apt_dir=$dest/apt
mkdir -p "$apt_dir"/{lists/partial,archives/partial,etc} "$dest"
apt_dir=$(cd "$apt_dir" && pwd)

wanted=$(grep -v '^#' "$pins" | awk 'NF >= 5')
missing=0
while read -r name pkg version suite arch; do
  [ -f "$dest/$name/.version" ] && [ "$(cat "$dest/$name/.version")" = "$pkg=$version" ] || missing=1
done <<<"$wanted"
[ "$missing" = 0 ] && exit 0

suites=$(awk '{print $4}' <<<"$wanted" | sort -u)
archs=$(awk '{print $5}' <<<"$wanted" | sort -u | paste -sd, -)
: >"$apt_dir/etc/sources.list"
for s in $suites; do
  echo "deb [arch=$archs signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $s main" \
    >>"$apt_dir/etc/sources.list"
done
touch "$apt_dir/status"
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir" -o "Dir::Cache::archives=$apt_dir/archives"
  -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null -o "Dir::State::status=$apt_dir/status"
  -o "APT::Architectures=$archs" -o Debug::NoLocking=1 -o APT::Sandbox::User=root -q)
echo "fetch-versions: updating private package lists ($(echo $suites))"
apt-get "${apt_opts[@]}" update >"$apt_dir/update.log" 2>&1 || {
  echo "fetch-versions: apt-get update failed; see $apt_dir/update.log" >&2
  exit 1
}
while read -r name pkg version suite arch; do
  [ -f "$dest/$name/.version" ] && [ "$(cat "$dest/$name/.version")" = "$pkg=$version" ] && continue
  if ! apt-cache "${apt_opts[@]}" madison "$pkg:$arch" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' |
    grep -qxF "$version"; then
    echo "fetch-versions: $pkg $version ($arch) is no longer in Debian's $suite; available:" >&2
    apt-cache "${apt_opts[@]}" madison "$pkg:$arch" >&2 || true
    echo "fetch-versions: update the pin for $name in $pins" >&2
    exit 1
  fi
  rm -f "$apt_dir"/archives/"${pkg}"_*.deb
  (cd "$apt_dir/archives" && apt-get "${apt_opts[@]}" download "$pkg:$arch=$version" >/dev/null)
  rm -rf "$dest/$name"
  mkdir -p "$dest/$name"
  dpkg -x "$apt_dir"/archives/"${pkg}"_*_"$arch".deb "$dest/$name"
  echo "$pkg=$version" >"$dest/$name/.version"
  echo "fetch-versions: $name ← $pkg $version ($suite, $arch)"
done <<<"$wanted"
