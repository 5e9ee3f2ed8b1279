#!/usr/bin/env bash
# Installs the Debian 12 packages omswatch needs, in three layers; each layer
# includes the ones before it:
#
#   build  the compiler, CMake, Ninja, make, the libraries omswatch links and
#          Chart.js (libjs-chart.js, embedded in the web console): enough for
#          `make demo` and the binaries
#   test   what the tests add: GoogleTest, the sqlite3 shell, a real Prometheus
#          (promtool) and Alertmanager, systemd-analyze, man and groff; for the
#          web console's browser tests Chromium, Node.js and npm (Debian's
#          nodejs and npm, only when node or npm is missing), and then the npm
#          packages of tests/browser (playwright-core, pinned by its
#          package-lock.json) with `npm ci` into tests/browser/node_modules
#   dev    what `make test-sanitize`, `make fuzz`, `make package`,
#          `make test-package` and `make bench-perf` add: clang and its sanitizer
#          and libFuzzer runtimes, llvm-symbolizer, dpkg-dev, file, python3,
#          debootstrap
#   all    the same as dev
#
# Usage: scripts/install-deps.sh [build|test|dev|all]   (default: all)
#
# Does nothing, and needs neither root nor the network, when every package is
# present. Otherwise it needs root: run by another user it runs itself again
# with sudo, or, where there is no sudo, names the packages and the command that
# installs them and exits 1.
#
# No service starts or stays enabled because of this script. Some of these
# packages ship servers (prometheus and prometheus-alertmanager would listen on
# 9090 and 9093) or timers (man-db), and Debian enables and starts them on
# install. The tests start their own instances on loopback ports of their
# choosing, so the system-wide ones are unwanted: during the install a temporary
# /usr/sbin/policy-rc.d (the interface Debian's maintainer scripts ask before
# they start, stop or restart anything) forbids every action, and afterwards
# each server, timer or init script that the install newly enabled is disabled
# again. Units that were enabled before are left as they were, and nothing
# already running is stopped or restarted. (Installing the packages normally, rather
# than unpacking their binaries somewhere private, keeps them where the tests
# and operators look for them: /usr/bin/promtool, /usr/bin/prometheus-alertmanager,
# and keeps them up to date with the rest of the system.)
set -euo pipefail

layer=${1:-all}

# shellcheck disable=SC2034 # read through missing_of's nameref
build_packages=(
  g++ cmake ninja-build make pkg-config
  libboost1.81-dev libboost-json1.81-dev libssl-dev libsqlite3-dev
  libspdlog-dev libfmt-dev libtomlplusplus-dev libsystemd-dev libjs-chart.js
)
# shellcheck disable=SC2034
test_packages=(
  libgtest-dev libgmock-dev sqlite3 prometheus prometheus-alertmanager
  systemd man-db groff-base chromium
)
# A node and npm of another origin (the Node.js project's own packages) serve as
# well as Debian's, which would conflict with them.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  test_packages+=(nodejs npm)
fi
# shellcheck disable=SC2034
dev_packages=(clang libclang-rt-14-dev llvm dpkg-dev file python3 debootstrap)

declare -A why=(
  [build]="to build omswatch and run the demo (compiler, CMake, Ninja, make, libraries, Chart.js)"
  [test]="for the tests (GoogleTest, sqlite3, promtool, Alertmanager, systemd-analyze, man, groff, Chromium, Node.js)"
  [dev]="for sanitizers, fuzzing, packaging and benchmarks (clang, LLVM, dpkg-dev, file, python3, debootstrap)"
)

case $layer in
  build) layers=(build) ;;
  test) layers=(build test) ;;
  dev | all) layers=(build test dev) ;;
  *)
    echo "usage: $0 [build|test|dev|all]" >&2
    exit 2
    ;;
esac

# The packages of one layer that are not installed, space-separated.
missing_of() {
  local -n list=$1_packages
  local p status out=()
  for p in "${list[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || out+=("$p")
  done
  echo "${out[*]}"
}

# The npm packages of the browser tests (tests/browser/package.json), exactly
# as its package-lock.json pins them, with `npm ci` into
# tests/browser/node_modules (kept out of git). Nothing to do when the lock
# file they were installed from is the committed one. Run by root through
# sudo, npm runs as the user who called sudo, who owns the work tree.
npm_packages() {
  [[ " ${layers[*]} " == *" test "* ]] || return 0
  local dir
  dir=$(cd "$(dirname "$0")/../tests/browser" && pwd)
  if cmp -s "$dir/package-lock.json" "$dir/node_modules/.omswatch-package-lock.json"; then return 0; fi
  echo "install-deps: npm packages of the browser tests: npm ci in $dir"
  local as=()
  if [[ $(id -u) -eq 0 && -n "${SUDO_USER:-}" && "${SUDO_USER}" != root ]]; then as=(sudo -u "$SUDO_USER"); fi
  (cd "$dir" && "${as[@]}" npm ci --no-audit --no-fund) &&
    "${as[@]}" cp "$dir/package-lock.json" "$dir/node_modules/.omswatch-package-lock.json"
}

declare -A missing=()
all_missing=()
for l in "${layers[@]}"; do
  missing[$l]=$(missing_of "$l")
  # shellcheck disable=SC2206 # package names: split on spaces
  [[ -z "${missing[$l]}" ]] || all_missing+=(${missing[$l]})
done
if [[ ${#all_missing[@]} -eq 0 ]]; then
  npm_packages
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    echo "install-deps: missing ${all_missing[*]}; installing them needs root: running again with sudo"
    exec sudo "$0" "$layer"
  fi
  cat >&2 <<EOF
install-deps: these Debian packages are missing: ${all_missing[*]}
install-deps: installing them needs root, and there is no sudo here. As root, run
  $(cd "$(dirname "$0")/.." && pwd)/scripts/install-deps.sh $layer
which runs apt-get install --no-install-recommends ${all_missing[*]}
and keeps any server among them from being enabled or started; then run this command again.
EOF
  exit 1
fi

# ---- as root

policy=/usr/sbin/policy-rc.d
saved_policy=$policy.omswatch-saved

# The links that make units start with the system (services, timers, sockets
# and paths wanted by the usual boot targets) and init scripts start in
# runlevels 2-5, one a line. Early-boot setup (sysinit, rcS.d: procps' sysctl
# script, for one) and targets are not servers and are left alone.
enable_links() {
  local d
  for d in multi-user graphical default timers sockets paths; do
    find "/etc/systemd/system/$d.target.wants" -maxdepth 1 -type l \
      \( -name '*.service' -o -name '*.timer' -o -name '*.socket' -o -name '*.path' \) 2>/dev/null || true
  done
  find /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d -maxdepth 1 -type l -name 'S*' 2>/dev/null || true
}

restore_policy() {
  rm -f "$policy"
  if [[ -e "$saved_policy" ]]; then mv "$saved_policy" "$policy"; fi
}

# Disables what the install enabled: the links that are in $2 and not in $1.
disable_new() {
  local before=$1 after=$2 link name
  local -A units=() scripts=()
  while IFS= read -r link; do
    [[ -n "$link" ]] || continue
    name=${link##*/}
    case $link in
      /etc/systemd/system/*) units[$name]=1 ;;
      /etc/rc*) scripts[${name:3}]=1 ;;  # S01prometheus -> prometheus
    esac
  done < <(comm -13 <(sort <<<"$before") <(sort <<<"$after"))
  for name in "${!units[@]}"; do
    echo "install-deps: disabling $name, which the install enabled"
    if command -v systemctl >/dev/null 2>&1; then
      # Offline (no running systemd) this edits the links only; it also
      # disables an init script of the same name.
      systemctl disable --no-reload --quiet "$name" || true
    fi
    find /etc/systemd/system -mindepth 2 -maxdepth 2 -type l -name "$name" -path '*.wants/*' \
      -delete 2>/dev/null || true
    unset "scripts[${name%.service}]"
  done
  for name in "${!scripts[@]}"; do
    echo "install-deps: disabling init script $name, which the install enabled"
    update-rc.d "$name" disable >/dev/null 2>&1 || true
  done
}

if [[ -e "$policy" && ! -e "$saved_policy" ]]; then mv "$policy" "$saved_policy"; fi
trap restore_policy EXIT
trap 'exit 130' INT TERM
printf '#!/bin/sh\n# omswatch scripts/install-deps.sh: no service starts while it installs.\nexit 101\n' >"$policy"
chmod 0755 "$policy"

before=$(enable_links)
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
for l in "${layers[@]}"; do
  [[ -n "${missing[$l]}" ]] || continue
  start=$SECONDS
  echo "install-deps: $l layer: installing ${missing[$l]} ${why[$l]}"
  # shellcheck disable=SC2086 # package names: split on spaces
  apt-get install -y -q --no-install-recommends ${missing[$l]}
  echo "install-deps: $l layer installed in $((SECONDS - start)) s"
done
disable_new "$before" "$(enable_links)"
npm_packages
