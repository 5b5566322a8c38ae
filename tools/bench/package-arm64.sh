#!/usr/bin/env bash
# Builds every function binary as Lambda deploys it (arm64, release, zipped `bootstrap`)
# with cargo-lambda and zig from a virtualenv that has requirements-bench.txt installed,
# and prints one line per binary: `<bin> <zip bytes>`. Installs nothing itself.
#
# Usage: tools/bench/package-arm64.sh VENV_DIR OUT_DIR
#   OUT_DIR/<bin>/bootstrap.zip is the package of <bin>. The build has its own target
#   directory, ${CARGO_TARGET_DIR:-target}/lambda-arm64, so it never invalidates the
#   debug build the tests use. Cargo's progress goes to stderr; stdout is the size list.
#
# The command is SAM's (BuildMethod: rust-cargolambda): `cargo lambda build --release`
# for arm64, so our [profile.release] applies unchanged (it sets every key cargo-lambda
# would otherwise fill in) plus cargo-lambda's `-C target-cpu=neoverse-n1`.
set -euo pipefail

readonly TARGET=aarch64-unknown-linux-gnu

fail() {
    echo "package-arm64.sh: $*" >&2
    exit 1
}

[[ $# -eq 2 ]] || fail "usage: package-arm64.sh VENV_DIR OUT_DIR"
venv=$(cd "$1" 2>/dev/null && pwd) || fail "no virtualenv at $1 (make bench creates it)"
out=$2
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"

# The toolchain, checked up front so a missing piece is named instead of failing
# half-way through a long build.
command -v cargo >/dev/null || fail "cargo is not on PATH"
[[ -x $venv/bin/cargo-lambda ]] ||
    fail "cargo-lambda is not in $venv/bin: install requirements-bench.txt into it ($venv/bin/pip install -r requirements-bench.txt)"
"$venv/bin/python3" -m ziglang version >/dev/null 2>&1 ||
    fail "zig (PyPI package ziglang) is not in $venv: install requirements-bench.txt into it"
[[ -d $(rustc --print sysroot)/lib/rustlib/$TARGET/lib ]] ||
    fail "the Rust standard library for $TARGET is missing: rustup target add $TARGET"

# Every [[bin]] of the crates under functions/ (devstack and the test tools are not
# deployed).
mapfile -t bins < <(cargo metadata --no-deps --format-version 1 | "$venv/bin/python3" -c '
import json, sys
root = sys.argv[1] + "/functions/"
for package in json.load(sys.stdin)["packages"]:
    if package["manifest_path"].startswith(root):
        for target in package["targets"]:
            if "bin" in target["kind"]:
                print(target["name"])
' "$repo" | sort)
[[ ${#bins[@]} -gt 0 ]] || fail "found no [[bin]] in functions/*/Cargo.toml"

mkdir -p "$out"
out=$(cd "$out" && pwd)
bin_args=()
for bin in "${bins[@]}"; do
    rm -f "$out/$bin/bootstrap.zip" # a size printed below is always this build's
    bin_args+=(--bin "$bin")
done

# cargo-zigbuild (inside cargo-lambda) runs `python3 -m ziglang` as its linker and C
# compiler (ring's C and assembly); name the venv's python so a python3 earlier on
# PATH (pyenv, the system's) without ziglang cannot be picked instead.
export PATH="$venv/bin:$PATH"
export CARGO_ZIGBUILD_PYTHON_PATH="$venv/bin/python3"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}/lambda-arm64"

started=$SECONDS
cargo lambda build --release --arm64 --output-format zip --lambda-dir "$out" "${bin_args[@]}" >&2
echo "package-arm64.sh: built ${#bins[@]} arm64 packages in $((SECONDS - started)) s" >&2

for bin in "${bins[@]}"; do
    zip=$out/$bin/bootstrap.zip
    [[ -f $zip ]] || fail "cargo lambda build wrote no $zip"
    echo "$bin $(wc -c <"$zip" | tr -d " ")"
done
