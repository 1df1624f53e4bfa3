#!/bin/sh
# Ground truth for chainward issue 14: the compiled status of every Cargo.lock package, from cargo itself.
#
# Generated with: cargo 1.95.0 (f2d3ce0bd 2026-03-21), on host x86_64-unknown-linux-gnu (build-dependencies
# and proc-macros are filtered by the HOST platform, so the expected files assume this host).
#
# usage: CARGO_HOME=/tmp/i14fx/cargo-home testdata/compiled/gen-truth.sh testdata/compiled/FIXTURE
#   (after `cargo fetch` in FIXTURE with that CARGO_HOME; runs offline and never rewrites Cargo.lock)
#
# FIXTURE/cases.txt: one case per line, `NAME<TAB>ARGS`; ARGS are cargo flags (--target T, --features X,Y,
# --all-features, --no-default-features, -p NAME). `--workspace` is added unless ARGS has -p.
# Writes FIXTURE/expected/NAME.txt: `name version status` per Cargo.lock package, sorted, where status is
#   runtime  in `cargo tree --no-dedupe --prefix none --format {p} -e normal,no-proc-macro ARGS`
#   build    in `... -e normal,build` but not runtime
#   dev      in `... -e normal,build,dev` only
#   no       the rest of Cargo.lock
set -eu
export LC_ALL=C
dir=$1
cd "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p expected
# every Cargo.lock package as `name version`
awk '/^\[/{p=($0=="[[package]]"); n=""} p&&/^name = /{n=$3} p&&n!=""&&/^version = /{v=$3; gsub(/"/,"",n); gsub(/"/,"",v); print n" "v; n=""}' \
    Cargo.lock | sort -u > "$tmp/lock"
tab=$(printf '\t')
while IFS="$tab" read -r name args; do
    case "$name" in ''|'#'*) continue ;; esac
    ws=--workspace
    case " $args " in *" -p "*) ws= ;; esac
    for e in normal,no-proc-macro normal,build normal,build,dev; do
        # shellcheck disable=SC2086 # ARGS are word-split on purpose
        cargo tree --locked --offline $ws --no-dedupe --prefix none --format '{p}' -e "$e" $args \
            | sed 's/ (.*//; s/ v\([^ ]*\)$/ \1/' | grep -v '^$' | sort -u > "$tmp/$e"
    done
    while read -r n v; do
        if grep -qxF "$n $v" "$tmp/normal,no-proc-macro"; then st=runtime
        elif grep -qxF "$n $v" "$tmp/normal,build"; then st=build
        elif grep -qxF "$n $v" "$tmp/normal,build,dev"; then st=dev
        else st=no; fi
        echo "$n $v $st"
    done < "$tmp/lock" > "expected/$name.txt"
    # every package cargo tree printed must be a Cargo.lock package
    cat "$tmp/normal,build,dev" | while read -r n v; do
        grep -qxF "$n $v" "$tmp/lock" || { echo "gen-truth: $name: '$n $v' from cargo tree is not in Cargo.lock" >&2; exit 1; }
    done
    test "$(wc -l < "expected/$name.txt")" -eq "$(grep -c '^\[\[package\]\]' Cargo.lock)" \
        || { echo "gen-truth: $name: line count differs from Cargo.lock's package count" >&2; exit 1; }
    printf '%s:' "$name"; awk '{c[$3]++} END {printf " runtime=%d build=%d dev=%d no=%d\n", c["runtime"], c["build"], c["dev"], c["no"]}' "expected/$name.txt"
done < cases.txt
