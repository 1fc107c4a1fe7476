#!/usr/bin/env bash
# Installs the system packages Arbor needs when they are missing (Debian 12; needs root or sudo).
#   libtorch-dev, python3-torch : TorchScript inference on leaves, sample-model generation
#   python3-grpcio, python3-protobuf : the real gRPC peer of the interop tests
#   postgresql : the PostgreSQL feature-store adapter's tests start a private server
#   redis-server, python3-redis : the Feast Redis online-store tests start a private server and write its layout
#   iproute2 : network namespaces for the bandwidth-limited benchmark
#   python3-prometheus-client : parses /metrics scrapes in the observability tests
#   chromium : loads the status page in a real (headless) browser in the observability tests
set -euo pipefail
packages=(libtorch-dev python3-torch python3-grpcio python3-protobuf python3-prometheus-client postgresql redis-server python3-redis iproute2 g++ chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "arbor: installing system packages: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "arbor: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
