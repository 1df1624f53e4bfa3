#!/usr/bin/env bash
# Builds the release binary that the GitHub Action downloads (action/install.sh):
# dist/chainward-<target>.tar.gz and dist/chainward-<target>.tar.gz.sha256.
#
#   tools/build-release.sh [TARGET]      TARGET defaults to the host's triple
#
# A Linux (glibc) binary built for the host links glibc in (a static PIE): no shared library is
# loaded, searched or relocated at start, which made every run 0.4-0.7 ms shorter here (up to a
# tenth of a warm `scan`; figures in docs/dev/measuring.md), and it runs on any Linux of the same
# architecture, whatever its glibc. With glibc >= 2.36 the relative relocations are also packed
# (DT_RELR): the binary's 30,000 relocations shrink from 700 KB to 10 KB and are applied faster.
# Older glibc cannot apply packed relocations in a static binary, so they are left out there.
# mimalloc is built without its collection at exit (the kernel frees the memory anyway).
#
# Hostnames (for `db update` and registry lookups) are resolved as by the dynamic binary: glibc's
# `files` and `dns` sources are part of the static library, and other sources that
# /etc/nsswitch.conf names are loaded from the system at run time, as for any static glibc program
# (checked with `mdns4_minimal` absent and `systemd` present, before and after `files`).
#
# `cargo build --release` and `cargo install` give the ordinary dynamic binary: cargo cannot link
# glibc statically without `--target` (the flag would reach proc-macros too).
set -euo pipefail
cd "$(dirname "$0")/.."

host="$(rustc -vV | sed -n 's/^host: //p')"
target="${1:-$host}"
case "$target" in
  *[!A-Za-z0-9_.-]*) echo "build-release: not a target triple: $target" >&2; exit 2 ;;
esac

rustflags="${RUSTFLAGS:-}"
cflags="${CFLAGS:-} -DMI_SKIP_COLLECT_ON_EXIT"
static=no
if [ "$target" = "$host" ] && [[ "$target" == *-linux-gnu ]]; then
  static=yes
  rustflags+=" -C target-feature=+crt-static"
  glibc="$(getconf GNU_LIBC_VERSION | awk '{print $2}')"
  if [ "$(printf '%s\n2.36\n' "$glibc" | sort -V | head -n 1)" = 2.36 ]; then
    rustflags+=" -C link-arg=-Wl,-z,pack-relative-relocs"
  else
    echo "build-release: glibc $glibc < 2.36: relocations not packed"
  fi
fi

RUSTFLAGS="$rustflags" CFLAGS="$cflags" cargo build --release --locked --target "$target"
out="${CARGO_TARGET_DIR:-target}/$target/release"
bin="$out/chainward"

# Checks before packaging: a static binary has no interpreter, and it runs: its version, a scan
# with a small local database, an SBOM.
# (The headers are taken whole first: `grep -q` ending the pipe early could make readelf's SIGPIPE,
# under pipefail, read as "no interpreter".)
headers="$(readelf -lW "$bin")"
if [ "$static" = yes ] && [[ "$headers" == *INTERP* ]]; then
  echo "build-release: $bin is not statically linked" >&2
  exit 1
fi
if [ "$target" = "$host" ]; then
  "$bin" --version
  "$bin" scan Cargo.lock --db testdata/advisories/own/upstream --offline --no-registry --fail-on none \
    --format json >/dev/null
  "$bin" sbom Cargo.lock >/dev/null
fi

mkdir -p dist
asset="chainward-$target.tar.gz"
tar -cf - --owner=0 --group=0 --numeric-owner -C "$out" chainward | gzip -n -9 >"dist/$asset"
(cd dist && sha256sum "$asset" >"$asset.sha256")
echo "build-release: dist/$asset ($(wc -c <"$bin") bytes binary, static: $static)"
