#!/usr/bin/env bash
# Installs whatever is missing (scripts/install.sh), builds the playground and
# serves it on http://127.0.0.1:8080/ (PORT=9000 ./serve.sh to change),
# rebuilding and reloading the page when a source file changes. Ctrl-C stops.
#
# Extra arguments go to `trunk serve`, e.g. ./serve.sh --release
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=scripts/install.sh
source scripts/install.sh
trap report_failure ERR

PORT="${PORT:-8080}"

install_for_build

step "serve: trunk serve on 127.0.0.1:$PORT"
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  die "port $PORT is already in use; pick another with PORT=9000 ./serve.sh"
fi
note "The first build takes a few minutes; later ones only rebuild what changed."
printf '\n    Open \033[1mhttp://127.0.0.1:%s/\033[0m once Trunk says it is serving. Ctrl-C stops.\n\n' "$PORT"
trap - ERR
exec trunk serve --offline --address 127.0.0.1 --port "$PORT" "$@"
