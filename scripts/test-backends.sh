#!/usr/bin/env bash
# The backend tests on a build with the wgpu and remote features: wgpu against flex (on Mesa's
# software Vulkan, lavapipe, where there is no GPU), a run through a `gdlab device-server` on a
# loopback port (agreement, a wrong token, the server killed mid-run and --resume), and the
# gradient agreement tests with wgpu among the backends. Installs Debian's mesa-vulkan-drivers
# when missing. Built in the `backends` profile (Cargo.toml: release without LLVM's
# optimisations), because a release build of burn's wgpu and remote stack takes 51 minutes on 2
# cores. The CPU halves of the gradient tests run in the default build (scripts/test.sh); here
# only their device halves, and the resume property test (every compiled backend). Arguments
# replace that selection and go to cargo test (`scripts/test-backends.sh --test backends`).
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
test=(cargo test --profile backends --features wgpu,remote)
if [ $# -gt 0 ]; then
  "${test[@]}" "$@"
else
  "${test[@]}" --lib --test backends
  # The gradient agreement and resume-bit-for-bit property tests with wgpu among the backends.
  "${test[@]}" --test gradients_f32 --test resume -- on_device resuming_after_any_step
fi
