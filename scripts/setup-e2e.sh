#!/usr/bin/env bash
# Installs what SKD Lab's end-to-end tests need on a fresh Debian machine (run as root):
# Debian Chromium, ripgrep and the build tools for code-server's native modules, then the
# test harness itself (code-server + playwright-core + @vscode/vsce) under test/e2e.
# Idempotent: quick when everything is already there. Needs the npm registry and Debian apt only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E2E="$ROOT/test/e2e"

log() { echo "[setup-e2e] $*"; }

# ---- 1. Debian packages --------------------------------------------------------------------
need_apt=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v rg >/dev/null 2>&1 || need_apt+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
dpkg -s build-essential >/dev/null 2>&1 || need_apt+=(build-essential)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "[setup-e2e] missing Debian packages: ${need_apt[*]} (run this script as root)" >&2
    exit 1
  fi
  # Another apt process (e.g. a provisioning step) holds the lock: wait for it.
  for _ in $(seq 1 180); do pgrep -x apt-get >/dev/null || pgrep -x dpkg >/dev/null || break; sleep 2; done
  log "apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
else
  log "Debian packages present"
fi

# ---- 2. ripgrep for @vscode/ripgrep ---------------------------------------------------------
# code-server's nested VS Code install pulls @vscode/ripgrep, whose postinstall downloads rg from
# GitHub (unreachable here). It first looks in $TMPDIR/vscode-ripgrep-cache-<pkg version>/ for the
# release archive, so we put Debian's /usr/bin/rg there under the asset name it expects.
# Pairs: <@vscode/ripgrep version>:<ripgrep release tag in its postinstall.js>.
# code-server 4.100.3 (VS Code 1.100.3) pins @vscode/ripgrep 1.15.11 -> v13.0.0-10.
RG_PAIRS=("1.15.11:v13.0.0-10" "1.15.14:v13.0.0-13")
case "$(uname -m)" in
  x86_64) RG_TARGET=x86_64-unknown-linux-musl ;;
  aarch64) RG_TARGET=aarch64-unknown-linux-musl ;;
  *) RG_TARGET="$(uname -m)-unknown-linux-musl" ;;
esac
TMP_BASE="${TMPDIR:-/tmp}"
RG_BIN="$(command -v rg)"
for pair in "${RG_PAIRS[@]}"; do
  pkg="${pair%%:*}"; tag="${pair##*:}"
  dir="$TMP_BASE/vscode-ripgrep-cache-$pkg"
  asset="$dir/ripgrep-$tag-$RG_TARGET.tar.gz"
  if [ ! -s "$asset" ]; then
    mkdir -p "$dir"
    stage="$(mktemp -d)"
    cp "$RG_BIN" "$stage/rg"
    tar -czf "$asset" -C "$stage" rg
    rm -rf "$stage"
    log "seeded $asset"
  fi
done

# ---- 3. the harness (code-server, playwright-core, vsce) ------------------------------------
marker="$E2E/node_modules/.skd-e2e-installed"
if [ -f "$marker" ] && [ "$marker" -nt "$E2E/package-lock.json" ] \
  && [ -f "$E2E/node_modules/code-server/lib/vscode/out/server-main.js" ] \
  && [ -d "$E2E/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin" ]; then
  log "harness already installed in test/e2e/node_modules"
else
  log "npm ci in test/e2e (code-server is large: about a minute from a warm cache)"
  cd "$E2E"
  export npm_config_unsafe_perm=true npm_config_yes=true
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund
  else
    npm install --no-audit --no-fund
  fi
  touch "$marker"
fi
log "ready: run the tests with 'node test/e2e/run.mjs' (or 'npm test' at the root)"
