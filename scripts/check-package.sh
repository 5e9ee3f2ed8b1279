#!/usr/bin/env bash
# Builds the Debian package (make package) and checks what it holds: the
# binary, the systemd unit, the example configuration, the man page, the docs,
# the Prometheus rules and the Grafana dashboard, its control fields and
# dependencies, and that the packaged binary runs. (`make test-package` installs
# it on a fresh Debian 12 root: scripts/test-package.sh.)
# Usage: scripts/check-package.sh [PACKAGE.deb]   (a given .deb is checked, not built)
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "check-package: FAIL: $*" >&2; exit 1; }

deb="${1:-}"
if [[ -z "$deb" ]]; then
  make package
  package_dir="${PACKAGE_DIR:-build-package}"
  deb=$(ls -t "$package_dir"/omswatch_*.deb 2>/dev/null | head -n 1)
  [[ -n "$deb" ]] || fail "make package left no omswatch_*.deb in $package_dir"
fi
[[ -f "$deb" ]] || fail "$deb does not exist"
echo "check-package: $deb ($(du -h "$deb" | cut -f1))"

contents=$(dpkg -c "$deb")
echo "$contents"
for path in ./usr/bin/omswatch ./lib/systemd/system/omswatch.service \
            ./etc/omswatch/omswatch.toml.example ./usr/share/man/man1/omswatch.1.gz \
            ./usr/share/doc/omswatch/operations.md ./usr/share/doc/omswatch/configuration.md; do
  grep -q " $path\$" <<<"$contents" || fail "$path is not in the package"
done
# The Prometheus rules and the Grafana dashboard: every file of contrib/prometheus/
# (but its promtool tests) and of contrib/grafana/, under /usr/share/omswatch/.
for dir in prometheus grafana; do
  grep -q " ./usr/share/omswatch/$dir/\$" <<<"$contents" || fail "/usr/share/omswatch/$dir/ is not in the package"
  while IFS= read -r file; do
    grep -q " ./usr/share/omswatch/$dir/$file\$" <<<"$contents" ||
      fail "contrib/$dir/$file is not in the package as /usr/share/omswatch/$dir/$file"
  done < <(cd "contrib/$dir" && find . -type f ! -path './tests/*' | sed 's|^\./||' | sort)
done
grep -q ' ./usr/share/omswatch/prometheus/tests/' <<<"$contents" &&
  fail "the promtool tests of contrib/prometheus/tests/ are in the package"
grep -q -- '-rwxr-xr-x root/root .* ./usr/bin/omswatch$' <<<"$contents" ||
  fail "/usr/bin/omswatch is not an executable owned by root"

info=$(dpkg-deb -I "$deb")
echo "$info"
field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == omswatch ]] || fail "Package is '$(field Package)'"
[[ $(field Maintainer) == "omswatch developers" ]] || fail "Maintainer is '$(field Maintainer)'"
[[ -n $(field Description) ]] || fail "no Description"
depends=$(field Depends)
for lib in libc6 libsqlite3-0 libssl3 libsystemd0 libspdlog1.10 libstdc++6 ca-certificates adduser; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
# Listed first: a `grep -q` that stops reading would kill tar with SIGPIPE (pipefail).
control_files=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t)
grep -qx './conffiles' <<<"$control_files" || fail "no conffiles"
[[ $(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles) == /etc/omswatch/omswatch.toml.example ]] ||
  fail "conffiles does not list the example"

# What the package installs, unpacked: the binary runs and is stripped, the
# man page renders without warnings, the unit is the one in systemd/.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
version=$("$root/usr/bin/omswatch" version) || fail "the packaged omswatch does not run"
echo "check-package: packaged binary says: $version"
file "$root/usr/bin/omswatch" | grep -q ', stripped' || fail "/usr/bin/omswatch is not stripped"
warnings=$(zcat "$root/usr/share/man/man1/omswatch.1.gz" | groff -man -Tutf8 -ww -z 2>&1)
[[ -z "$warnings" ]] || fail "the man page has warnings: $warnings"
cmp -s "$root/lib/systemd/system/omswatch.service" systemd/omswatch.service ||
  fail "the packaged unit differs from systemd/omswatch.service"

echo "check-package: OK"
