#!/bin/sh
# Runs the console's browser tests (console.test.mjs) with node's test runner:
#   run.sh SOURCE_DIR TEST_FILE
# Skipped (exit 77, which ctest reports as skipped) when the browser, node or
# the npm packages (scripts/install-deps.sh test installs all three) are
# missing on a developer's machine; with CI=true a missing one is a failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
chromium=${OMSWATCH_CHROMIUM:-/usr/bin/chromium}

missing=""
[ -x "$chromium" ] || missing="$missing $chromium (Debian's chromium)"
command -v node >/dev/null 2>&1 || missing="$missing node (Debian's nodejs)"
[ -d "$here/node_modules/playwright-core" ] ||
  missing="$missing $here/node_modules/playwright-core (npm ci in tests/browser)"
if [ -n "$missing" ]; then
  echo "browser tests: missing:$missing"
  echo "browser tests: scripts/install-deps.sh test installs them"
  if [ "${CI:-}" = true ]; then
    echo "browser tests: FAILED: CI=true and the browser tests cannot run"
    exit 1
  fi
  echo "browser tests: SKIPPED"
  exit 77
fi
exec node --test "$@"
