#!/usr/bin/env bash
# pip-audit over both lock files, as `make security` runs it: each package as pinned and hashed,
# nothing installed or resolved (--disable-pip; the hashes make --no-deps implicit). Any package
# it cannot audit fails the run (--strict). Accepted vulnerabilities: security/pip-audit-ignore.txt.
#
# PyPI's vulnerability API (https://pypi.org/pypi/NAME/VERSION/json) is asked first: when it
# cannot be reached this fails with exit 2 rather than pass with nothing audited.
# PIP_AUDIT_UNREACHABLE=warn turns that one case, and only it, into a loud warning.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-.venv/bin}

ignores=()
while read -r id _; do
  ignores+=(--ignore-vuln "$id")
done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' security/pip-audit-ignore.txt)

if ! why=$("$bin/python" - 2>&1 <<'PY'
import sys
from importlib.metadata import version

import requests

url = f"https://pypi.org/pypi/pip-audit/{version('pip-audit')}/json"
try:
    response = requests.get(url, timeout=15)
except requests.RequestException as error:
    sys.exit(f"{url}: {error}")
if response.status_code != 200 or "vulnerabilities" not in response.json():
    sys.exit(f"{url}: HTTP {response.status_code}, no vulnerability data")
PY
); then
  cat >&2 <<MSG
**********************************************************************************
security: DEPENDENCIES NOT AUDITED - PyPI's vulnerability API cannot be reached:
  $why
**********************************************************************************
MSG
  if [ "${PIP_AUDIT_UNREACHABLE:-fail}" = warn ]; then exit 0; fi
  exit 2
fi

exec "$bin/pip-audit" --strict --disable-pip --progress-spinner off \
  -r requirements.lock -r requirements-dev.lock ${ignores[@]+"${ignores[@]}"} "$@"
