#!/usr/bin/env bash
# The install step of chainward's GitHub Action (action.yml): a release binary for the runner's
# OS and architecture, its SHA-256 checked against the published `.sha256` file when there is
# one; otherwise (no release asset for this platform or version) `cargo install --locked`.
#
#   CHAINWARD_VERSION     `latest` or a version (`0.2.0` / `v0.2.0`)
#   CHAINWARD_REPOSITORY  owner/name of the action's repository (default chainward/chainward)
#   CHAINWARD_REF         the action's ref (github.action_ref), for the `cargo install --git` fallback
#   RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_PATH, GITHUB_OUTPUT  set by the runner
#
# Release assets are named `chainward-<target>.tar.gz` (`.zip` on Windows), each with
# `chainward-<target>.tar.gz.sha256` holding the hex digest (optionally followed by the name).
set -euo pipefail

version="${CHAINWARD_VERSION:-latest}"
repo="${CHAINWARD_REPOSITORY:-chainward/chainward}"
ref="${CHAINWARD_REF:-}"
case "$version$repo$ref" in
  *$'\n'* | *$'\r'*) echo "::error title=chainward::inputs must be single-line values"; exit 2 ;;
esac
temp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
dest="${temp}/chainward-bin"
mkdir -p "$dest"

case "${RUNNER_OS:-Linux}/${RUNNER_ARCH:-X64}" in
  Linux/X64) target=x86_64-unknown-linux-gnu ;;
  Linux/ARM64) target=aarch64-unknown-linux-gnu ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc ;;
  *) target="" ;;
esac
ext=tar.gz exe=chainward
if [ "${RUNNER_OS:-Linux}" = Windows ]; then ext=zip exe=chainward.exe; fi

if [ "$version" = latest ]; then
  base_url="https://github.com/${repo}/releases/latest/download"
else
  tag="v${version#v}"
  base_url="https://github.com/${repo}/releases/download/${tag}"
fi

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1
}

from_release() {
  [ -n "$target" ] || return 1
  local asset="chainward-${target}.${ext}" work
  work="$(mktemp -d "${temp}/chainward-dl.XXXXXX")"
  echo "chainward: downloading ${base_url}/${asset}"
  curl -fsSL --retry 3 -o "${work}/${asset}" "${base_url}/${asset}" || return 1
  if curl -fsSL --retry 3 -o "${work}/${asset}.sha256" "${base_url}/${asset}.sha256"; then
    local expected actual
    expected="$(tr -d '\r' <"${work}/${asset}.sha256" | awk '{print tolower($1); exit}')"
    actual="$(sha256 "${work}/${asset}")"
    if [ "$expected" != "$actual" ]; then
      echo "::error title=chainward::SHA-256 mismatch for ${asset}: expected ${expected}, got ${actual}"
      exit 2
    fi
    echo "chainward: SHA-256 verified (${actual})"
  else
    echo "::warning title=chainward::no ${asset}.sha256 published: the download is not verified"
  fi
  if [ "$ext" = zip ]; then
    unzip -q -o "${work}/${asset}" -d "$work/x"
  else
    mkdir -p "$work/x" && tar -xzf "${work}/${asset}" -C "$work/x"
  fi
  local found
  found="$(find "$work/x" -type f -name "$exe" | head -n 1)"
  [ -n "$found" ] || { echo "::warning title=chainward::${asset} holds no ${exe}"; return 1; }
  install -m 0755 "$found" "${dest}/${exe}"
}

from_source() {
  command -v cargo >/dev/null 2>&1 || { echo "::error title=chainward::no release binary and no cargo"; exit 2; }
  local root="${temp}/chainward-cargo"
  if [ "$version" = latest ]; then
    if ! cargo install --locked --root "$root" chainward; then
      local git_args=(--git "https://github.com/${repo}")
      [ -n "$ref" ] && git_args+=(--rev "$ref")
      cargo install --locked --root "$root" "${git_args[@]}" chainward
    fi
  else
    cargo install --locked --root "$root" --version "${version#v}" chainward
  fi
  install -m 0755 "${root}/bin/${exe}" "${dest}/${exe}"
}

from_release || from_source
echo "$dest" >>"${GITHUB_PATH:-/dev/null}"
echo "bin=${dest}/${exe}" >>"${GITHUB_OUTPUT:-/dev/null}"
"${dest}/${exe}" --version || true
