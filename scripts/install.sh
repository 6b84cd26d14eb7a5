# Shared set-up for ./serve.sh and ./test.sh. Source it; don't run it.
#
# Every step installs only what is missing, says what and why, and is safe to
# repeat. Everything comes from package registries (Debian's apt, crates.io,
# npm) or from rustup: nothing is downloaded from anywhere else, so Trunk runs
# offline and finds its tools (wasm-bindgen, wasm-opt) on PATH at the
# versions it expects.
#
# The sourcing script must `set -Eeuo pipefail` and `cd` to the repo root.

LOCKSTEP_ROOT="$(pwd)"
TRUNK_VERSION="0.21.14"
WASM_OPT_VERSION="132"
NODE_MIN="20.19"

# Debian packages and why they are needed.
APT_FOR_WASM_LUA=(clang-14 wasi-libc libclang-rt-14-dev-wasm32)
APT_FOR_BROWSER_TESTS=(chromium chromium-driver)
APT_FOR_DIFFERENTIAL=(redis-server)

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$LOCKSTEP_ROOT/node_modules/.bin:$PATH"
# Trunk must never reach for the network (its update check included).
export TRUNK_SKIP_VERSION_CHECK=true

LOCKSTEP_STEP="set-up"
LOCKSTEP_STARTED=$SECONDS
LOCKSTEP_APT_UPDATED=""

# Names the step that is starting; failures are reported with this name.
step() {
  LOCKSTEP_STEP="$1"
  printf '\n\033[1m==> %s\033[0m\n' "$1"
}

note() {
  printf '    %s\n' "$*"
}

die() {
  printf '\nerror in step "%s": %s\n' "$LOCKSTEP_STEP" "$*" >&2
  exit 1
}

# duration SECONDS: "7s", "3m05s".
duration() {
  if [ "$1" -lt 60 ]; then
    printf '%ds' "$1"
  else
    printf '%dm%02ds' $(($1 / 60)) $(($1 % 60))
  fi
}

# Installed as an ERR trap by the sourcing script: says which step failed.
report_failure() {
  local status=$?
  printf '\n\033[1;31mFAILED\033[0m in step "%s" (exit status %s), %s into the run\n' \
    "$LOCKSTEP_STEP" "$status" "$(duration $((SECONDS - LOCKSTEP_STARTED)))" >&2
  exit "$status"
}

have() {
  command -v "$1" >/dev/null 2>&1
}

# Prints the version of `package` recorded in Cargo.lock.
cargo_lock_version() {
  awk -v name="$1" '
    $0 == "name = \"" name "\"" { found = 1; next }
    found && /^version = / { gsub(/version = |"/, ""); print; exit }
  ' "$LOCKSTEP_ROOT/Cargo.lock"
}

version_at_least() {
  # version_at_least HAVE WANT: true when HAVE >= WANT (dotted numbers).
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

check_basics() {
  step "check: cargo, rustup, node, npm"
  have cargo || die "cargo was not found. Install Rust with rustup (https://rustup.rs), then run this again."
  have rustup || die "rustup was not found; it is needed to add the wasm32 target."
  have node || die "node was not found. Install Node.js ${NODE_MIN} or newer, then run this again."
  have npm || die "npm was not found; it comes with Node.js."
  local node_version
  node_version="$(node --version | sed 's/^v//')"
  version_at_least "$node_version" "$NODE_MIN" ||
    die "Node.js $node_version is too old: $NODE_MIN or newer is needed (the wasm tests load ES modules with require)."
  note "cargo $(cargo --version | cut -d' ' -f2), node $node_version, npm $(npm --version)"
}

# ensure_apt WHY PACKAGE...: installs the packages that are missing.
ensure_apt() {
  local why="$1"
  shift
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep "install ok installed" >/dev/null || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    note "present: $*"
    return
  fi
  have apt-get || die "missing ${missing[*]} ($why), and apt-get is not available: install them by hand."
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    have sudo || die "installing ${missing[*]} needs root, and sudo is not available."
    sudo=(sudo)
  fi
  note "installing ${missing[*]}: $why"
  if [ -z "$LOCKSTEP_APT_UPDATED" ]; then
    "${sudo[@]}" apt-get update
    LOCKSTEP_APT_UPDATED=1
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
}

ensure_rust_wasm() {
  step "install: Rust wasm32 target, rustfmt, clippy"
  if rustup target list --installed | grep -x wasm32-unknown-unknown >/dev/null; then
    note "present: wasm32-unknown-unknown target"
  else
    note "adding the wasm32-unknown-unknown target: the playground and the wasm tests are built for it"
    rustup target add wasm32-unknown-unknown
  fi
  local component
  for component in rustfmt clippy; do
    if rustup component list --installed | grep "^$component" >/dev/null; then
      note "present: $component"
    else
      note "adding $component: ./test.sh checks formatting and lints"
      rustup component add "$component"
    fi
  done
}

# cargo install with a lighter release profile: these tools run for seconds,
# and this halves their build time on two cores.
cargo_install_fast() {
  local started=$SECONDS
  CARGO_PROFILE_RELEASE_LTO=off \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install "$@"
  note "installed $1 in $(duration $((SECONDS - started)))"
}

ensure_trunk() {
  step "install: trunk $TRUNK_VERSION"
  if have trunk && [ "$(trunk --version)" = "trunk $TRUNK_VERSION" ]; then
    note "present: $(trunk --version)"
    return
  fi
  note "installing trunk $TRUNK_VERSION from crates.io (about 5 minutes): it builds the playground"
  note "(trunk 0.22 needs a newer Rust than this project's 1.95)"
  cargo_install_fast trunk --locked --version "$TRUNK_VERSION"
}

ensure_wasm_bindgen() {
  local version
  version="$(cargo_lock_version wasm-bindgen)"
  [ -n "$version" ] || die "wasm-bindgen is not in Cargo.lock; run \`cargo generate-lockfile\`."
  step "install: wasm-bindgen-cli $version"
  if have wasm-bindgen && [ "$(wasm-bindgen --version)" = "wasm-bindgen $version" ] &&
    have wasm-bindgen-test-runner; then
    note "present: $(wasm-bindgen --version)"
    return
  fi
  note "installing wasm-bindgen-cli $version from crates.io (about 2 minutes):"
  note "it must match the wasm-bindgen crate in Cargo.lock; Trunk and the wasm tests use it"
  # Not --locked: its lock file pins a crate version the registry no longer has.
  cargo_install_fast wasm-bindgen-cli --version "$version"
}

ensure_node_modules() {
  step "install: npm packages (binaryen's wasm-opt, playwright-core, reveal.js for the example deck)"
  local stamp="node_modules/.lockstep-installed"
  local want
  want="$(cat package.json package-lock.json | cksum)"
  if [ -d node_modules ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    note "present: node_modules matches package-lock.json"
  else
    note "running npm ci: wasm-opt $WASM_OPT_VERSION shrinks the wasm for Trunk; playwright-core drives Chromium"
    npm ci --no-audit --no-fund
    printf '%s\n' "$want" >"$stamp"
  fi
  wasm-opt --version | grep "version $WASM_OPT_VERSION" >/dev/null ||
    die "wasm-opt on PATH is not version $WASM_OPT_VERSION ($(command -v wasm-opt)); Trunk.toml expects it."
}

fetch_crates() {
  step "install: crates (cargo fetch, so that builds can run offline)"
  cargo fetch
}

# What building and serving the playground needs.
install_for_build() {
  check_basics
  step "install: apt packages"
  ensure_apt "clang and wasi-libc compile Lua 5.1 for wasm32" "${APT_FOR_WASM_LUA[@]}"
  ensure_rust_wasm
  ensure_trunk
  ensure_wasm_bindgen
  ensure_node_modules
  fetch_crates
}

# What ./test.sh needs: the build tools plus Chromium and Redis.
install_for_tests() {
  check_basics
  step "install: apt packages"
  ensure_apt "clang and wasi-libc compile Lua 5.1 for wasm32" "${APT_FOR_WASM_LUA[@]}"
  ensure_apt "headless Chromium runs the end-to-end test" "${APT_FOR_BROWSER_TESTS[@]}"
  ensure_apt "a real Redis for the differential tests" "${APT_FOR_DIFFERENTIAL[@]}"
  ensure_rust_wasm
  ensure_trunk
  ensure_wasm_bindgen
  ensure_node_modules
  fetch_crates
}
