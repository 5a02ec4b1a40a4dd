#!/usr/bin/env bash
# Install whatever is missing for explainer: system packages (apt), the virtual
# environment .venv at the repo root, and the project in it. Idempotent and quick
# when everything is already there: each step checks before it installs.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

if [[ -t 2 ]]; then
  say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }
else
  say() { printf '[setup] %s\n' "$*" >&2; }
fi

# Cairo, Pango and pkg-config build manim's pycairo/manimpango; LaTeX with dvisvgm
# renders MathTex and compiles the handout; the fonts give readable digits in Text.
# Chromium (driven by playwright) tests the page offline; poppler-utils reads the
# handout's PDF back (pdftotext) and renders its pages (pdftoppm).
apt_packages=(
  pkg-config libcairo2-dev libpango1.0-dev
  texlive-latex-base texlive-latex-recommended texlive-latex-extra
  texlive-fonts-recommended dvisvgm
  fonts-dejavu-core
  chromium poppler-utils
)

missing=()
for pkg in "${apt_packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]] && ! command -v sudo >/dev/null; then
    say "missing system packages: ${missing[*]} (run as root or install them)"; exit 1
  fi
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  say "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python="${PYTHON:-python3}"
if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  say "installing python3-venv (Debian's Python lacks venv without it)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi
if [[ ! -x .venv/bin/python ]]; then
  say "creating the virtual environment .venv"
  "$python" -m venv .venv
fi

# What each task needs: the lecture only the video side and the voice; the tests also the
# test tools (pytest, hypothesis, playwright, nbclient, ...). Reinstall only when the
# project's metadata or the extras asked for changed since the last install.
case "${1:-test}" in
  lecture) extras="video,voice" ;;
  *)       extras="dev,voice" ;;
esac
stamp=.venv/.explainer-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1) $extras"
have="$(cat "$stamp" 2>/dev/null || true)"
# A set-up for the tests also serves the lecture: dev includes everything video needs.
if [[ "$have" != "$want" && !( "$extras" == "video,voice" && "$have" == "${want% *} dev,voice" ) ]]; then
  say "installing explainer[$extras] and its dependencies into .venv (pip; a few minutes the first time)"
  log=.venv/pip-install.log
  # pip's own lines go to the log; the packages it fetches are named as it goes.
  if ! { .venv/bin/python -m pip install --upgrade pip &&
         .venv/bin/python -m pip install -e ".[$extras]"; } 2>&1 | tee "$log" |
       { grep --line-buffered -E '^(Collecting|Installing collected)' || true; } |
       sed -u 's/^/[setup]   /' >&2; then
    tail -n 30 "$log" >&2
    say "installing the project failed; the whole log is in $log"; exit 1
  fi
  if ! grep -q "^Successfully installed\|Requirement already satisfied" "$log"; then
    tail -n 30 "$log" >&2
    say "installing the project failed; the whole log is in $log"; exit 1
  fi
  echo "$want" > "$stamp"
fi
