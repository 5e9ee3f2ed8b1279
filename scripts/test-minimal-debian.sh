#!/usr/bin/env bash
# `make test-minimal`: the README's two commands, exactly as written, on a
# minimal Debian 12 root with nothing installed first (no make, no compiler, no
# sudo, no /etc/hosts), as a newcomer on a container or a small server would run
# them:
#
#   1. debootstrap --variant=minbase bookworm ROOT MIRROR (the mirror is this
#      machine's own, from its apt sources; MIRROR=... overrides it;
#      scripts/debian-root.sh, which make test-package shares);
#   2. the committed tree (git archive HEAD) into ROOT/srv/omswatch;
#   3. ./omswatch-dev demo as a user who is not root, with no sudo: it must fail
#      with a message that names the packages and the command to run;
#   4. ./omswatch-dev demo as root: it must install the build layer only, build,
#      and print notifications (stopped once it has, or after DEMO_SECONDS);
#   5. ./omswatch-dev test as root (ROOT now has the /etc/hosts any installed
#      system has): it must install the test layer and pass;
#   6. no service enabled, no policy-rc.d left behind, nothing listening on 9090
#      or 9093; without /etc/hosts a test that needs the name "localhost" says so.
#
# Prints the time and the download size of each layer. Needs root (debootstrap,
# chroot, mount) and about 3 GB in /var/tmp; about 25 minutes on 2 cores.
# KEEP_ROOT=1 keeps ROOT afterwards (its path is printed).
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO_SECONDS=${DEMO_SECONDS:-120}
note() { echo "test-minimal: $*"; }
fail() {
  echo "test-minimal: FAILED: $*" >&2
  exit 1
}

[[ $(id -u) -eq 0 ]] || fail "needs root (debootstrap, chroot, mount): sudo make test-minimal"
# shellcheck source=scripts/debian-root.sh
source scripts/debian-root.sh

summary=()
# shellcheck disable=SC2119 # no cache: a root as debootstrap makes it today
debian_root_create

# What the newcomer has: no make, no compiler, no sudo, no /etc/hosts.
for absent in make g++ cc sudo; do
  if chroot "$root" sh -c "command -v $absent" >/dev/null; then fail "the minimal root has $absent"; fi
done
rm -f "$root/etc/hosts"

mkdir -p "$root/srv/omswatch"
git archive HEAD | tar -x -C "$root/srv/omswatch"
in_root() { chroot "$root" /usr/bin/env -i NODE_EXTRA_CA_CERTS="$DEBIAN_ROOT_HOST_CA" HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  TERM=dumb LANG=C.UTF-8 /bin/sh -c "cd /srv/omswatch && $1"; }

# ---- 3. not root, no sudo
out=$(chroot --userspec=65534:65534 "$root" /usr/bin/env -i NODE_EXTRA_CA_CERTS="$DEBIAN_ROOT_HOST_CA" HOME=/tmp PATH=/usr/bin:/bin \
  /bin/sh -c 'cd /srv/omswatch && ./omswatch-dev demo' 2>&1) && fail "./omswatch-dev demo as nobody succeeded"
if ! grep -q "no sudo" <<<"$out" || ! grep -q "apt-get install --no-install-recommends .*make" <<<"$out" ||
  ! grep -q "scripts/install-deps.sh build" <<<"$out"; then
  echo "$out"
  fail "./omswatch-dev demo as nobody without sudo: no message naming the packages and the command"
fi
note "as a user without sudo, ./omswatch-dev demo stops with:"
while IFS= read -r line; do echo "    $line"; done <<<"$out"

# The layers' figures from install-deps' output: its "LAYER layer: installing"
# and "installed in N s" lines around apt's "Need to get N MB of archives".
layer_figures() {
  awk '/^install-deps: [a-z]+ layer: installing/ { layer = $2; n = split($0, w, " "); }
       /^Need to get / && layer != "" { size[layer] = $4 " " $5 }
       /^After this operation, / && layer != "" { disk[layer] = $4 " " $5 }
       /^install-deps: [a-z]+ layer installed in/ {
         printf "%s layer: installed in %s s, downloaded %s, %s on disk\n", $2, $6, size[$2], disk[$2] }' "$1"
}

# ---- 4. the demo, as root
log_demo=$root/demo.log
t0=$SECONDS
note "./omswatch-dev demo (installs the build layer, builds, runs the demo for up to ${DEMO_SECONDS} s)"
setsid chroot "$root" /usr/bin/env -i NODE_EXTRA_CA_CERTS="$DEBIAN_ROOT_HOST_CA" HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb \
  LANG=C.UTF-8 /bin/sh -c 'cd /srv/omswatch && exec ./omswatch-dev demo' >"$log_demo" 2>&1 &
demo=$!
notifications() { grep -cE '^[0-9]{2}:[0-9]{2}:[0-9]{2}  [A-Z]+ ' "$log_demo" || true; }
started=""
while kill -0 "$demo" 2>/dev/null; do
  if [[ -z "$started" ]] && grep -q '^Notifications appear below' "$log_demo"; then
    started=$SECONDS
    summary+=("./omswatch-dev demo until the demo runs: $((started - t0)) s")
  fi
  if [[ -n "$started" ]] && { (($(notifications) >= 4)) || ((SECONDS - started > DEMO_SECONDS)); }; then
    kill -INT -- "-$demo" 2>/dev/null || true
    break
  fi
  sleep 2
done
wait "$demo" || true
[[ -n "$started" ]] || { tail -n 40 "$log_demo"; fail "./omswatch-dev demo did not start the demo"; }
count=$(notifications)
((count >= 1)) || { tail -n 40 "$log_demo"; fail "the demo printed no notification in ${DEMO_SECONDS} s"; }
note "the demo printed $count notifications:"
grep -E '^[0-9]{2}:[0-9]{2}:[0-9]{2}  [A-Z]+ ' "$log_demo" | sed 's/^/    /'
while IFS= read -r line; do summary+=("$line"); done < <(layer_figures "$log_demo")
grep -q '^install-deps: test layer' "$log_demo" && fail "./omswatch-dev demo installed the test layer"
for pkg in libgtest-dev prometheus clang systemd; do
  # shellcheck disable=SC2016 # dpkg-query's own ${Status}
  if chroot "$root" dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
    fail "./omswatch-dev demo installed $pkg"
  fi
done

# ---- 5. the tests, as root, on a root with the /etc/hosts every installed
# system has (Debian's installer and container runtimes write it)
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
log_test=$root/test.log
t0=$SECONDS
note "./omswatch-dev test (installs the test layer, builds the tests, runs them)"
if ! in_root './omswatch-dev test' >"$log_test" 2>&1; then
  grep -E 'install-deps|Need to get|tests? failed|\(Failed\)|\*\*\*' "$log_test" | tail -n 60
  fail "./omswatch-dev test failed (its output: $log_test, kept with KEEP_ROOT=1)"
fi
summary+=("./omswatch-dev test: $((SECONDS - t0)) s")
while IFS= read -r line; do summary+=("$line"); done < <(layer_figures "$log_test")
summary+=("$(grep -E '^[0-9]+% tests passed' "$log_test" | tail -n 1)")

# ---- 6. what the setup left behind
[[ -e "$root/usr/sbin/policy-rc.d" ]] && fail "install-deps left /usr/sbin/policy-rc.d behind"
enabled=$(find "$root/etc/systemd/system" -path '*.wants/*' \( -name 'prometheus*' -o -name 'man-db*' \) 2>/dev/null || true)
[[ -z "$enabled" ]] || fail "units enabled by the install: $enabled"
for unit in prometheus prometheus-alertmanager; do
  state=$(chroot "$root" systemctl is-enabled "$unit" 2>/dev/null || true)
  [[ "$state" != enabled ]] || fail "$unit is enabled in the minimal root"
done
listening=$(ss -ltnH 2>/dev/null | awk '{print $4}')  # grep -q in the pipe could SIGPIPE awk
if grep -qE ':(9090|9093)$' <<<"$listening"; then
  fail "something listens on 9090 or 9093 after the tests"
fi
# No /etc/hosts, and no DNS server that might answer for "localhost" either.
rm -f "$root/etc/hosts"
mv "$root/etc/resolv.conf" "$root/etc/resolv.conf.saved" 2>/dev/null || true
out=$(in_root 'build/tests/omswatch_tests --gtest_filter=HttpClientTest.HostNamesAreResolved' 2>&1) &&
  fail "HttpClientTest.HostNamesAreResolved passed without /etc/hosts"
grep -q 'add the line "127.0.0.1 localhost" to /etc/hosts' <<<"$out" ||
  { echo "$out"; fail "without /etc/hosts, a test that needs the name localhost does not say so"; }
note "without /etc/hosts, HttpClientTest.HostNamesAreResolved says: $(grep -o 'this test needs.*' <<<"$out" | head -n 1)"

note "passed; figures:"
for line in "${summary[@]}"; do echo "    $line"; done
