#!/usr/bin/env bash
# On a machine with a GPU (or, for the code path only, Mesa's software Vulkan): builds gdlab with
# the wgpu and remote backends, lists the adapters it finds, runs the backend agreement tests
# (wgpu against flex, a run through a loopback device-server) and benchmarks wgpu against flex.
#
#   scripts/gpu-check.sh              # the default adapter (a discrete GPU first)
#   GDLAB_DEVICE=cpu scripts/gpu-check.sh   # Mesa's lavapipe: the same code, on the CPU
set -euo pipefail
cd "$(dirname "$0")/.."
features="${GDLAB_FEATURES:-wgpu,remote}"
device="${GDLAB_DEVICE:-default}"
# Mesa's Vulkan loader wants a runtime folder; a bare machine (or CI) may not have one.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xdg-runtime-$(id -u)}"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
bin="$CARGO_TARGET_DIR/release/gdlab"

echo "== build (features: $features)"
cargo build --release --features "$features"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
command -v vulkaninfo >/dev/null && vulkaninfo --summary 2>/dev/null | grep -E "deviceName|deviceType|apiVersion" || true

echo "== devices"
"$bin" devices

echo "== agreement tests (wgpu vs flex, remote through a loopback device-server)"
cargo test --release --features "$features" --test it -- backends:: --test-threads=1
echo "== gradient agreement on the device (autodiff = formula = finite differences)"
cargo test --release --features "$features" --test gradients_f32 -- on_device

echo "== bench: flex, then wgpu on device '$device'"
"$bin" bench --workload W1 --backend flex --repeat 3
"$bin" bench --workload W2 --backend flex --repeat 3
"$bin" bench --workload W1 --backend wgpu --device "$device" --repeat 3
"$bin" bench --workload W2 --backend wgpu --device "$device" --repeat 3
"$bin" bench --workload W3 --backend wgpu --device "$device" --repeat 1
