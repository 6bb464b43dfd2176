#!/usr/bin/env bash
# Install jsQR (the QR decoder the credentials scanner page uses where the
# browser has no BarcodeDetector, as Linux Chromium has not) from the npm
# registry, pinned to one exact version and one exact tarball hash.
#
# Nothing from npm is committed: the build (crates/credentials/build.rs)
# embeds the file from this cache when it is there, and the scanner then
# reads QR images and camera frames; without it the scanner still takes
# pasted codes and says that image decoding is unavailable.
#
# Usage: scripts/install-qr-decoder.sh
#   LIONROCK_TOOLS_DIR  cache root (default: $HOME/.cache/lionrock-tools)
# The last line of stdout is the absolute path of jsQR.js (what
# LIONROCK_BUILD_QR_DECODER should name); everything else goes to stderr.
set -euo pipefail

# Pinned release. To upgrade: `npm view jsqr@<v> version dist.integrity`,
# change both constants together, and the file's SHA-256 in
# crates/credentials/build.rs.
readonly JSQR_VERSION="1.4.0"
readonly JSQR_INTEGRITY="sha512-dxLob7q65Xg2DvstYkRpkYtmKm2sPJ9oFhrhmudT1dZvNFFTlroai3AWSpLey/w5vMcLBXRgOJsbXpdN9HzU/A=="

tools_dir="${LIONROCK_TOOLS_DIR:-${HOME:-/root}/.cache/lionrock-tools}"
install_dir="${tools_dir}/jsqr-${JSQR_VERSION}"
decoder="${install_dir}/node_modules/jsqr/dist/jsQR.js"
# npm (v7 and later) records what it installed, with the tarball's
# integrity, in this hidden lockfile.
hidden_lock="node_modules/.package-lock.json"

die() {
    echo "error: jsQR install failed: $*" >&2
    exit 1
}

recorded_integrity() {
    local lock="$1/${hidden_lock}"
    [[ -f "$lock" ]] || return 0
    node -e '
        const lock = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        const pkg = (lock.packages || {})["node_modules/jsqr"] || {};
        process.stdout.write(pkg.integrity || "");
    ' "$lock"
}

verify() {
    local dir="$1" got version
    [[ -f "${dir}/node_modules/jsqr/dist/jsQR.js" ]] || {
        echo "jsQR.js missing under ${dir}"
        return 1
    }
    got="$(recorded_integrity "$dir")"
    if [[ "$got" != "$JSQR_INTEGRITY" ]]; then
        echo "integrity mismatch in ${dir}/${hidden_lock}: expected ${JSQR_INTEGRITY}, got '${got}'"
        return 1
    fi
    version="$(node -p 'require(process.argv[1]).version' "${dir}/node_modules/jsqr/package.json")"
    if [[ "$version" != "$JSQR_VERSION" ]]; then
        echo "version mismatch: expected ${JSQR_VERSION}, got ${version}"
        return 1
    fi
}

command -v npm >/dev/null 2>&1 || die "npm not found (install Debian's nodejs/npm)"
command -v node >/dev/null 2>&1 || die "node not found"

if [[ -f "$decoder" ]]; then
    if why="$(verify "$install_dir")"; then
        echo "jsQR ${JSQR_VERSION} already installed in ${install_dir}" >&2
        echo "$decoder"
        exit 0
    fi
    echo "existing install is not trusted (${why}); reinstalling" >&2
    rm -rf "$install_dir"
fi

mkdir -p "$tools_dir"
# Stage, verify, then rename into place: never a half-finished install.
staging="$(mktemp -d "${tools_dir}/.jsqr-${JSQR_VERSION}.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
chmod 755 "$staging"

echo "installing jsqr@${JSQR_VERSION} into ${install_dir}" >&2
npm install --prefix "$staging" --no-save --ignore-scripts \
    --no-audit --no-fund --no-update-notifier --loglevel=error \
    "jsqr@${JSQR_VERSION}" >&2 || die "npm install jsqr@${JSQR_VERSION} failed"

why="$(verify "$staging")" || die "$why"

if ! mv -T "$staging" "$install_dir" 2>/dev/null; then
    why="$(verify "$install_dir")" || die "could not move install into ${install_dir}: ${why}"
fi

echo "$decoder"
