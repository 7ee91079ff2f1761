// SPDX-License-Identifier: GPL-2.0
/*
 * RDMA to an ODP memory region whose pages live in device-private memory.
 *
 * test_hmm (/dev/hmm_dmirror0) migrates an anonymous buffer to its
 * device-private memory; an ODP MR on rxe1 covers the buffer, and a QP on
 * rxe0 reads or writes it with RDMA. The data must arrive either way.
 * Where the pages are afterwards depends on the exporter:
 *  - with its data in system memory (stock test_hmm), a device-private
 *    page has no DMA alias, and every page the RDMA operation touches is
 *    migrated back to system RAM first;
 *  - with its data in the P2PDMA memory of the ivshmem device, the ODP
 *    fault gets each page's alias and no page leaves device memory.
 * The tests print the page counts before and after each operation and
 * assert the outcome.
 *
 * Snapshots are taken before the CPU touches the buffer again, since a CPU
 * access itself migrates device-private pages back to system RAM.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "odp_lib.h"

#include <lib/test_hmm_uapi.h>

#define DMIRROR_DEV	"/dev/hmm_dmirror0"

/* Buffer contents: in RAM at the start, and what RDMA WRITE brings. */
#define SEED_BUF	0x23
#define SEED_LOCAL	0x61
#define SEED_WRITE	0x9c

/* The WRITE skips bytes at both ends: partial first and last pages. */
#define WRITE_HEAD	13
#define WRITE_TAIL	29

#define TEST_TIMEOUT	180

FIXTURE(dmirror_odp) {
	struct odp_ep loc;	/* rxe0: posts the READ and WRITE */
	struct odp_ep rem;	/* rxe1: ODP MR over the migrated buffer */
	int fd;
	size_t pg;
	size_t npages;
	size_t size;
	uint8_t *buf;		/* migrated to device memory */
	uint8_t *local;		/* rxe0's side of every transfer */
	uint8_t *scratch;	/* the device's copy, from MIGRATE_TO_DEV */
	uint8_t *perm;		/* one snapshot byte per page */
	struct ibv_mr *bmr;
	struct ibv_mr *lmr;
};

FIXTURE_VARIANT(dmirror_odp) {
	bool local_odp;
	bool p2p;		/* exporter keeps data in ivshmem P2PDMA memory */
	bool expect_migrated;
};

FIXTURE_VARIANT_ADD(dmirror_odp, local_plain) {
	.local_odp = false,
	.expect_migrated = true,
};

FIXTURE_VARIANT_ADD(dmirror_odp, local_odp) {
	.local_odp = true,
	.expect_migrated = true,
};

FIXTURE_VARIANT_ADD(dmirror_odp, p2p_local_plain) {
	.local_odp = false,
	.p2p = true,
	.expect_migrated = false,
};

FIXTURE_VARIANT_ADD(dmirror_odp, p2p_local_odp) {
	.local_odp = true,
	.p2p = true,
	.expect_migrated = false,
};

FIXTURE_SETUP(dmirror_odp)
{
	char why[128];
	int ret;

	self->fd = -1;
	self->pg = odp_page_size();
	/* 1 MiB and a few pages: not a power of two of pages. */
	self->npages = (1 << 20) / self->pg + 5;
	self->size = self->npages * self->pg;

	self->fd = open(DMIRROR_DEV, O_RDWR);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "no %s (CONFIG_TEST_HMM)", DMIRROR_DEV);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", DMIRROR_DEV,
				      strerror(errno));

	if (variant->p2p) {
		char bdf[32];

		if (odp_find_p2pmem(0x1af4, 0x1110, 0, bdf, sizeof(bdf)))
			SKIP(return, "no ivshmem device for P2PDMA memory");
		ret = odp_dmirror_set_provider(self->fd, bdf);
		ASSERT_EQ(0, ret) TH_LOG("HMM_DMIRROR_P2P_PROVIDER %s: %s",
					 bdf, strerror(-ret));
	}

	ret = odp_open_pair(&self->loc, &self->rem);
	if (ret == -ENODEV)
		SKIP(return, "no RDMA device pair (rxe0/rxe1)");
	ASSERT_EQ(0, ret);
	if (odp_check_caps(&self->rem, IBV_ODP_SUPPORT_READ |
			   IBV_ODP_SUPPORT_WRITE, why, sizeof(why)))
		SKIP(return, "%s", why);
	if (variant->local_odp &&
	    odp_check_caps(&self->loc, IBV_ODP_SUPPORT_SEND, why, sizeof(why)))
		SKIP(return, "%s", why);

	self->buf = odp_alloc(self->size);
	ASSERT_NE(NULL, self->buf);
	/* Base pages only: one snapshot byte is then one migrated page. */
	ASSERT_EQ(0, madvise(self->buf, self->size, MADV_NOHUGEPAGE));
	self->local = odp_alloc(self->size);
	ASSERT_NE(NULL, self->local);
	self->scratch = odp_alloc(self->size);
	ASSERT_NE(NULL, self->scratch);
	self->perm = odp_alloc(self->npages);
	ASSERT_NE(NULL, self->perm);
	self->lmr = odp_reg_mr(&self->loc, self->local, self->size,
			       variant->local_odp);
	ASSERT_NE(NULL, self->lmr);
}

FIXTURE_TEARDOWN(dmirror_odp)
{
	odp_dereg_mr(self->bmr);
	odp_dereg_mr(self->lmr);
	odp_ep_close(&self->loc);
	odp_ep_close(&self->rem);
	odp_free(self->buf, self->size);
	odp_free(self->local, self->size);
	odp_free(self->scratch, self->size);
	odp_free(self->perm, self->npages);
	if (self->fd >= 0) {
		/* Freeing the buffer freed its device pages: back to RAM */
		if (variant->p2p)
			EXPECT_EQ(0, odp_dmirror_set_provider(self->fd, ""));
		close(self->fd);
	}
}

/*
 * Migrate the whole buffer to device memory. 7.3 copies the migrated data
 * back to cmd.ptr (EFAULT if NULL): it must match what the buffer held.
 */
static void migrate_to_dev(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dmirror_odp) *self, unsigned int seed)
{
	unsigned long cpages = 0;
	int ret;

	ret = odp_dmirror_cmd(self->fd, HMM_DMIRROR_MIGRATE_TO_DEV, self->buf,
			      self->scratch, self->npages, &cpages);
	ASSERT_EQ(0, ret) TH_LOG("HMM_DMIRROR_MIGRATE_TO_DEV: %s",
				 strerror(-ret));
	ASSERT_EQ(self->npages, cpages);
	EXPECT_EQ(0UL, odp_check(self->scratch, self->size, seed, 0,
				 "device copy of the buffer"));
}

struct placement {
	size_t device;	/* device-private, on this dmirror device */
	size_t ram;	/* mapped system RAM */
	size_t other;	/* unmapped, error, or some other device */
};

static void snapshot(struct __test_metadata *_metadata,
		     FIXTURE_DATA(dmirror_odp) *self, const char *when,
		     struct placement *p)
{
	unsigned long cpages = 0;
	size_t i;
	int ret;

	memset(p, 0, sizeof(*p));
	ret = odp_dmirror_cmd(self->fd, HMM_DMIRROR_SNAPSHOT, self->buf,
			      self->perm, self->npages, &cpages);
	ASSERT_EQ(0, ret) TH_LOG("HMM_DMIRROR_SNAPSHOT: %s", strerror(-ret));
	ASSERT_EQ(self->npages, cpages);

	for (i = 0; i < self->npages; i++) {
		uint8_t b = self->perm[i];

		if ((b & 0xf0) == HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL)
			p->device++;
		else if ((b & 0xf0) == 0 &&
			 (b & (HMM_DMIRROR_PROT_READ | HMM_DMIRROR_PROT_WRITE)))
			p->ram++;
		else
			p->other++;
	}
	ksft_print_msg("%s: %zu of %zu pages on device, %zu in RAM, %zu other\n",
		       when, p->device, self->npages, p->ram, p->other);
}

static void migrate_and_confirm(struct __test_metadata *_metadata,
				FIXTURE_DATA(dmirror_odp) *self,
				unsigned int seed, const char *when)
{
	struct placement p;

	migrate_to_dev(_metadata, self, seed);
	snapshot(_metadata, self, when, &p);
	ASSERT_EQ(self->npages, p.device);
}

static void register_buf(struct __test_metadata *_metadata,
			 FIXTURE_DATA(dmirror_odp) *self)
{
	self->bmr = odp_reg_mr(&self->rem, self->buf, self->size, true);
	ASSERT_NE(NULL, self->bmr);
}

static void assert_outcome(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dmirror_odp) *self,
			   const FIXTURE_VARIANT(dmirror_odp) *variant,
			   const struct placement *p)
{
	if (variant->expect_migrated) {
		ASSERT_EQ(0UL, p->device)
			TH_LOG("pages left in device memory");
		ASSERT_EQ(self->npages, p->ram);
	} else {
		ASSERT_EQ(self->npages, p->device)
			TH_LOG("pages migrated out of device memory");
	}
}

/* RDMA READ the whole buffer, which holds SEED_BUF, into rxe0's buffer. */
static void read_buf(struct __test_metadata *_metadata,
		     FIXTURE_DATA(dmirror_odp) *self,
		     const FIXTURE_VARIANT(dmirror_odp) *variant)
{
	struct placement p;

	odp_fill(self->local, self->size, SEED_LOCAL, 0);
	ASSERT_EQ(0, odp_read_sync(&self->loc, self->lmr, self->local,
				   self->size, (uintptr_t)self->buf,
				   self->bmr->rkey));
	snapshot(_metadata, self, "after RDMA READ", &p);
	EXPECT_EQ(0UL, odp_check(self->local, self->size, SEED_BUF, 0,
				 "RDMA READ of device memory"));
	assert_outcome(_metadata, self, variant, &p);
}

/* RDMA WRITE all but a few bytes at each end of the buffer from rxe0. */
static void write_buf(struct __test_metadata *_metadata,
		      FIXTURE_DATA(dmirror_odp) *self,
		      const FIXTURE_VARIANT(dmirror_odp) *variant)
{
	size_t len = self->size - WRITE_HEAD - WRITE_TAIL;
	struct placement p;

	odp_fill(self->local, self->size, SEED_WRITE, 0);
	ASSERT_EQ(0, odp_write_sync(&self->loc, self->lmr,
				    self->local + WRITE_HEAD, len,
				    (uintptr_t)(self->buf + WRITE_HEAD),
				    self->bmr->rkey));
	snapshot(_metadata, self, "after RDMA WRITE", &p);
	EXPECT_EQ(0UL, odp_check(self->buf + WRITE_HEAD, len, SEED_WRITE,
				 WRITE_HEAD, "RDMA WRITE to device memory"));
	EXPECT_EQ(0UL, odp_check(self->buf, WRITE_HEAD, SEED_BUF, 0,
				 "bytes before the WRITE"));
	EXPECT_EQ(0UL, odp_check(self->buf + WRITE_HEAD + len, WRITE_TAIL,
				 SEED_BUF, WRITE_HEAD + len,
				 "bytes after the WRITE"));
	assert_outcome(_metadata, self, variant, &p);
}

/* READ, migrate to the device again (the MR is invalidated), WRITE. */
TEST_F_TIMEOUT(dmirror_odp, read_then_write, TEST_TIMEOUT)
{
	odp_fill(self->buf, self->size, SEED_BUF, 0);
	migrate_and_confirm(_metadata, self, SEED_BUF, "before RDMA READ");
	register_buf(_metadata, self);
	read_buf(_metadata, self, variant);

	migrate_and_confirm(_metadata, self, SEED_BUF, "before RDMA WRITE");
	write_buf(_metadata, self, variant);
}

/* The MR's first access is a WRITE: no page was ever mapped for rxe. */
TEST_F_TIMEOUT(dmirror_odp, write_first, TEST_TIMEOUT)
{
	odp_fill(self->buf, self->size, SEED_BUF, 0);
	migrate_and_confirm(_metadata, self, SEED_BUF, "before RDMA WRITE");
	register_buf(_metadata, self);
	write_buf(_metadata, self, variant);
}

TEST_HARNESS_MAIN
