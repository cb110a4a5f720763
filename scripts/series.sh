#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Generate the git am series from the sources.
#
#   scripts/series.sh generate DIR   write cover letter + patches into DIR
#   scripts/series.sh check          fail when patches/ differs from a fresh generation
#   scripts/series.sh show PATH      print a base file as the whole series leaves it
#
# Each series/NNNN-*/ directory is one patch: "message" holds the subject and
# the body, "files" the new files it adds (repository paths; selftests/ lands in
# tools/testing/selftests/), and each *.diff an edit to an existing kernel file.
# Commits are built with a private index on top of the base tag, so the work
# tree of build/linux is never touched.
set -euo pipefail
. "$(dirname "$0")/common.sh"

tree_path() {
	case "$1" in
	selftests/*) echo "tools/testing/selftests/${1#selftests/}" ;;
	*) echo "$1" ;;
	esac
}

# True when $1 exists in a git work tree but is not tracked, so a clean
# clone would lack it.
untracked() {
	env -u GIT_INDEX_FILE git -C "$top" rev-parse --is-inside-work-tree \
		>/dev/null 2>&1 || return 1
	! env -u GIT_INDEX_FILE git -C "$top" ls-files --error-unmatch -- "$1" \
		>/dev/null 2>&1
}

generate() {
	local out=$1 dir f mode blob parent tree msg
	local index=$BUILD/series.index

	"$top/scripts/base.sh"
	cd "$LINUX"
	rm -f "$index"
	export GIT_INDEX_FILE=$index
	git read-tree "$BASE_TAG"
	parent=$(git rev-parse "$BASE_TAG^{commit}")
	for dir in "$top"/series/[0-9][0-9][0-9][0-9]-*/; do
		[ -f "$dir/message" ] || die "$dir has no message"
		if [ -f "$dir/files" ]; then
			while read -r f; do
				[ -n "$f" ] || continue
				[ -f "$top/$f" ] || die "${dir#"$top"/}files names missing $f"
				untracked "$f" &&
					die "$f is in the series but not in git (untracked or ignored); git add it"
				mode=100644
				[ -x "$top/$f" ] && mode=100755
				blob=$(git hash-object -w "$top/$f")
				git update-index --add --cacheinfo "$mode,$blob,$(tree_path "$f")"
			done < "$dir/files"
		fi
		for f in "$dir"/*.diff; do
			[ -e "$f" ] || continue
			git apply --cached --whitespace=error-all "$f" ||
				die "${f#"$top"/} does not apply"
		done
		tree=$(git write-tree)
		msg=$(cat "$dir/message"; printf '\nSigned-off-by: %s <%s>\n' \
			"$PROJECT_NAME" "$PROJECT_EMAIL")
		parent=$(git commit-tree "$tree" -p "$parent" -m "$msg")
	done
	unset GIT_INDEX_FILE
	rm -f "$index"
	git update-ref refs/heads/series-generated "$parent"
	git config branch.series-generated.description \
		"$(sed "s/@BASE_VERSION@/$BASE_VERSION/g" "$top/series/cover-letter")"

	rm -rf "$out"
	mkdir -p "$out"
	git format-patch -q --cover-letter --cover-from-description=subject \
		--zero-commit --no-signature --no-thread -o "$out" \
		"$BASE_TAG..series-generated"
	# Named so that "git am patches/*.patch" takes only the patches.
	mv "$out/0000-cover-letter.patch" "$out/0000-cover-letter.txt"
	cd - >/dev/null
}

# A base file as the series leaves it, for the unit tests that build the
# series' edits of base files: the base's blob, then every edit of it.
show() {
	local path=$1 index=$BUILD/series-show.$$.index f

	"$top/scripts/base.sh" >&2
	cd "$LINUX"
	export GIT_INDEX_FILE=$index
	git read-tree "$BASE_TAG"
	git cat-file -e ":$path" 2>/dev/null || { rm -f "$index"; die "$path is not in the base"; }
	for f in "$top"/series/[0-9][0-9][0-9][0-9]-*/*.diff; do
		git apply --cached --include="$path" "$f" ||
			{ rm -f "$index"; die "${f#"$top"/} does not apply"; }
	done
	git show ":$path"
	rm -f "$index"
}

case "${1:-}" in
show)
	[ -n "${2:-}" ] || die "usage: $0 show PATH"
	show "$2"
	;;
generate)
	[ -n "${2:-}" ] || die "usage: $0 generate DIR"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	generate "$tmp/patches"
	# Rewrite only what changed, so that an unchanged series does not make
	# the kernel build re-apply it.
	mkdir -p "$2"
	rsync -rc --delete "$tmp/patches/" "$2/"
	echo "series: $(ls "$2" | wc -l) files in $2"
	;;
check)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	generate "$tmp/patches"
	if ! diff -ru "$top/patches" "$tmp/patches" > "$tmp/diff"; then
		head -40 "$tmp/diff" >&2
		die "patches/ is stale: it does not match the sources; run 'make series'"
	fi
	echo "series: patches/ matches the sources"
	;;
*) die "usage: $0 generate DIR | check | show PATH" ;;
esac
