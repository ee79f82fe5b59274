#!/usr/bin/env bash
# Makes sure everything the tests talk to is there: PostgreSQL on 127.0.0.1:5432,
# Debian's Chromium, and the npm packages of the browser tests. Safe to run again.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

apt_install() {
  as_root apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! command -v pg_isready >/dev/null; then
  echo "installing PostgreSQL"
  apt_install postgresql
fi
if ! pg_ready; then
  echo "starting PostgreSQL"
  cluster_version="$(ls /etc/postgresql | sort -V | tail -n1)"
  # The tests connect as postgres over TCP without a password, like on the dev machines.
  hba="/etc/postgresql/$cluster_version/main/pg_hba.conf"
  if ! grep -q "^host all all 127.0.0.1/32 trust" "$hba"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$cluster_version" main start || true
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  pg_ready || { echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2; exit 1; }
fi

if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "installing Chromium"
  apt_install chromium fonts-dejavu-core
fi

# Text recognition of scanned letters (the mailroom runs Tesseract and pdftoppm).
if ! command -v tesseract >/dev/null || ! command -v pdftoppm >/dev/null \
   || ! tesseract --list-langs 2>/dev/null | grep -qx deu; then
  echo "installing Tesseract (German) and poppler-utils"
  apt_install tesseract-ocr tesseract-ocr-deu poppler-utils
fi

# Independent checks of the letters: qpdf (structure, attachments) and zbarimg (reads
# the QR code from the printed page).
if ! command -v qpdf >/dev/null || ! command -v zbarimg >/dev/null; then
  echo "installing qpdf and zbar-tools"
  apt_install qpdf zbar-tools
fi

# playwright-core and axe-core for the browser tests; oidc-provider as the OpenID test peer.
if [ ! -d "$root/tests/browser/node_modules/playwright-core" ] || [ ! -d "$root/tests/browser/node_modules/axe-core" ] \
   || [ ! -d "$root/tests/browser/node_modules/oidc-provider" ]; then
  (cd "$root/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
fi

# An S3-protocol server for the blob store tests (moto's standalone server, from PyPI).
if ! command -v moto_server >/dev/null; then
  echo "installing moto (S3 test server)"
  python3 -m pip install -q "moto[server]"
fi

# A real SMTP server for the mail tests (aiosmtpd, from PyPI); the tests start it themselves.
if ! python3 -c "import aiosmtpd" 2>/dev/null; then
  echo "installing aiosmtpd (SMTP test server)"
  python3 -m pip install -q aiosmtpd
fi
