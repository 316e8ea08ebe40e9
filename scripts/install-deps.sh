#!/usr/bin/env bash
# Installs the Debian packages Falaj needs when they are missing. Usage: install-deps.sh [bench]
set -euo pipefail

# chromium, chromium-driver and python3-venv are for the browser tests (Tests/Browser, scripts/browser-venv.sh).
packages=(libpq-dev libssl-dev libargon2-dev libcurl4-openssl-dev postgresql pkg-config curl
  chromium chromium-driver python3-venv)
if [[ "${1:-}" == "bench" ]]; then
  packages=(wrk)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "Installing missing packages: ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "Need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
