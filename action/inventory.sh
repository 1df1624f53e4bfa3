#!/usr/bin/env bash
# The fleet inventory steps of chainward's GitHub Action (action.yml):
#
#   inventory.sh add       `chainward inventory add PATH --project P --revision $GITHUB_SHA --keep N`,
#                          after the scan, on push, schedule and workflow_dispatch events only
#   inventory.sh affected  `chainward inventory affected --since S --format markdown` into the job
#                          summary (the action's `mode: inventory-affected`, a scheduled job)
#
# Every input arrives as an environment variable, never spliced into the script, so a branch name,
# path or project name cannot inject shell code:
#
#   CHAINWARD_DATABASE_URL  the inventory (input `inventory-database`, from a secret): it reaches
#                           chainward through this variable only, never on a command line, and is
#                           masked (`::add-mask::`) before anything else is printed
#   INPUT_PATH, INPUT_PROJECT, INPUT_KEEP       (add)
#   INPUT_SINCE, INPUT_FAIL_ON                  (affected)
#   CHAINWARD_DB           advisory databases, one path per line (affected; default: chainward's cache)
#   CHAINWARD_BIN          the binary (default: `chainward` on PATH)
#   GITHUB_EVENT_NAME, GITHUB_SHA, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP  set by the runner
#
# The step records chainward's exit code as the `exit-code` output and exits 0 whenever chainward
# ran; the action's last step turns it into the job's result, after the scan's own (so a failed
# `add` fails the job without hiding what the scan found). Bad inputs exit 2 at once.
set -uo pipefail

fail() {
  echo "::error title=chainward::$1"
  exit 2
}

command="${1:-}"
bin="${CHAINWARD_BIN:-chainward}"
url="${CHAINWARD_DATABASE_URL:-}"
output="${GITHUB_OUTPUT:-/dev/null}"

# The URL is checked first and masked before anything is printed; no message ever contains it.
case "$url" in
  *$'\n'* | *$'\r'*) fail "the inventory-database input must be a single line" ;;
esac
# Workflow command data is unescaped by the runner (`%25` is `%`): escape `%` so the mask is the
# URL exactly.
mask() {
  [ -n "$1" ] && echo "::add-mask::${1//%/%25}"
}
if [ -n "$url" ]; then
  mask "$url"
  # The password alone too, should anything print the URL in another form.
  userinfo="${url#*://}"
  if [ "$userinfo" != "$url" ]; then
    userinfo="${userinfo%%/*}"
    case "$userinfo" in
      *@*)
        userinfo="${userinfo%@*}"
        case "$userinfo" in
          *:*) mask "${userinfo#*:}" ;;
        esac
        ;;
    esac
  fi
fi
[ -n "$url" ] || fail "the inventory-database input is empty: set it to the inventory's URL, e.g. \${{ secrets.CHAINWARD_DATABASE_URL }}"
# A runner's disk is gone after the job: only a server makes sense here, and a mistyped scheme
# must fail instead of quietly writing a local SQLite file.
case "$url" in
  postgres://* | postgresql://* | *host=* | sqlite:*) ;;
  *) fail "inventory-database must be a PostgreSQL URL (postgres://user@host/db), or sqlite:PATH for a file kept elsewhere: a path alone is most likely a mistyped URL" ;;
esac
export CHAINWARD_DATABASE_URL="$url"

single_line() {
  for value in "$@"; do
    case "$value" in
      *$'\n'* | *$'\r'*) fail "inputs must be single-line values" ;;
    esac
  done
}

# Runs chainward, prints its command line (never the URL: it is not on it), records `exit-code`.
run() {
  echo "chainward $*"
  "$bin" "$@"
  code=$?
  echo "exit-code=${code}" >>"$output"
}

case "$command" in
  add)
    path="${INPUT_PATH:-.}"
    project="${INPUT_PROJECT:-${GITHUB_REPOSITORY:-}}"
    keep="${INPUT_KEEP:-}"
    revision="${GITHUB_SHA:-}"
    single_line "$path" "$project" "$keep" "$revision"
    event="${GITHUB_EVENT_NAME:-}"
    case "$event" in
      push | schedule | workflow_dispatch) ;;
      *)
        # A pull request's merge commit (refs/pull/N/merge) is not what ships: what the default
        # branch builds is added when the pull request is merged (a push).
        echo "chainward: not adding to the fleet inventory on ${event:-an unknown} event (only on push, schedule and workflow_dispatch: a pull request's merge commit is not what ships)"
        exit 0
        ;;
    esac
    [ -n "$project" ] || fail "the inventory-project input is empty"
    case "$keep" in
      0* | *[!0-9]*) fail "inventory-keep must be a positive whole number (empty: keep every revision)" ;;
    esac
    args=(inventory add "$path" --project "$project")
    # Without GITHUB_SHA, chainward takes the commit id of HEAD.
    [ -n "$revision" ] && args+=(--revision "$revision")
    [ -n "$keep" ] && args+=(--keep "$keep")
    run "${args[@]}"
    [ "$code" -eq 0 ] ||
      echo "::error title=chainward::chainward inventory add exited with ${code}: the fleet inventory was not updated"
    exit 0
    ;;
  affected)
    since="${INPUT_SINCE-yesterday}"
    fail_on="${INPUT_FAIL_ON:-low}"
    single_line "$since" "$fail_on"
    report="$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/chainward-affected.XXXXXX")" ||
      fail "cannot create a temporary file"
    trap 'rm -f "$report"' EXIT
    args=(inventory affected --format markdown -o "$report" --fail-on "$fail_on")
    # An empty inventory-since checks every advisory.
    [ -n "$since" ] && args+=(--since "$since")
    while IFS= read -r db; do
      [ -n "$db" ] && args+=(--db "$db")
    done <<<"${CHAINWARD_DB:-}"
    run "${args[@]}"
    if [ -s "$report" ]; then
      cat "$report"
      if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        cat "$report" >>"$GITHUB_STEP_SUMMARY"
      fi
    fi
    case "$code" in
      0) ;;
      1) echo "chainward: advisories affect the fleet at or above ${fail_on} (the action fails in its last step)" ;;
      *) echo "::error title=chainward::chainward inventory affected exited with ${code}" ;;
    esac
    exit 0
    ;;
  *) fail "usage: inventory.sh add|affected" ;;
esac
