# SPDX-License-Identifier: GPL-2.0
# Shared settings for the bench scripts. Source it; do not run it.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$top/scripts/base-version.sh"

BUILD=$top/build
LINUX=$BUILD/linux		# git tree: base commit plus the applied series
BASE_TAG=base-$BASE_VERSION
SERIES_BRANCH=pkvm-smmu
CROSS=aarch64-linux-gnu-
JOBS=${JOBS:-$(( $(nproc) + 1 ))}

# Identity for commits and Signed-off-by lines of the series.
PROJECT_NAME="Seed 1a29a4af maintainers"
PROJECT_EMAIL="maintainers@users.noreply.h-seed-1a29a4af.example"
# Fixed dates keep regenerated patches byte-identical.
export GIT_AUTHOR_NAME="$PROJECT_NAME" GIT_AUTHOR_EMAIL="$PROJECT_EMAIL"
export GIT_COMMITTER_NAME="$PROJECT_NAME" GIT_COMMITTER_EMAIL="$PROJECT_EMAIL"
export GIT_AUTHOR_DATE="2026-11-01T00:00:00+0000"
export GIT_COMMITTER_DATE="2026-11-01T00:00:00+0000"

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

need_deps() {
	"$top/scripts/deps.sh" --check >/dev/null 2>&1 && return 0
	echo "${0##*/}: dependencies are missing; installing them (make deps)" >&2
	"$top/scripts/deps.sh" || die "dependencies could not be installed; run 'make deps' as root and read its message"
}
