# Shared settings for the project's scripts (sourced, not run).
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$repo/build}
flavour=${FLAVOUR:-debug}
ksrc=$build/linux
kobj=$build/obj-$flavour
# Where the downloaded kernel package is kept between fresh clones.
kcache=${KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/odp-p2p}
die() { echo "${0##*/}: $*" >&2; exit 1; }

# The patch files of the series, in order, as paths.
series() { grep -v '^[[:space:]]*#' "$repo/patches/series" | grep . | sed "s|^|$repo/patches/|" || true; }
series_id() { cat "$repo/patches/series" $(series) | sha1sum | cut -c1-12; }

# mk=(make ...) for the object dir $kobj of the tree $ksrc: ccache when
# installed, reproducible command lines so that it hits across fresh clones.
kmake_init() {
	local cc=gcc

	export KBUILD_BUILD_TIMESTAMP="2026-01-01" KBUILD_BUILD_USER=odp KBUILD_BUILD_HOST=p2p
	export CCACHE_BASEDIR=$build CCACHE_NOHASHDIR=1
	command -v ccache >/dev/null && cc="ccache gcc"
	mk=(make -s -C "$ksrc" O="$kobj" CC="$cc" -j"$(nproc)")
}

# Configure $kobj: allnoconfig plus the fragment files given, again when
# they or the series change.  A fragment line that did not stick is an
# error, not a surprise later.
kconfigure() {
	local line bad=0

	mkdir -p "$kobj"
	{ cat "$@"; echo "# series $(series_id)"; } > "$kobj/fragment.config"
	if ! cmp -s "$kobj/fragment.config" "$kobj/fragment.applied" 2>/dev/null ||
	   [ ! -f "$kobj/.config" ]; then
		"${mk[@]}" allnoconfig
		(cd "$kobj" && "$ksrc/scripts/kconfig/merge_config.sh" -m -O . .config fragment.config >/dev/null)
		"${mk[@]}" olddefconfig
		cp "$kobj/fragment.config" "$kobj/fragment.applied"
	fi
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) grep -qxF "$line" "$kobj/.config" || { echo "config: '$line' did not stick" >&2; bad=1; } ;;
		"# CONFIG_"*" is not set") grep -q "^${line#\# }" "$kobj/.config" 2>/dev/null ||
			! grep -q "^${line:2:-11}=" "$kobj/.config" || { echo "config: '$line' did not stick" >&2; bad=1; } ;;
		esac
	done < "$kobj/fragment.config"
	if [ $bad != 0 ]; then
		rm -f "$kobj/fragment.applied"
		die "config fragment lines were dropped (missing dependencies?)"
	fi
}

# The files that the series changes or adds up to commit $2 of the kernel
# tree $1, as "path:" patterns for grep -F -f against compiler messages.
series_files() { git -C "$1" diff --name-only pristine "$2" | sed 's|$|:|'; }

# The objects of the GPU drivers that the series changes up to commit $2 of
# tree $1 (for configs/gpu.config): built one by one, as whole xe and amdgpu
# modules do not fit in CI's time.  amdkfd is built from amdgpu's Makefile.
gpu_objects() {
	git -C "$1" diff --name-only pristine "$2" -- 'drivers/gpu/*.c' |
		sed -e 's|^drivers/gpu/drm/amd/amdkfd/|drivers/gpu/drm/amd/amdgpu/../amdkfd/|' \
		    -e 's|\.c$|.o|'
}

# checkpatch.pl --strict over the patch files given; prints what it finds,
# returns non-zero if anything.  The build tree has no upstream history to
# resolve Fixes: ids against (UNKNOWN_COMMIT_ID).  FILE_PATH_CHANGES only
# asks whether MAINTAINERS needs updating for a new file: answered here
# instead, by get_maintainer.pl finding a maintainer for each one.
checkpatch_clean() {
	local cp=("$ksrc/scripts/checkpatch.pl" --strict --no-tree --quiet
		  --show-types --ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES)
	local p f out bad=0

	for p in "$@"; do
		out=$("${cp[@]}" "$p") || { echo "${p##*/}:"; echo "$out"; bad=1; }
		for f in $(sed -n 's|^+++ b/||p' "$p"); do
			grep -qxF -- "--- /dev/null" <(grep -B1 -xF -- "+++ b/$f" "$p") || continue
			[ -n "$(cd "$ksrc" && scripts/get_maintainer.pl --no-git \
				--no-git-fallback --nol --no-rolestats -f "$f" 2>/dev/null)" ] ||
				{ echo "${p##*/}: no MAINTAINERS entry covers new file $f"; bad=1; }
		done
	done
	return $bad
}

# Build the selftests of tree $ksrc the kselftest way into $kobj/kselftest:
# TARGETS=rdma, and of mm only the programs named (e.g. hmm-alias-tests).
# $kobj/usr/include ("make headers") is kselftest's KHDR_INCLUDES for O=.
build_selftests() {
	local mm=$kobj/kselftest/mm

	make -s -C "$ksrc" O="$kobj" headers || return
	make -s -C "$ksrc/tools/testing/selftests" O="$kobj" TARGETS=rdma || return
	[ $# -gt 0 ] || return 0
	mkdir -p "$mm"
	make -s -C "$ksrc/tools/testing/selftests/mm" O="$kobj" OUTPUT="$mm" \
		KHDR_INCLUDES="-isystem $kobj/usr/include" "${@/#/$mm/}"
}
