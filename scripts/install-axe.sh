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

exec bash "$(dirname "${BASH_SOURCE[0]}")/install-npm-file.sh" axe-core "${AXE_VERSION}" "${AXE_INTEGRITY}" axe.min.js
