#!/usr/bin/env bash
# System packages the test suite uses to look at outputs as a person would:
#   chromium      – renders the HTML reports headless to PNG
#   poppler-utils – pdftoppm turns report PDFs into PNG pages
#   pspp          – GNU PSPP reads back the SPSS research export
# Idempotent: installs only what is missing. Needs root (CI and dev machines run as root).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v pspp >/dev/null 2>&1 || need+=(pspp)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
