# Shared settings for the project's scripts (sourced, not run).
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$repo/build}
flavour=${FLAVOUR:-debug}
ksrc=$build/linux
kobj=$build/obj-$flavour
# Where the downloaded kernel package is kept between fresh clones.
kcache=${KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/odp-p2p}
# Directories of this repo whose files are new files at their kernel paths.
kdirs=(Documentation drivers include lib mm tools)

die() { echo "${0##*/}: $*" >&2; exit 1; }

# The patch files of the series, in order, as paths.
series() { grep -v '^[[:space:]]*#' "$repo/patches/series" | grep . | sed "s|^|$repo/patches/|" || true; }
series_id() { cat "$repo/patches/series" $(series) | sha1sum | cut -c1-12; }
