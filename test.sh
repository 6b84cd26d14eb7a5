#!/usr/bin/env bash
# Installs whatever is missing (scripts/install.sh), then runs every check and
# test, in this order:
#
#   fmt     cargo fmt --check
#   clippy  clippy -D warnings, natively and for wasm32 (web and lua crates)
#   test    cargo test --workspace: unit tests and the differential suite,
#           which runs command files against redis-server and Lockstep;
#           then lockstep check lessons/ --require-coverage (every lesson
#           parsed, run, proved; every seed item covered)
#   wasm    the wasm tests of lockstep-lua, the engine's scripting tests and
#           the simulator's determinism test, under Node
#   build   trunk build --release (the playground, into dist/)
#   e2e     tests/e2e/ in headless Chromium against dist/
#
# Every selected step runs even when an earlier one failed (except e2e after
# a failed build); the last line sums up, and the exit status is non-zero if
# any step failed.
#
# ./test.sh            runs everything
# ./test.sh e2e        runs only the named steps (their set-up still runs)
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=scripts/install.sh
source scripts/install.sh
trap report_failure ERR

ALL_STEPS=(fmt clippy test wasm build e2e)
# Packages with wasm-bindgen tests, and crates that only make sense on wasm32.
WASM_TEST_PACKAGES=(lockstep-lua)
WASM_LINT_PACKAGES=(lockstep-web lockstep-lua)

if [ $# -eq 0 ]; then
  selected=("${ALL_STEPS[@]}")
else
  selected=("$@")
  for name in "${selected[@]}"; do
    [[ " ${ALL_STEPS[*]} " == *" $name "* ]] || die "unknown step '$name'; steps are: ${ALL_STEPS[*]}"
  done
fi

wants() {
  [[ " ${selected[*]} " == *" $1 "* ]]
}

# True when `package` is a member of the workspace (so -p can name it).
workspace_has() {
  cargo metadata --no-deps --format-version 1 --offline |
    node -e 'const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
             process.exit(m.packages.some((p) => p.name === process.argv[1]) ? 0 : 1)' "$1"
}

# `-p NAME` for each of the given packages that is in the workspace.
package_args() {
  local pkg
  for pkg in "$@"; do
    if workspace_has "$pkg"; then
      printf -- '-p\n%s\n' "$pkg"
    else
      note "skipping $pkg: not a workspace member yet" >&2
    fi
  done
}

install_for_tests

passed=()
failed=()
# "name time" for each step, for the summary; the set-up comes first.
timings=("set-up $(duration $((SECONDS - LOCKSTEP_STARTED)))")
count=0
total=${#selected[@]}

# run_step NAME TITLE: runs step_NAME in a subshell with errexit, so its first
# failing command ends it, and records the result; later steps still run, so
# one run shows every problem.
run_step() {
  local name="$1" title="$2" status started=$SECONDS
  count=$((count + 1))
  step "[$count/$total] $name: $title"
  trap - ERR
  set +e
  (
    set -e
    trap report_failure ERR
    "step_$name"
  )
  status=$?
  set -e
  trap report_failure ERR
  timings+=("$name $(duration $((SECONDS - started)))")
  if [ "$status" -eq 0 ]; then
    passed+=("$name")
  else
    failed+=("$name")
  fi
}

step_fmt() {
  cargo fmt --all -- --check
}

step_clippy() {
  cargo clippy --workspace --all-targets -- -D warnings
  local packages
  mapfile -t packages < <(package_args "${WASM_LINT_PACKAGES[@]}")
  if [ ${#packages[@]} -gt 0 ]; then
    cargo clippy --target wasm32-unknown-unknown "${packages[@]}" --all-targets -- -D warnings
  fi
}

step_test() {
  have redis-server || die "redis-server is not on PATH; the differential suite needs it."
  cargo test --workspace
  cargo run --quiet -p lockstep-cli -- check lessons/ --require-coverage
}

step_wasm() {
  local packages
  mapfile -t packages < <(package_args "${WASM_TEST_PACKAGES[@]}")
  if [ ${#packages[@]} -eq 0 ]; then
    note "no wasm test packages in the workspace"
    return
  fi
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --target wasm32-unknown-unknown "${packages[@]}"
  # The engine's scripting tests (EVAL, FUNCTION, BUSY and SCRIPT KILL) are
  # the same files natively and here; its other tests are native only.
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --target wasm32-unknown-unknown -p lockstep-engine \
    --test scripting --test busy_scripts
  # The simulator's traces must be the native ones byte for byte: both
  # targets compare them with crates/sim/tests/golden/traces.txt.
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --target wasm32-unknown-unknown -p lockstep-sim --test determinism
}

step_build() {
  trunk build --release --offline
}

step_e2e() {
  [[ " ${failed[*]} " != *" build "* ]] || die "skipped: the build step failed, so dist/ is stale."
  [ -f dist/index.html ] || die "dist/ has no build: run ./test.sh build first."
  # The console, then the scenario lab (stories, timeline, deep links,
  # "Break it"; it prints the explorer's schedules per second in Chromium),
  # then the lessons (home, player, interview, progress, embed, review),
  # then the embed kit (the example deck, other origins, a sub-path).
  local files=(
    tests/e2e/console.test.mjs
    tests/e2e/scenarios.test.mjs
    tests/e2e/player.test.mjs
    tests/e2e/lessons.test.mjs
    tests/e2e/responsive.test.mjs
    tests/e2e/timeline.test.mjs
    tests/e2e/operations.test.mjs
    tests/e2e/first-screen.test.mjs
    tests/e2e/access.test.mjs
    tests/e2e/player-extras.test.mjs
    tests/e2e/review.test.mjs
    tests/e2e/compare.test.mjs
    tests/e2e/embed.test.mjs
  )
  node --test --test-reporter=spec "${files[@]}"
}

for name in "${ALL_STEPS[@]}"; do
  if wants "$name"; then
    case "$name" in
      fmt) run_step fmt "cargo fmt --all -- --check" ;;
      clippy) run_step clippy "clippy -D warnings, native workspace then wasm32" ;;
      test) run_step test "cargo test --workspace (native, with the differential suite)" ;;
      wasm) run_step wasm "wasm-bindgen tests under Node" ;;
      build) run_step build "trunk build --release" ;;
      e2e) run_step e2e "headless Chromium against dist/" ;;
    esac
  fi
done

took="$(duration $((SECONDS - LOCKSTEP_STARTED)))"
breakdown="$(printf '%s, ' "${timings[@]}")"
breakdown="${breakdown%, }"
if [ ${#failed[@]} -eq 0 ]; then
  printf '\n\033[1;32mtest.sh: all %s step(s) passed in %s\033[0m (%s)\n' "$total" "$took" "$breakdown"
else
  printf '\n\033[1;31mtest.sh: %s of %s step(s) failed (%s) in %s\033[0m (%s)\n' \
    "${#failed[@]}" "$total" "${failed[*]}" "$took" "$breakdown"
  exit 1
fi
