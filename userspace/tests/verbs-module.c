// SPDX-License-Identifier: GPL-2.0
/*
 * verbs-module.so: the part of dlopen-verbs that links libibverbs (see
 * dlopen-verbs.c).  verbs_module_run(DEVICE) registers an ODP MR and a
 * pinned MR over buffers of 33 pages plus 123 bytes, not page-aligned,
 * filled with a pattern whose period (251 bytes) is no power of two;
 * checks the data after registration (devmem-run moved the ODP buffer to
 * the device and back on this read) and deregisters.  0 or 1.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#define LENGTH(pg)	(33 * (pg) + 123)
#define OFFSET		17

static void fill(uint8_t *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)((i + seed) % 251);
}

/* The first wrong byte of @p, or -1 */
static long check(const uint8_t *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (uint8_t)((i + seed) % 251))
			return i;
	return -1;
}

static int reg_one(struct ibv_pd *pd, const char *what, unsigned int access,
		   unsigned int seed)
{
	long pg = sysconf(_SC_PAGESIZE), bad;
	size_t len = LENGTH(pg);
	struct ibv_mr *mr;
	uint8_t *map, *buf;
	int ret = 1;

	map = mmap(NULL, len + 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		perror("verbs-module: mmap");
		return 1;
	}
	buf = map + OFFSET;
	fill(buf, len, seed);
	mr = ibv_reg_mr(pd, buf, len, access);
	if (!mr) {
		fprintf(stderr, "verbs-module: %s ibv_reg_mr: %s\n", what,
			strerror(errno));
		goto out;
	}
	bad = check(buf, len, seed);
	if (bad >= 0)
		fprintf(stderr, "verbs-module: %s MR: byte %ld (page %ld, offset %ld) is %u, wanted %u\n",
			what, bad, (bad + OFFSET) / pg, (bad + OFFSET) % pg,
			buf[bad], (unsigned int)((bad + seed) % 251));
	else
		ret = 0;
	if (ibv_dereg_mr(mr)) {
		fprintf(stderr, "verbs-module: %s ibv_dereg_mr failed\n", what);
		ret = 1;
	}
out:
	munmap(map, len + 2 * pg);
	return ret;
}

int verbs_module_run(const char *name)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd = NULL;
	unsigned int rw = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ |
			  IBV_ACCESS_REMOTE_WRITE;
	int i, ret = 1;

	for (i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			ctx = ibv_open_device(list[i]);
	if (list)
		ibv_free_device_list(list);
	if (!ctx) {
		fprintf(stderr, "verbs-module: cannot open RDMA device %s\n", name);
		return 1;
	}
	pd = ibv_alloc_pd(ctx);
	if (!pd) {
		fprintf(stderr, "verbs-module: ibv_alloc_pd failed\n");
		goto out;
	}
	ret = reg_one(pd, "ODP", rw | IBV_ACCESS_ON_DEMAND, 7);
	ret |= reg_one(pd, "pinned", rw, 11);
	ibv_dealloc_pd(pd);
out:
	ibv_close_device(ctx);
	return ret;
}
