#!/usr/bin/env bash
# `make test-package`: the Debian package installs and runs on a clean Debian 12.
#
#   1. make package, then scripts/check-package.sh on the .deb (its contents);
#   2. a fresh minimal Debian 12 root (debootstrap --variant=minbase bookworm
#      from this machine's mirror; scripts/debian-root.sh, shared with make
#      test-minimal; the bare root is cached in $PACKAGE_DIR/debian-root for a
#      week);
#   3. `apt-get install --no-install-recommends ./omswatch_*.deb` in it, so that
#      apt resolves the package's Depends (and nothing else) from Debian's
#      repository: what the package pulled in is printed;
#   4. in the root: `omswatch --version` names the package's version, `omswatch
#      check-config` passes on the installed example (with the credentials and
#      environment variables it names), the user omswatch exists, the system's
#      CA certificates are there for HTTPS, and /usr/share/omswatch/prometheus
#      and /usr/share/omswatch/grafana hold the rules and the dashboard.
#
# Usage: scripts/test-package.sh [PACKAGE.deb]   (a given .deb is installed, not built)
# Needs root (debootstrap, chroot, mount) and the network to the mirror; about
# 10 minutes on 2 cores, most of it the Release build. KEEP_ROOT=1 keeps the root.
set -euo pipefail
cd "$(dirname "$0")/.."

note() { echo "test-package: $*"; }
fail() {
  echo "test-package: FAILED: $*" >&2
  exit 1
}

[[ $(id -u) -eq 0 ]] || fail "needs root (debootstrap, chroot, mount): sudo make test-package"
package_dir=${PACKAGE_DIR:-build-package}
summary=()
start=$SECONDS

# ---- 1. the package and its contents
deb=${1:-}
if [[ -z "$deb" ]]; then
  t0=$SECONDS
  note "make package"
  make package PACKAGE_DIR="$package_dir" || fail "make package"
  # shellcheck disable=SC2012 # the newest; the names are omswatch_VERSION_ARCH.deb
  deb=$(ls -t "$package_dir"/omswatch_*.deb 2>/dev/null | head -n 1)
  [[ -n "$deb" ]] || fail "make package left no omswatch_*.deb in $package_dir"
  summary+=("make package: $((SECONDS - t0)) s")
fi
[[ -f "$deb" ]] || fail "$deb does not exist"
mkdir -p "$package_dir"
scripts/check-package.sh "$deb" >"$package_dir/check-package.log" 2>&1 ||
  { tail -n 20 "$package_dir/check-package.log"; fail "scripts/check-package.sh $deb"; }
note "scripts/check-package.sh $deb: OK"
version=$(dpkg-deb -f "$deb" Version)
note "$(basename "$deb"): version $version, Depends: $(dpkg-deb -f "$deb" Depends)"

# ---- 2. a fresh minimal Debian 12 root
# shellcheck source=scripts/debian-root.sh
source scripts/debian-root.sh
debian_root_create "$package_dir/debian-root/bookworm-minbase.tar.gz"
in_root() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  TERM=dumb LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
# shellcheck disable=SC2016 # dpkg-query's own ${...}
installed() { in_root dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Version}\n' | awk '$1 == "ii" { print $2, $3 }' | sort; }

# ---- 3. apt installs the package and what it depends on
cp "$deb" "$root/tmp/"
before=$(installed)
t0=$SECONDS
log=$package_dir/test-package-apt.log
note "apt-get update, then apt-get install --no-install-recommends ./$(basename "$deb") in the root"
in_root apt-get update -q >"$log" 2>&1 || { tail -n 20 "$log"; fail "apt-get update in the root"; }
in_root sh -c "cd /tmp && apt-get install -y -q --no-install-recommends ./$(basename "$deb")" >>"$log" 2>&1 ||
  { tail -n 40 "$log"; fail "apt-get install ./$(basename "$deb") in a clean Debian 12 root (full log: $log)"; }
after=$(installed)
summary+=("apt-get update and install of the package: $((SECONDS - t0)) s; $(grep -m1 -o 'Need to get .* of archives' "$log" ||
  echo 'nothing to download'); $(grep -m1 -o '[^ ]* [kMG]B of additional disk space' "$log" || echo '0 B on disk')")
pulled=$(comm -13 <(echo "$before") <(echo "$after"))
grep -q '^omswatch ' <<<"$pulled" || fail "omswatch is not installed in the root after apt-get install"
deps=$(grep -v '^omswatch ' <<<"$pulled" || true)
note "the package pulled in $(grep -c . <<<"$deps" || true) packages besides itself:"
[[ -z "$deps" ]] || while IFS= read -r line; do echo "    $line"; done <<<"$deps"

# ---- 4. the installed omswatch runs
out=$(in_root omswatch --version 2>&1) || fail "omswatch --version failed: $out"
[[ "$out" == "omswatch ${version%%-*}" ]] ||
  fail "omswatch --version says '$out', the package is version $version"
note "omswatch --version: $out"

example=/etc/omswatch/omswatch.toml.example
[[ -f "$root$example" ]] || fail "$example is not installed"
# The credentials (systemd's, under /run/credentials/omswatch.service/) and the
# environment variables the example uses, with made-up values.
mkdir -p "$root/run/credentials/omswatch.service"
while IFS= read -r cred; do
  [[ -n "$cred" ]] || continue
  echo "made-up-secret-for-test-package" >"$root$cred"
  chmod 0400 "$root$cred"
done < <(grep -v '^#' "$root$example" | grep -o '"/run/credentials/omswatch\.service/[^"]*"' | tr -d '"' | sort -u)
env_args=()
# shellcheck disable=SC2016 # a literal ${VAR}
while IFS= read -r var; do
  [[ -n "$var" ]] && env_args+=("$var=https://hooks.example.invalid/$var")
done < <(grep -v '^#' "$root$example" | grep -o '\${[A-Za-z_][A-Za-z0-9_]*}' | tr -d '${}' | sort -u)
out=$(in_root "${env_args[@]}" omswatch check-config -c "$example" 2>&1) ||
  fail "omswatch check-config -c $example failed (${env_args[*]}, credentials in /run/credentials/omswatch.service): $out"
note "omswatch check-config -c $example: $out"

in_root getent passwd omswatch >/dev/null || fail "installing the package did not create the user omswatch"
note "the user omswatch exists: $(in_root getent passwd omswatch)"
# Receivers (Slack, Teams, DingTalk, ...) and OMS over HTTPS are verified
# against the system's trust store.
[[ -s "$root/etc/ssl/certs/ca-certificates.crt" ]] ||
  fail "no CA certificates in the root (/etc/ssl/certs/ca-certificates.crt): omswatch could verify no HTTPS server"

for dir in prometheus grafana; do
  [[ -d "$root/usr/share/omswatch/$dir" ]] || fail "/usr/share/omswatch/$dir is not installed"
  note "/usr/share/omswatch/$dir: $(cd "$root/usr/share/omswatch/$dir" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ')"
done

summary+=("make test-package in all: $((SECONDS - start)) s")
note "passed; figures:"
for line in "${summary[@]}"; do echo "    $line"; done
