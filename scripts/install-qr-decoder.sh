#!/usr/bin/env bash
# Install jsQR (the QR decoder that pages reading QR codes, the credentials
# scanner and the booking check-in, use where the browser has no
# BarcodeDetector, as Linux Chromium has not) from the npm
# registry, pinned to one exact version and one exact tarball hash.
#
# Nothing from npm is committed: the build (crates/platform/build.rs)
# embeds the file from this cache when it is there, and the scanners then
# read QR images and camera frames; without it the credentials scanner still
# takes pasted codes and says that image decoding is unavailable.
#
# Usage: scripts/install-qr-decoder.sh
#   LIONROCK_TOOLS_DIR  cache root (default: $HOME/.cache/lionrock-tools)
# The last line of stdout is the absolute path of jsQR.js (what
# LIONROCK_BUILD_QR_DECODER should name); everything else goes to stderr.
set -euo pipefail

# Pinned release. To upgrade: `npm view jsqr@<v> version dist.integrity`,
# change both constants together, and the file's SHA-256 in
# crates/platform/build.rs.
readonly JSQR_VERSION="1.4.0"
readonly JSQR_INTEGRITY="sha512-dxLob7q65Xg2DvstYkRpkYtmKm2sPJ9oFhrhmudT1dZvNFFTlroai3AWSpLey/w5vMcLBXRgOJsbXpdN9HzU/A=="

exec bash "$(dirname "${BASH_SOURCE[0]}")/install-npm-file.sh" jsqr "${JSQR_VERSION}" "${JSQR_INTEGRITY}" dist/jsQR.js
