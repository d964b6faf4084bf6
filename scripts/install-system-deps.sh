#!/usr/bin/env bash
# System packages the test suite uses to look at outputs as a person would:
#   chromium      – renders the HTML reports headless to PNG
#   poppler-utils – pdftoppm turns report PDFs into PNG pages
#   pspp          – GNU PSPP reads back the SPSS research export
#   postgresql    – initdb/pg_ctl: a throw-away PostgreSQL cluster for the Prefect server the
#                   multi-worker tests start (tests/helpers/postgres.py; Debian keeps these
#                   programs under /usr/lib/postgresql/<major>/bin, not on PATH)
# Idempotent: installs only what is missing. Needs root (CI and dev machines run as root).
#
# `make test` runs this before pytest, so the very first `make test` on a bare machine must
# leave every tool working or stop here with a clear message -- never let pytest start with
# a tool missing or half installed. Hence:
#   - a package counts as present only when dpkg has it fully installed *and* its program
#     runs (an interrupted first install leaves the program on disk but the package
#     unconfigured: "command -v" alone would skip it and the tests would fail later);
#   - apt waits for the dpkg lock (a fresh machine often runs apt at boot: unattended
#     upgrades, cloud-init) instead of failing at once;
#   - apt-get update + install are retried: a first `apt-get update` on a bare machine can
#     fetch part of the lists only (exit 0 with warnings), and the install then 404s;
#   - at the end every program is run once; if one does not work, this script fails.
set -euo pipefail

# package:program pairs
TOOLS=(chromium:chromium poppler-utils:pdftoppm pspp:pspp postgresql:initdb)
APT_OPTS=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)

initdb_path() {  # on PATH, else the newest Debian major version's
  command -v initdb 2>/dev/null && return 0
  ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 | grep .
}

works() {  # program runs (version query: no display, no files)
  case "$1" in
    chromium) chromium --headless --no-sandbox --version >/dev/null 2>&1 ;;
    pdftoppm) pdftoppm -v >/dev/null 2>&1 ;;
    pspp) pspp --version >/dev/null 2>&1 ;;
    initdb) p=$(initdb_path) && "$p" --version >/dev/null 2>&1 \
      && "$(dirname "$p")/pg_ctl" --version >/dev/null 2>&1 ;;
  esac
}

found() {  # the program is there to run
  if [ "$1" = initdb ]; then initdb_path >/dev/null; else command -v "$1" >/dev/null 2>&1; fi
}

installed() {  # dpkg has the package fully installed and configured
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

need=()
for pair in "${TOOLS[@]}"; do
  package=${pair%%:*} program=${pair##*:}
  if ! found "$program" || ! works "$program"; then
    need+=("$package")
  elif command -v dpkg-query >/dev/null 2>&1 && ! installed "$package"; then
    need+=("$package")  # on disk but not (fully) installed by dpkg
  fi
done
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-system-deps: need root (or sudo) to install: ${need[*]}" >&2
    exit 1
  fi
  SUDO="sudo"
fi
echo "installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO dpkg --configure -a  # finish an install that was interrupted earlier
for attempt in 1 2 3; do
  if $SUDO apt-get "${APT_OPTS[@]}" update -qq \
    && $SUDO apt-get "${APT_OPTS[@]}" install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  then
    break
  fi
  if [ "$attempt" = 3 ]; then
    echo "install-system-deps: apt-get could not install: ${need[*]}" >&2
    exit 1
  fi
  echo "install-system-deps: apt-get failed (attempt $attempt), retrying" >&2
  sleep $((attempt * 10))
done

broken=()
for pair in "${TOOLS[@]}"; do
  program=${pair##*:}
  works "$program" || broken+=("$program")
done
if [ ${#broken[@]} -gt 0 ]; then
  echo "install-system-deps: installed, but these do not run: ${broken[*]}" >&2
  exit 1
fi
