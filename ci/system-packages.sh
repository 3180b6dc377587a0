#!/usr/bin/env bash
# System packages the tests need beyond Python: the PostgreSQL server for the optional
# PostgreSQL index (tests/index start a private cluster with initdb/pg_ctl), and Debian's
# chromium for the explorer's browser tests (tests/explorer: Playwright drives it by its path,
# it downloads no browser of its own). Debian/Ubuntu; run as root (CI and `make setup-system`
# run it). Idempotent: installs only what is missing.
set -euo pipefail
missing=()
if ! compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" > /dev/null; then
    missing+=(postgresql)
fi
if [ ! -x /usr/bin/chromium ]; then
    missing+=(chromium)
fi
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q "${missing[@]}"
