#!/usr/bin/env bash
# The scan step of chainward's GitHub Action (action.yml). Every input arrives as an environment
# variable, never spliced into the script, so a branch name or path cannot inject shell code.
#
#   INPUT_PATH, INPUT_FAIL_ON, INPUT_BASE, INPUT_SARIF_FILE, INPUT_CONFIG, INPUT_ANNOTATE,
#   INPUT_COMPILED_ONLY, INPUT_TARGET
#   CHAINWARD_PR_BASE_SHA  github.event.pull_request.base.sha (the default base on pull requests)
#   CHAINWARD_DB           advisory databases, one path per line (default: chainward's cache)
#   CHAINWARD_BIN          the binary (default: `chainward` on PATH)
#
# With GITHUB_ACTIONS=true, `chainward scan` itself appends the Markdown summary to
# $GITHUB_STEP_SUMMARY and writes `findings` and `sarif-file` to $GITHUB_OUTPUT. This script adds
# `exit-code` (the scan's) and `sarif-path` (the SARIF file, when one was written), and exits 0
# whenever the scan ran, so that the SARIF upload still happens; the action's last step exits
# with `exit-code`.
set -uo pipefail

fail() {
  echo "::error title=chainward::$1"
  exit 2
}

bin="${CHAINWARD_BIN:-chainward}"
path="${INPUT_PATH:-.}"
fail_on="${INPUT_FAIL_ON:-low}"
sarif="${INPUT_SARIF_FILE:-chainward.sarif}"
base="${INPUT_BASE:-}"
config="${INPUT_CONFIG:-}"
annotate="${INPUT_ANNOTATE:-false}"
compiled_only="${INPUT_COMPILED_ONLY:-false}"
target="${INPUT_TARGET:-}"
output="${GITHUB_OUTPUT:-/dev/null}"

for value in "$path" "$fail_on" "$sarif" "$base" "$config" "$target"; do
  case "$value" in
    *$'\n'* | *$'\r'*) fail "inputs must be single-line values" ;;
  esac
done
[ -n "$sarif" ] || fail "the sarif-file input must not be empty"

if [ -z "$base" ]; then
  case "${GITHUB_EVENT_NAME:-}" in
    pull_request | pull_request_target) base="${CHAINWARD_PR_BASE_SHA:-}" ;;
  esac
fi

args=(scan "$path" --format sarif -o "$sarif" --fail-on "$fail_on")
if [ -n "$base" ]; then
  # actions/checkout fetches one commit by default: fetch the base too when it is missing.
  if ! git rev-parse --quiet --verify "${base}^{commit}" >/dev/null 2>&1; then
    echo "chainward: fetching base ${base}"
    git fetch --no-tags --depth=1 origin "$base" ||
      echo "::warning title=chainward::could not fetch ${base} (check out with fetch-depth: 0 or 2)"
  fi
  args+=(--base "$base")
fi
[ -n "$config" ] && args+=(--config "$config")
[ "$annotate" = "true" ] && args+=(--annotate)
[ "$compiled_only" = "true" ] && args+=(--compiled-only)
# Triples are words: split on blanks only (no globbing), each passed as its own --target.
read -r -a triples <<<"$target"
for triple in "${triples[@]}"; do
  args+=(--target "$triple")
done
while IFS= read -r db; do
  [ -n "$db" ] && args+=(--db "$db")
done <<<"${CHAINWARD_DB:-}"

echo "chainward ${args[*]}"
"$bin" "${args[@]}"
code=$?

echo "exit-code=${code}" >>"$output"
if [ -f "$sarif" ]; then
  echo "sarif-path=${sarif}" >>"$output"
fi
case "$code" in
  0) ;;
  1) echo "chainward: findings at or above ${fail_on} (the action fails after the SARIF upload)" ;;
  *) echo "::error title=chainward::chainward scan exited with ${code}" ;;
esac
exit 0
