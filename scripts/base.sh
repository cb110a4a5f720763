#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unpack Debian's linux-source tarball into build/linux as a git repository
# whose first commit is the pristine base, tagged base-<version>.
set -euo pipefail
. "$(dirname "$0")/common.sh"

tarball=/usr/src/linux-source-$BASE_SERIES.tar.xz

if git -C "$LINUX" rev-parse -q --verify "refs/tags/$BASE_TAG" >/dev/null 2>&1; then
	exit 0
fi
[ -f "$tarball" ] || die "$tarball is missing; run 'make deps'"

rm -rf "$LINUX" "$LINUX.tmp"
mkdir -p "$LINUX.tmp"
echo "base: unpacking $tarball"
tar -C "$LINUX.tmp" --strip-components=1 -xf "$tarball"
found=$(make -s -C "$LINUX.tmp" kernelversion 2>/dev/null)
echo "$found" > "$BUILD/base-found-version"

cd "$LINUX.tmp"
git init -q -b "$SERIES_BRANCH"
git config user.name "$PROJECT_NAME"
git config user.email "$PROJECT_EMAIL"
git config gc.auto 0
# Debian's tarball ignores everything at the top level ("/*"): force-add.
git add -f -A .
git commit -q -m "Linux $found (Debian linux-source-$BASE_SERIES)"
git tag "base-$found"
cd - >/dev/null
mv "$LINUX.tmp" "$LINUX"
if [ "$found" != "$BASE_VERSION" ]; then
	echo "base: warning: expected Linux $BASE_VERSION, found $found; trying the series on it" >&2
	git -C "$LINUX" tag "$BASE_TAG"
fi
echo "base: Linux $found at $LINUX (tag $BASE_TAG)"
