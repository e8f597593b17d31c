#!/usr/bin/env bash
# The ticker's browser test (test/ticker.test.ts) drives Debian's chromium through playwright-core,
# which never downloads a browser of its own. Installs the package when it is missing and we may:
# as root, with apt-get. Anywhere else it says so and leaves it to the test, which skips with a reason.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-chromium: $CHROMIUM is missing and this is not root with apt-get; the ticker browser test will skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# A failed install is not fatal here: the browser test then skips and says why.
if ! { apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
  || { apt-get update >/dev/null && apt-get install -y --no-install-recommends chromium >/dev/null; }; }; then
  echo "install-chromium: apt-get could not install chromium; the ticker browser test will skip" >&2
fi
