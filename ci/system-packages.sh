#!/usr/bin/env bash
# System packages the tests need beyond Python: the PostgreSQL server for the optional
# PostgreSQL index (tests/index start a private cluster with initdb/pg_ctl). Debian/Ubuntu;
# run as root (CI and `make setup-system` run it). Idempotent: installs only what is missing.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" > /dev/null; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q postgresql
