# Sourced by scripts/serve and scripts/test: install the project into .venv only when
# something that decides the install changed.
#
#   ensure_installed EXTRAS [SUPERSET...]   e.g. ensure_installed 'server,sklearn' dev
#
# After a successful install the marker .venv/.modelreg-install-<extras> holds a hash
# of pyproject.toml, the extras and the Python version. While it matches, pip is not
# run at all: the install is editable, so source changes need no reinstall. An install
# with a SUPERSET of the extras (dev includes server and sklearn) counts too. A changed
# pyproject.toml, another Python or a deleted marker reinstalls; MODELREG_REINSTALL=1
# forces it.

_install_hash() {
    {
        cat pyproject.toml
        echo "extras=$1"
        .venv/bin/python -c 'import sys; print(sys.version)'
    } | sha256sum | cut -d' ' -f1
}

_install_marker() {
    echo ".venv/.modelreg-install-${1//,/-}"
}

ensure_installed() {
    local extras=$1 candidate marker
    if [[ ! -x .venv/bin/python ]]; then
        echo "==> creating .venv (python3 -m venv .venv)"
        python3 -m venv .venv
    fi
    if [[ "${MODELREG_REINSTALL:-0}" != "1" ]]; then
        for candidate in "$@"; do
            marker=$(_install_marker "$candidate")
            if [[ -f "$marker" && "$(cat "$marker")" == "$(_install_hash "$candidate")" ]]; then
                echo "==> pip install -e '.[$extras]': skipped, nothing changed since the last install of '.[$candidate]'"
                return 0
            fi
        done
    fi
    echo "==> pip install -e '.[$extras]' (first run or pyproject.toml changed; takes a minute or two)"
    local started=$SECONDS
    marker=$(_install_marker "$extras")
    rm -f "$marker"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
    _install_hash "$extras" >"$marker"
    echo "--- pip install: ok ($((SECONDS - started))s)"
}
