#!/usr/bin/env bash
# Installs the Debian 12 packages that omswatch's build, tests and demo use.
# Does nothing (and needs no network) when they are all present.
set -euo pipefail

packages=(
  # build
  g++ cmake ninja-build make pkg-config
  libboost1.81-dev libboost-json1.81-dev libssl-dev libsqlite3-dev
  libspdlog-dev libfmt-dev libtomlplusplus-dev libsystemd-dev
  # tests
  libgtest-dev libgmock-dev openssl sqlite3 python3 prometheus prometheus-alertmanager
  # make test-sanitize and make fuzz: clang, its sanitizer and libFuzzer runtimes, llvm-symbolizer
  clang libclang-rt-14-dev llvm
  # systemd unit checks (systemd-analyze), man page checks, the .deb (make package)
  systemd man-db groff-base dpkg-dev file
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
