# Two commands do everything (see README.md):
#   make demo    build the patched kernel, boot it, show RDMA on ODP memory
#   make test    the test suite, as CI runs it
# Developer targets:
#   make kernel  build the kernel only (FLAVOUR=lean for the fast config)
#   make check   checkpatch --strict over the series and new files
#   make export  write commits made in build/linux back to patches/

demo test check:
	scripts/$@

kernel:
	scripts/build-kernel

export:
	scripts/export-patches

.PHONY: demo test check kernel export
