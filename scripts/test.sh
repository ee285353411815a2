#!/usr/bin/env bash
# The test command (README; .ci/run calls it): every check and every test, from one build.
#
#   packages  Debian's chromium and chromium-driver (the browser tests), mesa-vulkan-drivers
#             (wgpu on the CPU, through lavapipe) and slurmctld, slurmd, slurm-client and munge
#             (a one-node Slurm), installed when missing, in the background while the build
#             runs; the tests wait for them. (fonts-noto-cjk, for reading the
#             Korean in the screenshots under target/browser/, is not needed by any test and
#             not installed here: its 100 MB and font cache cost CI minutes.)
#   fmt       cargo fmt --check
#   build     one build of every target in the `ci` profile (Cargo.toml) with the wgpu and
#             remote features, compiled through clippy-driver: that build is also the lint
#             (clippy -D warnings on the project's own code, tests included, GPU and remote
#             code included), as `cargo clippy --all-targets --features wgpu,remote` would.
#   tests     from that build: the unit tests, the integration tests (tests/it: the real binary
#             on real configs, the live lab in Chromium, wgpu on lavapipe and remote through a
#             loopback device-server), the Slurm launcher's tests on a one-node Slurm
#             (started and stopped by scripts/slurm.sh),
#             the gradient agreement tests in f32 and in f64.
#
# Arguments go to `cargo test` in place of the groups above, on the same build:
#   scripts/test.sh --test it resume::
# Each phase prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

start=$(date +%s)
last=$start
phase() {
  local now
  now=$(date +%s)
  printf 'test: %-34s %5d s  (total %d s)\n' "$1" $((now - last)) $((now - start))
  last=$now
}

# Packages, in the background.
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1 || need+=(mesa-vulkan-drivers)
# A one-node Slurm for the Slurm launcher's tests (scripts/slurm.sh starts and stops it).
[ -x /usr/sbin/slurmctld ] || need+=(slurmctld)
[ -x /usr/sbin/slurmd ] || need+=(slurmd)
[ -x /usr/bin/sbatch ] || need+=(slurm-client)
[ -x /usr/sbin/munged ] || need+=(munge)
packages=""
mkdir -p target
if [ ${#need[@]} -gt 0 ]; then
  echo "test: installing ${need[*]} (Debian) in the background; log in target/packages.log"
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
  # At the lowest CPU and I/O priority: the install has the whole build to finish in, and
  # unpacking Chromium at full priority took 3 minutes from the build (measured).
  low=(nice -n 19 ionice -c 2 -n 7 env DEBIAN_FRONTEND=noninteractive)
  (
    "${sudo[@]}" "${low[@]}" apt-get update -qq &&
      "${sudo[@]}" "${low[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
  ) >target/packages.log 2>&1 &
  packages=$!
  # A failed format check or build must not leave apt running (and holding dpkg's lock).
  trap '[ -z "$packages" ] || { pkill -TERM -P "$packages"; kill "$packages"; } 2>/dev/null || true' EXIT
fi

cargo fmt --check
phase "fmt"

# The one build. clippy-driver stands in for rustc on this package only (as `cargo clippy`
# does it), so the lints and the test binaries come from one compilation; every cargo command
# below sees the same variables and so reuses it.
clippy=$(command -v clippy-driver) || {
  echo "test: clippy-driver is missing (rustup component add clippy): the build would not be linted" >&2
  exit 1
}
export RUSTC_WORKSPACE_WRAPPER="$clippy"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
cargo=(cargo test --profile ci --features wgpu,remote)
"${cargo[@]}" --all-targets --no-run
phase "build and clippy"

if [ -n "$packages" ]; then
  if ! wait "$packages"; then
    cat target/packages.log >&2
    echo "test: installing ${need[*]} failed (log above)" >&2
    exit 1
  fi
  packages=""
  phase "waiting for packages"
fi
# Mesa's Vulkan loader wants a runtime folder, which a bare machine may not have.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xdg-runtime-$(id -u)}"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"

if [ $# -gt 0 ]; then
  "${cargo[@]}" "$@"
  phase "cargo test $*"
  exit 0
fi
# Every group runs, even after one fails, so one CI run shows every failure.
failed=()
group() {
  local name=$1
  shift
  "${cargo[@]}" "$@" || failed+=("$name")
  phase "$name"
}
# A group run inside a one-node Slurm (scripts/slurm.sh starts it, and stops it after).
slurm_group() {
  local name=$1
  shift
  scripts/slurm.sh "${cargo[@]}" "$@" || failed+=("$name")
  phase "$name"
}
group "unit tests" --lib --bins
# Four test threads on two cores: most of these tests wait on a child process, a server or a
# browser, and four threads took the group from 364 s to 321 s here (measured back to back).
group "integration tests (tests/it)" --test it -- --test-threads 4
# On their own: beside the integration tests (their runs train on the same two cores) the two
# groups took 422 s together against about 335 + 57 s one after the other (measured).
slurm_group "Slurm launcher (tests/it/slurm.rs, one-node Slurm)" --test it slurm:: -- --ignored --test-threads 2
group "gradient agreement, f32" --test gradients_f32
group "gradient agreement, f64" --test gradients_f64
group "doc tests" --doc
if [ ${#failed[@]} -gt 0 ]; then
  printf 'test: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "test: every check and test passed in $(($(date +%s) - start)) s"
