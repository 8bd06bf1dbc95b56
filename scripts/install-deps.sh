#!/usr/bin/env bash
# Installs the Debian bookworm packages scrm-bot needs to build, test and run.
# Uses sudo when not root; does nothing when everything is already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config tzdata ca-certificates curl
  libboost1.81-dev libssl-dev rapidjson-dev libsqlitecpp-dev libsqlite3-dev libspdlog-dev
  catch2 libtomlplusplus-dev libpugixml-dev libkainjow-mustache-dev libcli11-dev
  libhowardhinnant-date-dev libmimalloc-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "these packages are missing: ${missing[*]}" >&2
    echo "run this script as root, or install sudo, to install them" >&2
    exit 1
  fi
  sudo="sudo"
fi
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
# Through env: sudo's env_reset would drop the variable.
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${missing[@]}"
