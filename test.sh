#!/usr/bin/env bash
# Installs whatever is missing (scripts/install.sh), then runs every check and
# test, in this order, stopping at the first failure:
#
#   fmt     cargo fmt --check
#   clippy  clippy -D warnings, natively and for wasm32 (web and lua crates)
#   test    cargo test --workspace: unit tests and the differential suite,
#           which runs command files against redis-server and Lockstep
#   wasm    the wasm tests of lockstep-lua, under Node
#   build   trunk build --release (the playground, into dist/)
#   e2e     tests/e2e/ in headless Chromium against dist/
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

count=0
total=${#selected[@]}
header() {
  count=$((count + 1))
  step "[$count/$total] $1"
}

if wants fmt; then
  header "fmt: cargo fmt --all -- --check"
  cargo fmt --all -- --check
fi

if wants clippy; then
  header "clippy: native workspace, then wasm32"
  cargo clippy --workspace --all-targets -- -D warnings
  mapfile -t wasm_lint < <(package_args "${WASM_LINT_PACKAGES[@]}")
  if [ ${#wasm_lint[@]} -gt 0 ]; then
    cargo clippy --target wasm32-unknown-unknown "${wasm_lint[@]}" --all-targets -- -D warnings
  fi
fi

if wants test; then
  header "test: cargo test --workspace (native, with the differential suite)"
  have redis-server || die "redis-server is not on PATH; the differential suite needs it."
  cargo test --workspace
fi

if wants wasm; then
  header "wasm: wasm-bindgen tests under Node"
  mapfile -t wasm_tests < <(package_args "${WASM_TEST_PACKAGES[@]}")
  if [ ${#wasm_tests[@]} -gt 0 ]; then
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
      cargo test --target wasm32-unknown-unknown "${wasm_tests[@]}"
  else
    note "no wasm test packages in the workspace"
  fi
fi

if wants build; then
  header "build: trunk build --release"
  trunk build --release --offline
fi

if wants e2e; then
  header "e2e: headless Chromium against dist/"
  [ -f dist/index.html ] || die "dist/ has no build: run ./test.sh build first."
  node --test --test-reporter=spec tests/e2e/console.test.mjs
fi

elapsed=$((SECONDS - LOCKSTEP_STARTED))
printf '\n\033[1;32mOK\033[0m: %s step(s) passed (%s) in %dm%02ds\n' \
  "$total" "${selected[*]}" $((elapsed / 60)) $((elapsed % 60))
