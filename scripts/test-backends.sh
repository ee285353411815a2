#!/usr/bin/env bash
# The backend tests on a build with the wgpu and remote features: wgpu against flex (on Mesa's
# software Vulkan, lavapipe, where there is no GPU), a run through a `gdlab device-server` on a
# loopback port (agreement, a wrong token, the server killed mid-run and --resume), and the
# gradient agreement property tests with wgpu among the backends. Installs Debian's
# mesa-vulkan-drivers when missing. The build adds burn's wgpu and remote stack: over 40 minutes
# on 2 cores the first time. On lavapipe the gradient property tests are slow (hundreds of small
# cases, each many kernel launches): over 15 minutes here. Arguments go to cargo test
# (`scripts/test-backends.sh --test backends` for the backend tests alone, about 75 s).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1; then
  echo "test-backends: installing mesa-vulkan-drivers (Debian) for wgpu on the CPU"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq mesa-vulkan-drivers >/dev/null
fi
# Mesa's Vulkan loader wants a runtime folder, which a bare machine may not have.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xdg-runtime-$(id -u)}"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
cargo test --release --features wgpu,remote --lib --test backends --test gradients_f32 "$@"
