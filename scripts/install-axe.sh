#!/usr/bin/env bash
# Install axe-core (the accessibility rules engine that the browser-backed
# tests inject into pages) from the npm registry, pinned to one exact version
# and one exact tarball hash.
#
# Why outside the git tree: nothing from npm is committed, and a cache folder
# shared by every clone means CI and developers download it once per machine.
#
# Usage: scripts/install-axe.sh
#   LIONROCK_TOOLS_DIR  cache root (default: $HOME/.cache/lionrock-tools)
# The last line of stdout is the absolute path of axe.min.js; everything else
# (npm's chatter, progress notes) goes to stderr so callers can do
#   axe=$(scripts/install-axe.sh | tail -n 1)
set -euo pipefail

# Pinned release. To upgrade: `npm view axe-core@<v> version dist.integrity`,
# then change both constants together.
readonly AXE_VERSION="4.14.1"
readonly AXE_INTEGRITY="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="

tools_dir="${LIONROCK_TOOLS_DIR:-${HOME:-/root}/.cache/lionrock-tools}"
install_dir="${tools_dir}/axe-core-${AXE_VERSION}"
axe_js="${install_dir}/node_modules/axe-core/axe.min.js"
# npm (v7 and later) records what it installed, with the tarball's integrity,
# in this "hidden lockfile"; with --no-save it writes no package-lock.json and
# no `_integrity` field in the package's package.json.
hidden_lock="node_modules/.package-lock.json"

die() {
    echo "error: axe-core install failed: $*" >&2
    exit 1
}

# Print the integrity npm recorded for node_modules/axe-core under $1, or
# nothing. Uses node (which comes with npm) rather than grepping JSON.
recorded_integrity() {
    local lock="$1/${hidden_lock}"
    [[ -f "$lock" ]] || return 0
    node -e '
        const lock = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        const pkg = (lock.packages || {})["node_modules/axe-core"] || {};
        process.stdout.write(pkg.integrity || "");
    ' "$lock"
}

# Check that the tree under $1 holds exactly the pinned version and tarball.
verify() {
    local dir="$1" got version
    [[ -f "${dir}/node_modules/axe-core/axe.min.js" ]] || {
        echo "axe.min.js missing under ${dir}"
        return 1
    }
    got="$(recorded_integrity "$dir")"
    if [[ "$got" != "$AXE_INTEGRITY" ]]; then
        echo "integrity mismatch in ${dir}/${hidden_lock}: expected ${AXE_INTEGRITY}, got '${got}'"
        return 1
    fi
    version="$(node -p 'require(process.argv[1]).version' "${dir}/node_modules/axe-core/package.json")"
    if [[ "$version" != "$AXE_VERSION" ]]; then
        echo "version mismatch: expected ${AXE_VERSION}, got ${version}"
        return 1
    fi
}

command -v npm >/dev/null 2>&1 || die "npm not found (install Debian's nodejs/npm)"
command -v node >/dev/null 2>&1 || die "node not found"

# Idempotent: an existing install is only reused if it still verifies. It can
# only exist complete, because new installs are moved into place atomically.
if [[ -f "$axe_js" ]]; then
    if why="$(verify "$install_dir")"; then
        echo "axe-core ${AXE_VERSION} already installed in ${install_dir}" >&2
        echo "$axe_js"
        exit 0
    fi
    echo "existing install is not trusted (${why}); reinstalling" >&2
    rm -rf "$install_dir"
fi

mkdir -p "$tools_dir"
# Install into a private staging folder, verify, then rename into place, so a
# half-finished or concurrent install never leaves a usable-looking file.
staging="$(mktemp -d "${tools_dir}/.axe-core-${AXE_VERSION}.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
chmod 755 "$staging" # mktemp makes it private; the final folder is readable

echo "installing axe-core@${AXE_VERSION} into ${install_dir}" >&2
# --ignore-scripts: run no install scripts from the registry.
# --no-save: the staging folder has no package.json to update.
# --no-audit/--no-fund/--no-update-notifier: no extra network calls or noise.
# stdout goes to stderr so only the path ends up on our stdout.
npm install --prefix "$staging" --no-save --ignore-scripts \
    --no-audit --no-fund --no-update-notifier --loglevel=error \
    "axe-core@${AXE_VERSION}" >&2 || die "npm install axe-core@${AXE_VERSION} failed"

why="$(verify "$staging")" || die "$why"

# Another process may have finished the same install meanwhile; keep theirs.
if ! mv -T "$staging" "$install_dir" 2>/dev/null; then
    why="$(verify "$install_dir")" || die "could not move install into ${install_dir}: ${why}"
fi

echo "$axe_js"
