#!/usr/bin/env bash
# Build and run chainward's fuzz targets (libFuzzer through the `libfuzzer-sys` crate, on the
# stable toolchain: rustc's stable `-C passes=sancov-module` instruments the code, the same
# coverage flags `cargo fuzz` passes; no nightly, no cargo-fuzz, no clang needed: libFuzzer is
# built from source by `libfuzzer-sys` with the system C++ compiler).
#
#   fuzz/fuzz.sh list                          the targets
#   fuzz/fuzz.sh build [TARGET...]             instrumented build (all targets by default)
#   fuzz/fuzz.sh run TARGET [SECONDS] [-- LIBFUZZER-FLAGS...]
#                                              a campaign: corpus kept in $CHAINWARD_FUZZ_WORK
#                                              (default fuzz/work/TARGET, git-ignored)
#   fuzz/fuzz.sh campaign SECONDS TARGET...    campaigns, one target after the other (nice 19,
#                                              libFuzzer's fork mode: a crash is saved and the
#                                              run goes on); CPU time per target appended to
#                                              $CHAINWARD_FUZZ_WORK/campaigns.tsv
#   fuzz/fuzz.sh repro TARGET FILE...          run the target once on each file
#   fuzz/fuzz.sh smoke [SECONDS]               CI: replay fuzz/regressions, then run every
#                                              target SECONDS (default 4) from its seeds; fails
#                                              on any crash, hang (>10 s) or OOM (>2 GiB)
#
# Environment: CARGO_TARGET_DIR (default fuzz/target), CHAINWARD_FUZZ_WORK (campaign corpora),
# CHAINWARD_SHARED (default ../shared beside the repository: extra read-only seeds, when present).
set -euo pipefail

fuzz_dir="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$fuzz_dir")"
shared="${CHAINWARD_SHARED:-$root/../shared}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$fuzz_dir/target}"
mkdir -p "$CARGO_TARGET_DIR"
CARGO_TARGET_DIR="$(cd "$CARGO_TARGET_DIR" && pwd)"
host="$(rustc -vV | sed -n 's/^host: //p')"
bin_dir="$CARGO_TARGET_DIR/$host/release"

# Every target, in the order the smoke run takes them (each is a [[bin]] of fuzz/Cargo.toml).
targets=(
  cargo_lock cargo_lock_differential package_lock yarn_lock pnpm_lock bun_lock
  poetry_lock pdm_lock uv_lock pylock_toml pipfile_lock requirements_txt go_mod go_work gemfile_lock composer_lock
  config cyclonedx_input
  osv_record osv_zip rustsec_advisory purl version crates_io_response npm_response pypi_response sanitize
  history_cache cargo_index_cache compiled_view
)

dict_of() {
  case "$1" in
    cargo_lock | cargo_lock_differential | config | rustsec_advisory) echo "$fuzz_dir/dict/toml.dict" ;;
    cyclonedx_input | osv_record | crates_io_response | npm_response | pypi_response | package_lock | bun_lock | cargo_index_cache)
      echo "$fuzz_dir/dict/json.dict"
      ;;
    *) ;;
  esac
}

need_cxx() {
  command -v c++ >/dev/null && return 0
  echo "fuzz: no C++ compiler (libfuzzer-sys builds libFuzzer from source); installing g++"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -q g++ >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q g++ >/dev/null; }
  else
    echo "fuzz: install a C++ compiler (g++ or clang++) first" >&2
    exit 2
  fi
}

build() {
  need_cxx
  local bins=()
  for t in "$@"; do bins+=(--bin "$t"); done
  # Coverage instrumentation for the fuzz target's crates only (`--target` keeps the flags off
  # build scripts and proc macros): 8-bit counters with a PC table, comparison tracing (so
  # libFuzzer learns magic values) and stack depth, as `cargo fuzz build -s none` does.
  if ! (cd "$fuzz_dir" && cargo metadata --locked --format-version 1 >/dev/null 2>&1); then
    echo "fuzz: fuzz/Cargo.lock does not match chainward's dependencies any more:" \
      "run \`cd fuzz && cargo update --workspace\` and commit fuzz/Cargo.lock" >&2
    exit 2
  fi
  (
    cd "$fuzz_dir"
    RUSTFLAGS="-Cpasses=sancov-module \
      -Cllvm-args=-sanitizer-coverage-level=4 \
      -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
      -Cllvm-args=-sanitizer-coverage-pc-table \
      -Cllvm-args=-sanitizer-coverage-trace-compares \
      -Cllvm-args=-sanitizer-coverage-stack-depth" \
      cargo build --release --locked --target "$host" "${bins[@]}"
  )
}

# The read-only seed directories of a target: its committed corpus, and from ../shared (when
# present) real-world inputs, prepared in $2 (a scratch directory; ../shared is never copied
# into the repository).
seed_dirs() {
  local t="$1" scratch="$2"
  echo "$fuzz_dir/corpus/$t"
  [ -d "$shared/corpus" ] || return 0
  local out="$scratch/shared-seeds/$t"
  mkdir -p "$out"
  case "$t" in
    cargo_lock)
      # The lockfile, NUL, the manifest beside it: the target's input layout.
      for d in "$shared"/corpus/cargo/*/; do
        [ -f "$d/Cargo.lock" ] || continue
        { cat "$d/Cargo.lock"; [ -f "$d/Cargo.toml" ] && printf '\0' && cat "$d/Cargo.toml"; } >"$out/$(basename "$d")"
      done
      ;;
    package_lock | yarn_lock | pnpm_lock | bun_lock)
      # The corpus lockfiles of that format, NUL, the package.json beside them; the conformance
      # suite's fixtures of that format alone.
      local name
      case "$t" in
        package_lock) name=package-lock.json ;;
        yarn_lock) name=yarn.lock ;;
        pnpm_lock) name=pnpm-lock.yaml ;;
        *) name=bun.lock ;;
      esac
      for d in "$shared"/corpus/npm/*/; do
        [ -f "$d/$name" ] || continue
        { cat "$d/$name"; [ -f "$d/package.json" ] && printf '\0' && cat "$d/package.json"; } >"$out/$(basename "$d")"
      done
      if command -v python3 >/dev/null && [ -f "$shared/conformance/osv-scalibr/index.json" ]; then
        python3 - "$shared/conformance/osv-scalibr" "$name" "$out" <<'EOF'
import json, os, shutil, sys
root, name, out = sys.argv[1], sys.argv[2], sys.argv[3]
for case in json.load(open(os.path.join(root, "index.json"))):
    if case.get("canonical_name") == name:
        shutil.copy(os.path.join(root, case["path"]), os.path.join(out, case["path"].replace("/", "_")))
EOF
      fi
      ;;
    poetry_lock | pdm_lock | uv_lock | pylock_toml | pipfile_lock | requirements_txt | go_mod | gemfile_lock | composer_lock)
      # The corpus lockfiles of that format (the corpus flattens paths with `__`), NUL, the
      # manifest beside them; the conformance suite's fixtures of that format alone.
      local name companion eco
      case "$t" in
        poetry_lock) name=poetry.lock companion=pyproject.toml eco=pypi ;;
        pdm_lock) name=pdm.lock companion=pyproject.toml eco=pypi ;;
        uv_lock) name=uv.lock companion=pyproject.toml eco=pypi ;;
        pylock_toml) name=pylock.toml companion=pyproject.toml eco=pypi ;;
        pipfile_lock) name=Pipfile.lock companion=Pipfile eco=pypi ;;
        requirements_txt) name=requirements.txt companion=base.txt eco=pypi ;;
        go_mod) name=go.mod companion=go.sum eco=go ;;
        gemfile_lock) name=Gemfile.lock companion=Gemfile eco=rubygems ;;
        *) name=composer.lock companion=composer.json eco=packagist ;;
      esac
      local f d
      for f in "$shared"/corpus/"$eco"/*/*; do
        case "$(basename "$f")" in
          "$name") ;;
          *requirements*.txt) [ "$t" = requirements_txt ] || continue ;;
          *) continue ;;
        esac
        d="$(dirname "$f")"
        { cat "$f"; if [ -f "$d/$companion" ]; then printf '\0'; cat "$d/$companion"; fi; } >"$out/$(basename "$d")_$(basename "$f")"
      done
      if command -v python3 >/dev/null && [ -f "$shared/conformance/osv-scalibr/index.json" ]; then
        python3 - "$shared/conformance/osv-scalibr" "$name" "$out" <<'EOF'
import json, os, shutil, sys
root, name, out = sys.argv[1], sys.argv[2], sys.argv[3]
for case in json.load(open(os.path.join(root, "index.json"))):
    if case.get("canonical_name") == name:
        shutil.copy(os.path.join(root, case["path"]), os.path.join(out, case["path"].replace("/", "_")))
EOF
      fi
      ;;
    cargo_lock_differential)
      for d in "$shared"/corpus/cargo/*/; do
        [ -f "$d/Cargo.lock" ] && cp "$d/Cargo.lock" "$out/$(basename "$d").lock"
      done
      ;;
    osv_record)
      # A few records of every ecosystem's export.
      if command -v python3 >/dev/null && [ -d "$shared/advisory-db/osv" ]; then
        python3 - "$shared/advisory-db/osv" "$out" <<'EOF'
import os, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(src)):
    if not name.endswith(".zip"):
        continue
    with zipfile.ZipFile(os.path.join(src, name)) as z:
        entries = sorted(i for i in z.namelist() if i.endswith(".json"))
        for entry in entries[:: max(1, len(entries) // 12)][:12]:
            with open(os.path.join(out, name[:-4] + "-" + os.path.basename(entry)), "wb") as f:
                f.write(z.read(entry))
EOF
      fi
      ;;
    rustsec_advisory)
      local n=0
      for f in "$shared"/advisory-db/rustsec/crates/*/*.md; do
        n=$((n + 1))
        [ $((n % 25)) -eq 0 ] && cp "$f" "$out/"
      done
      ;;
    *) ;;
  esac
  [ -n "$(ls -A "$out")" ] && echo "$out"
  return 0
}

libfuzzer_flags() {
  local t="$1" dict
  dict="$(dict_of "$t")"
  echo "-timeout=10 -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1${dict:+ -dict=$dict}"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  list)
    printf '%s\n' "${targets[@]}"
    ;;
  build)
    if [ $# -gt 0 ]; then build "$@"; else build "${targets[@]}"; fi
    ;;
  repro)
    t="${1:?usage: fuzz.sh repro TARGET FILE...}"
    shift
    build "$t"
    "$bin_dir/$t" -timeout=10 -rss_limit_mb=2048 "$@"
    ;;
  run)
    t="${1:?usage: fuzz.sh run TARGET [SECONDS] [-- FLAGS...]}"
    shift
    seconds=600
    if [ $# -gt 0 ] && [ "$1" != "--" ]; then
      seconds="$1"
      shift
    fi
    [ "${1:-}" = "--" ] && shift
    build "$t"
    work="${CHAINWARD_FUZZ_WORK:-$fuzz_dir/work}"
    mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    mapfile -t seeds < <(seed_dirs "$t" "$scratch")
    # shellcheck disable=SC2046
    (cd "$work/$t" && "$bin_dir/$t" $(libfuzzer_flags "$t") -max_total_time="$seconds" \
      -artifact_prefix="$work/$t/artifacts/" "$@" "$work/$t/corpus" "${seeds[@]}")
    ;;
  campaign)
    seconds="${1:?usage: fuzz.sh campaign SECONDS TARGET...}"
    shift
    [ $# -gt 0 ] || set -- "${targets[@]}"
    build "$@"
    work="${CHAINWARD_FUZZ_WORK:-$fuzz_dir/work}"
    mkdir -p "$work"
    [ -f "$work/campaigns.tsv" ] || printf 'date\ttarget\tseconds\tuser_s\tsys_s\texecs\tcov\tcorpus\tartifacts\n' >"$work/campaigns.tsv"
    for t in "$@"; do
      mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
      scratch="$(mktemp -d)"
      mapfile -t seeds < <(seed_dirs "$t" "$scratch")
      before="$(ls "$work/$t/artifacts" | wc -l)"
      # shellcheck disable=SC2046
      (cd "$work/$t" && /usr/bin/time -f '%U %S' -o "$scratch/cpu" nice -n 19 "$bin_dir/$t" $(libfuzzer_flags "$t") \
        -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -max_total_time="$seconds" \
        -artifact_prefix="$work/$t/artifacts/" "$work/$t/corpus" "${seeds[@]}") >"$work/$t/last.log" 2>&1 || true
      # (time's last line: a first line says so when the fuzzer exits non-zero, as after a crash)
      read -r user sys < <(tail -n 1 "$scratch/cpu") || true
      total="$(grep -o '#[0-9]*' "$work/$t/last.log" | tail -n 1 | tr -d '#')"
      cov="$(grep -o 'cov: [0-9]*' "$work/$t/last.log" | tail -n 1 | cut -d' ' -f2)"
      corp="$(ls "$work/$t/corpus" | wc -l)"
      found=$(($(ls "$work/$t/artifacts" | wc -l) - before))
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$seconds" "${user:-?}" "${sys:-?}" \
        "${total:-?}" "${cov:-?}" "$corp" "$found" | tee -a "$work/campaigns.tsv"
      rm -rf "$scratch"
    done
    ;;
  smoke)
    seconds="${1:-${CHAINWARD_FUZZ_SECONDS:-4}}"
    started=$SECONDS
    build "${targets[@]}"
    echo "fuzz: built in $((SECONDS - started)) s"
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    passed=0
    failed=0
    failures=()
    printf '%-26s %8s %9s %7s %7s  %s\n' target execs exec/s cov corpus result
    for t in "${targets[@]}"; do
      log="$scratch/$t.log"
      result=ok
      # Reproducers of bugs found before: each must now run clean.
      if [ -d "$fuzz_dir/regressions/$t" ] && [ -n "$(ls -A "$fuzz_dir/regressions/$t")" ]; then
        if ! "$bin_dir/$t" -timeout=10 -rss_limit_mb=2048 "$fuzz_dir/regressions/$t"/* >"$log.regressions" 2>&1; then
          result="REGRESSION"
          tail -n 30 "$log.regressions"
        fi
      fi
      mkdir -p "$scratch/corpus/$t" "$scratch/artifacts/$t"
      mapfile -t seeds < <(seed_dirs "$t" "$scratch")
      # shellcheck disable=SC2046
      if ! (cd "$scratch" && "$bin_dir/$t" $(libfuzzer_flags "$t") -max_total_time="$seconds" \
        -artifact_prefix="$scratch/artifacts/$t/" "$scratch/corpus/$t" "${seeds[@]}") >"$log" 2>&1; then
        result="CRASH"
        tail -n 40 "$log"
        mkdir -p "$CARGO_TARGET_DIR/fuzz-artifacts/$t"
        cp "$scratch/artifacts/$t"/* "$CARGO_TARGET_DIR/fuzz-artifacts/$t/" 2>&1 || true
        echo "fuzz: $t: reproducer(s) kept in $CARGO_TARGET_DIR/fuzz-artifacts/$t/"
      fi
      execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
      rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
      cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)"
      corp="$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)"
      printf '%-26s %8s %9s %7s %7s  %s\n' "$t" "${execs:--}" "${rate:--}" "${cov:--}" "${corp:--}" "$result"
      if [ "$result" = ok ]; then
        passed=$((passed + 1))
      else
        failed=$((failed + 1))
        failures+=("$t")
      fi
    done
    echo "fuzz: $((SECONDS - started)) s in all, ${seconds} s of fuzzing per target"
    echo "fuzz: ${passed} passed, ${failed} failed"
    if [ "$failed" -gt 0 ]; then
      echo "fuzz: failing targets: ${failures[*]} (reproduce: fuzz/fuzz.sh repro TARGET FILE)" >&2
      exit 1
    fi
    ;;
  *)
    sed -n '2,20p' "$0" >&2
    exit 2
    ;;
esac
