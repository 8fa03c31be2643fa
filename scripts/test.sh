#!/usr/bin/env bash
# Install everything the test suite needs and run the whole suite (unit, notebooks, app, browser).
# This is the README's test command and what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

# The real-browser test drives Debian's chromium (Playwright's own browser download does not work offline).
if [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    echo "installing Debian's chromium for the browser test"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: /usr/bin/chromium missing and apt-get unavailable: the browser test will be skipped" >&2
  fi
fi

# Style is held by a tool, not by review: lint and import order (settings in pyproject.toml).
python -m ruff check .

exec python -m pytest "$@"
