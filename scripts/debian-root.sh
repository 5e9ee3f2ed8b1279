# shellcheck shell=bash
# Sourced by scripts/test-minimal-debian.sh and scripts/test-package.sh: a fresh
# minimal Debian 12 root to run something in, as a newcomer's container or
# small server would be.
#
#   debian_root_create [CACHE]
#     makes the root (its path in $root, a new directory under /var/tmp) with
#     `debootstrap --variant=minbase bookworm ROOT MIRROR`; the mirror is this
#     machine's own, from its apt sources (MIRROR=... overrides it). With CACHE
#     (a .tar.gz path), a cache younger than DEBIAN_ROOT_CACHE_DAYS (7) is
#     unpacked instead, and a new root is saved there for the next run; the
#     root is the same bare debootstrap either way. Then mounts proc, sys and
#     dev/pts in it, copies this machine's /etc/resolv.conf in, and appends one
#     line to the caller's $summary array: how long it took and its size.
#     On exit the mounts are undone and the root removed (KEEP_ROOT=1 keeps it).
#
# The caller defines note MESSAGE and fail MESSAGE (which exits), and runs as
# root; debootstrap is installed here when it is missing.

# Where the root keeps a copy of this machine's trusted certificates.
DEBIAN_ROOT_HOST_CA=/etc/ssl/host-ca-certificates.crt

# The first Debian bookworm mirror of this machine's apt sources (one-line
# sources.list entries and deb822 .sources files alike).
debian_root_host_mirror() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++;
                       if ($(i + 1) == "bookworm") { print $i; exit } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
         { uri = ""; ok = 0; deb = 0
           for (i = 1; i <= NF; i++) {
             if ($i ~ /^URIs:/) { split($i, u, /[ \t]+/); uri = u[2] }
             if ($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) deb = 1
             if ($i ~ /^Suites:/ && $i ~ /[ \t]bookworm([ \t]|$)/) ok = 1
           }
           if (uri != "" && ok && deb) { print uri; exit } }' "$f"
  done
}

debian_root_mounted=()
debian_root_cleanup() {
  local i
  for ((i = ${#debian_root_mounted[@]} - 1; i >= 0; i--)); do
    umount "${debian_root_mounted[$i]}" 2>/dev/null || umount -l "${debian_root_mounted[$i]}" 2>/dev/null || true
  done
  [[ -n "${root:-}" && -d "$root" ]] || return 0
  if [[ -n "${KEEP_ROOT:-}" ]]; then
    note "kept $root"
  elif grep -q " $root/" /proc/mounts; then
    note "$root still has mounts: not removing it"
  else
    rm -rf --one-file-system "$root"
  fi
}

debian_root_create() {
  local cache=${1:-} mirror t0=$SECONDS how
  [[ $(id -u) -eq 0 ]] || fail "needs root (debootstrap, chroot, mount)"
  if ! command -v debootstrap >/dev/null 2>&1; then
    note "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
  fi
  mirror=${MIRROR:-$(debian_root_host_mirror | head -n 1)}
  [[ -n "$mirror" ]] || fail "no Debian bookworm mirror in /etc/apt/sources.list*: set MIRROR=http://..."

  root=$(mktemp -d /var/tmp/omswatch-root.XXXXXX)
  chmod 0755 "$root"  # a root file system: unprivileged users must enter it
  trap debian_root_cleanup EXIT
  trap 'exit 130' INT TERM

  if [[ -n "$cache" && -n $(find "$cache" -maxdepth 0 -mtime "-${DEBIAN_ROOT_CACHE_DAYS:-7}" 2>/dev/null) ]]; then
    note "unpacking the minimal root of $cache into $root"
    tar -xzpf "$cache" --numeric-owner -C "$root" || fail "cannot unpack $cache (remove it to make a new one)"
    how="unpacked from $cache"
  else
    note "debootstrap --variant=minbase bookworm $root $mirror"
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
      { tail -n 30 "$root.debootstrap.log"; rm -f "$root.debootstrap.log"; fail "debootstrap"; }
    rm -f "$root.debootstrap.log"
    how="debootstrap minbase"
    if [[ -n "$cache" ]]; then
      mkdir -p "$(dirname "$cache")"
      if tar -czpf "$cache.tmp" --numeric-owner -C "$root" . && mv "$cache.tmp" "$cache"; then
        how+=", saved to $cache"
      else
        rm -f "$cache.tmp"
        note "could not save the root to $cache (going on without)"
      fi
    fi
  fi
  summary+=("minimal root ($how): $((SECONDS - t0)) s, $(du -sm "$root" | cut -f1) MB on disk")

  local what
  for what in proc sys dev/pts; do
    mkdir -p "$root/$what"
    case $what in
      proc) mount -t proc proc "$root/proc" ;;
      sys) mount -t sysfs sysfs "$root/sys" ;;
      dev/pts) mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts" ;;
    esac
    debian_root_mounted+=("$root/$what")
  done
  cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  # And this machine's trusted certificates (with the authority of a proxy
  # that inspects HTTPS, where there is one), for HTTPS from the root (npm's
  # registry): NODE_EXTRA_CA_CERTS=$DEBIAN_ROOT_HOST_CA in the root.
  mkdir -p "$root/etc/ssl"
  cp -L /etc/ssl/certs/ca-certificates.crt "$root$DEBIAN_ROOT_HOST_CA" 2>/dev/null || true
}
