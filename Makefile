# Two commands do everything (see README.md):
#   make demo    build the patched kernel, boot it, show RDMA on ODP memory
#   make test    the test suite, as CI runs it
# Developer targets:
#   make kernel  build the kernel only (FLAVOUR=lean for the fast config)
#   make check   checkpatch --strict over the series
#   make check-series  build every patch on its own, W=1 (before submitting)
#   make export  write commits made in build/linux back to patches/
#   make series  git format-patch of the series with a cover letter into build/series/

demo test check check-series series:
	scripts/$@

kernel:
	scripts/build-kernel

export:
	scripts/export-patches

.PHONY: demo test check check-series series kernel export
