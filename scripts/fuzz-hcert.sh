#!/usr/bin/env bash
# Fuzzes the hcert decoder (crates/hcert/fuzz, target `decode`) for a bounded
# time, from a fixed seed corpus: the QR texts of the EU conformance vectors
# in ../shared/testdata/dcc (or LIONROCK_TEST_DCC_DIR). Fails if any input
# makes the decoder panic; libFuzzer then leaves the input under the work
# directory's artifacts/ and the script prints where.
#
#   bash scripts/fuzz-hcert.sh SECONDS
#
# Installs cargo-fuzz (`cargo install cargo-fuzz --locked`) when missing.
# With a nightly toolchain it runs with AddressSanitizer; without one (a
# toolchain cannot be downloaded here) it runs on stable with
# RUSTC_BOOTSTRAP=1 and `--sanitizer none`: still coverage-guided, and Rust
# panics are still caught, but without ASan (the crate forbids unsafe code).
# Build output goes to $CARGO_TARGET_DIR/hcert-fuzz (outside the clone).
set -euo pipefail

seconds="${1:?usage: scripts/fuzz-hcert.sh SECONDS}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "error: SECONDS must be a whole number, not ${seconds}" >&2; exit 2; }

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz_dir="${repo_root}/crates/hcert/fuzz"
data="${LIONROCK_TEST_DCC_DIR:-${repo_root}/../shared/testdata/dcc}"
target_dir="${CARGO_TARGET_DIR:-${repo_root}/target}/hcert-fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

toolchain=()
sanitizer=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
    echo "fuzzing with the nightly toolchain and AddressSanitizer"
else
    export RUSTC_BOOTSTRAP=1
    sanitizer=(--sanitizer none)
    echo "no nightly toolchain: fuzzing on stable with RUSTC_BOOTSTRAP=1 and --sanitizer none"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/artifacts"

# The fixed seed corpus: every vector's PREFIX (the QR text), one file each.
[[ -d "$data" ]] || { echo "error: no conformance data at ${data} (set LIONROCK_TEST_DCC_DIR)" >&2; exit 1; }
python3 - "$data" "$work/corpus" <<'PY'
import hashlib, json, pathlib, sys
data, corpus = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
count = 0
for path in sorted(data.rglob("2DCode/raw/*.json")):
    prefix = json.loads(path.read_text(encoding="utf-8")).get("PREFIX")
    if isinstance(prefix, str):
        (corpus / hashlib.sha256(prefix.encode()).hexdigest()[:16]).write_text(prefix, encoding="utf-8")
        count += 1
print(f"seed corpus: {count} QR texts from {data}")
PY

cd "$fuzz_dir"
status=0
cargo "${toolchain[@]}" fuzz run "${sanitizer[@]}" --target-dir "$target_dir" decode "$work/corpus" -- \
    -max_total_time="$seconds" -seed=1 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/artifacts/" \
    || status=$?
if ((status != 0)); then
    kept="${target_dir}/artifacts-$(date +%s)"
    mkdir -p "$kept"
    cp -r "$work/artifacts/." "$kept/" 2>/dev/null || true
    echo "error: the fuzzer found a failing input (exit ${status}); kept in ${kept}" >&2
    exit "$status"
fi
echo "fuzz-hcert: no failure in ${seconds} s"
