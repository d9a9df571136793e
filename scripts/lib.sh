# shellcheck shell=bash
# Shared by scripts/start, scripts/test and scripts/lock; sourced, not run.
# Puts the shell at the repository root with .venv/bin first on PATH.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
LOCK="$ROOT/requirements.lock"
cd "$ROOT" || exit 1
export PATH="$VENV/bin:$PATH"
export PIP_DISABLE_PIP_VERSION_CHECK=1

header() {
  printf '\n==> %s\n' "$*"
}

die() {
  printf 'ERROR: %s\n' "$*" >&2
  exit 1
}

# Prints the first Python >= 3.11 found: $PYTHON, then python3, then versioned names.
find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
    [[ -n "$candidate" ]] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

# Creates .venv with a Python >= 3.11 unless it already exists.
ensure_venv() {
  if [[ ! -x "$VENV/bin/python" ]]; then
    local python
    python=$(find_python) || die "Python 3.11 or newer is needed (set PYTHON=/path/to/python3)."
    echo "Creating .venv with $python"
    "$python" -m venv "$VENV" ||
      die "could not create .venv; on Debian/Ubuntu: apt-get install python3-venv"
  fi
  "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    die ".venv has a Python older than 3.11; remove .venv and run again."
}

# Installs the locked dependencies and Salesflow itself (editable) into .venv.
# Skipped when requirements.lock and pyproject.toml are unchanged since the last install.
install_env() {
  ensure_venv
  [[ -f "$LOCK" ]] || die "requirements.lock is missing; create it with scripts/lock"
  local stamp="$VENV/.salesflow-installed" digest
  digest=$(cat "$LOCK" pyproject.toml | cksum)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$digest" ]]; then
    echo "Dependencies are up to date with requirements.lock."
    return 0
  fi
  python -m pip install --quiet --quiet --requirement "$LOCK"
  python -m pip install --quiet --quiet --no-deps --editable .
  # A dependency added to pyproject.toml but missing from the lock shows up here.
  python -m pip check ||
    die "installed packages do not match pyproject.toml; regenerate the lock with scripts/lock"
  echo "$digest" >"$stamp"
  echo "Installed the locked dependencies and salesflow into .venv."
}

# Installs the locked npm packages (when the lock changed) and copies the files pages load.
build_assets() {
  local web="$ROOT/src/salesflow/web" vendor="$ROOT/src/salesflow/web/static/vendor"
  command -v npm >/dev/null 2>&1 ||
    die "npm is needed for the front-end packages; on Debian/Ubuntu: apt-get install nodejs npm"
  local stamp="$web/node_modules/.salesflow-installed" digest
  digest=$(cksum <"$web/package-lock.json")
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$digest" ]]; then
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$digest" >"$stamp"
  fi
  mkdir -p "$vendor"
  cp "$web/node_modules/htmx.org/dist/htmx.min.js" \
    "$web/node_modules/sortablejs/Sortable.min.js" \
    "$web/node_modules/echarts/dist/echarts.min.js" "$vendor/"
  echo "Front-end packages are in src/salesflow/web/static/vendor/."
}

# Makes sure the Debian packages the tests use are installed (installing them as root):
# chromium for the browser tests (with a CJK font for the screenshots), gettext for the
# translation check.
ensure_test_tools() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
  fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
  ((${#missing[@]})) || return 0
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} from Debian"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  command -v chromium >/dev/null 2>&1 && command -v msgfmt >/dev/null 2>&1 ||
    die "the tests need ${missing[*]}: as root, apt-get update && apt-get install -y ${missing[*]}"
}
