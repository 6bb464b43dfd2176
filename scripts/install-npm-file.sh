#!/usr/bin/env bash
# Install one npm package, pinned to one exact version and one exact tarball
# hash, into a cache folder outside the git tree, and print the path of one
# file in it. The pinned wrappers (install-axe.sh, install-qr-decoder.sh)
# name the package; this does the work for both.
#
# Why outside the git tree: nothing from npm is committed, and a cache folder
# shared by every clone means CI and developers download it once per machine.
#
# Usage: scripts/install-npm-file.sh PACKAGE VERSION INTEGRITY FILE
#   FILE is the path inside the package, e.g. axe.min.js or dist/jsQR.js.
#
# The last line of stdout is the absolute path of that file; everything else
# (npm's chatter, progress notes) goes to stderr so callers can do
#   path=$(scripts/install-npm-file.sh … | tail -n 1)

set -euo pipefail

[[ $# -eq 4 ]] || {
    echo "usage: $0 PACKAGE VERSION INTEGRITY FILE" >&2
    exit 2
}
readonly PACKAGE="$1" VERSION="$2" INTEGRITY="$3" FILE="$4"

tools_dir="${LIONROCK_TOOLS_DIR:-${HOME:-/root}/.cache/lionrock-tools}"
install_dir="${tools_dir}/${PACKAGE}-${VERSION}"
target="${install_dir}/node_modules/${PACKAGE}/${FILE}"
# npm (v7 and later) records what it installed, with the tarball's integrity,
# in this "hidden lockfile"; with --no-save it writes no package-lock.json and
# no `_integrity` field in the package's package.json.
hidden_lock="node_modules/.package-lock.json"

die() {
    echo "error: ${PACKAGE} install failed: $*" >&2
    exit 1
}

# Print the integrity npm recorded for the package under $1, or nothing.
# Uses node (which comes with npm) rather than grepping JSON.
recorded_integrity() {
    local lock="$1/${hidden_lock}"
    [[ -f "$lock" ]] || return 0
    node -e '
        const lock = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        const pkg = (lock.packages || {})["node_modules/" + process.argv[2]] || {};
        process.stdout.write(pkg.integrity || "");
    ' "$lock" "$PACKAGE"
}

# Check that the tree under $1 holds exactly the pinned version and tarball.
verify() {
    local dir="$1" got version
    [[ -f "${dir}/node_modules/${PACKAGE}/${FILE}" ]] || {
        echo "${FILE} missing under ${dir}"
        return 1
    }
    got="$(recorded_integrity "$dir")"
    if [[ "$got" != "$INTEGRITY" ]]; then
        echo "integrity mismatch in ${dir}/${hidden_lock}: expected ${INTEGRITY}, got '${got}'"
        return 1
    fi
    version="$(node -p 'require(process.argv[1]).version' "${dir}/node_modules/${PACKAGE}/package.json")"
    if [[ "$version" != "$VERSION" ]]; then
        echo "version mismatch: expected ${VERSION}, got ${version}"
        return 1
    fi
}

command -v npm >/dev/null 2>&1 || die "npm not found (install Debian's nodejs/npm)"
command -v node >/dev/null 2>&1 || die "node not found"

# Idempotent: an existing install is only reused if it still verifies. It can
# only exist complete, because new installs are moved into place atomically.
if [[ -f "$target" ]]; then
    if why="$(verify "$install_dir")"; then
        echo "${PACKAGE} ${VERSION} already installed in ${install_dir}" >&2
        echo "$target"
        exit 0
    fi
    echo "existing install is not trusted (${why}); reinstalling" >&2
    rm -rf "$install_dir"
fi

mkdir -p "$tools_dir"
# Install into a private staging folder, verify, then rename into place, so a
# half-finished or concurrent install never leaves a usable-looking file.
staging="$(mktemp -d "${tools_dir}/.${PACKAGE}-${VERSION}.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
chmod 755 "$staging" # mktemp makes it private; the final folder is readable

echo "installing ${PACKAGE}@${VERSION} into ${install_dir}" >&2
# --ignore-scripts: run no install scripts from the registry.
# --no-save: the staging folder has no package.json to update.
# --no-audit/--no-fund/--no-update-notifier: no extra network calls or noise.
# stdout goes to stderr so only the path ends up on our stdout.
npm install --prefix "$staging" --no-save --ignore-scripts \
    --no-audit --no-fund --no-update-notifier --loglevel=error \
    "${PACKAGE}@${VERSION}" >&2 || die "npm install ${PACKAGE}@${VERSION} failed"

why="$(verify "$staging")" || die "$why"

# Another process may have finished the same install meanwhile; keep theirs.
if ! mv -T "$staging" "$install_dir" 2>/dev/null; then
    why="$(verify "$install_dir")" || die "could not move install into ${install_dir}: ${why}"
fi

echo "$target"
