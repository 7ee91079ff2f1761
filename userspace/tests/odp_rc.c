// SPDX-License-Identifier: GPL-2.0
/*
 * RC data transfers to and from ODP memory regions: RDMA WRITE, RDMA READ,
 * SEND/RECV and atomics between a QP on rxe0 (the requester, "local") and
 * one on rxe1 (the responder, "remote"), with ODP on either side, both or
 * neither (the control).
 *
 * Every byte of both regions is checked after each operation: the target
 * range must hold the source's pattern, everything around it must be as it
 * was, and the source must be unchanged. With a 1024 byte path MTU a 4 KiB
 * page takes four packets, so offsets inside a page and copies that cross
 * pages are exercised at every size.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "odp_lib.h"

/* Region patterns: the source of a transfer and what it overwrites. */
#define SEED_SRC	0x11
#define SEED_DST	0x5a

/* Per test, for setup plus a few MiB through a KASAN kernel. */
#define TEST_TIMEOUT	120

enum xfer_kind {
	XFER_ALIGNED_64K,
	XFER_OVER_1M,
	XFER_UNALIGNED,
	XFER_CROSS_PAGE,
	XFER_SKEWED,
};

/* Offsets are from the base of each region, which is page aligned. */
struct xfer {
	size_t loff;
	size_t roff;
	size_t len;
};

static struct xfer xfer_get(enum xfer_kind kind, size_t pg)
{
	switch (kind) {
	case XFER_ALIGNED_64K:
		return (struct xfer){ 0, 0, 64 << 10 };
	case XFER_OVER_1M:	/* ends in the middle of a page */
		return (struct xfer){ 0, 0, (1 << 20) + 70001 };
	case XFER_UNALIGNED:
		return (struct xfer){ 13, 13, (64 << 10) + 77 };
	case XFER_CROSS_PAGE:	/* one packet, the end of a page and the next */
		return (struct xfer){ pg - 100, pg - 100, 300 };
	case XFER_SKEWED:	/* page boundaries fall differently each side */
		return (struct xfer){ 13, 2 * pg - 37, 3 * pg + 1234 };
	}
	abort();
}

/* Guard pages before the base, room for the largest transfer after it. */
#define REGION_BASE(pg)	(2 * (pg))
#define REGION_SIZE(pg)	(REGION_BASE(pg) + (1 << 20) + (128 << 10))

FIXTURE(odp_rc) {
	struct odp_ep loc;	/* posts every work request */
	struct odp_ep rem;
	size_t pg;
	size_t base;
	size_t size;
	uint8_t *lbuf;
	uint8_t *rbuf;
	struct ibv_mr *lmr;
	struct ibv_mr *rmr;
};

FIXTURE_VARIANT(odp_rc) {
	bool local_odp;
	bool remote_odp;
};

FIXTURE_VARIANT_ADD(odp_rc, local_odp) {
	.local_odp = true,
	.remote_odp = false,
};

FIXTURE_VARIANT_ADD(odp_rc, remote_odp) {
	.local_odp = false,
	.remote_odp = true,
};

FIXTURE_VARIANT_ADD(odp_rc, both_odp) {
	.local_odp = true,
	.remote_odp = true,
};

FIXTURE_VARIANT_ADD(odp_rc, no_odp) {
	.local_odp = false,
	.remote_odp = false,
};

FIXTURE_SETUP(odp_rc)
{
	char why[128];
	int ret;

	self->pg = odp_page_size();
	self->base = REGION_BASE(self->pg);
	self->size = REGION_SIZE(self->pg);

	ret = odp_open_pair(&self->loc, &self->rem);
	if (ret == -ENODEV)
		SKIP(return, "no RDMA device pair (rxe0/rxe1)");
	ASSERT_EQ(0, ret);
	if (variant->local_odp &&
	    odp_check_caps(&self->loc, 0, why, sizeof(why)))
		SKIP(return, "%s", why);
	if (variant->remote_odp &&
	    odp_check_caps(&self->rem, 0, why, sizeof(why)))
		SKIP(return, "%s", why);

	self->lbuf = odp_alloc(self->size);
	ASSERT_NE(NULL, self->lbuf);
	self->rbuf = odp_alloc(self->size);
	ASSERT_NE(NULL, self->rbuf);
	self->lmr = odp_reg_mr(&self->loc, self->lbuf, self->size,
			       variant->local_odp);
	ASSERT_NE(NULL, self->lmr);
	self->rmr = odp_reg_mr(&self->rem, self->rbuf, self->size,
			       variant->remote_odp);
	ASSERT_NE(NULL, self->rmr);
}

FIXTURE_TEARDOWN(odp_rc)
{
	odp_dereg_mr(self->lmr);
	odp_dereg_mr(self->rmr);
	odp_ep_close(&self->loc);
	odp_ep_close(&self->rem);
	odp_free(self->lbuf, self->size);
	odp_free(self->rbuf, self->size);
}

/*
 * The ODP capability bits are per role: SEND covers the requester's own
 * buffers, RECV receive buffers, WRITE/READ/ATOMIC the responder's memory.
 */
static bool caps_ok(FIXTURE_DATA(odp_rc) *self,
		    const FIXTURE_VARIANT(odp_rc) *variant, uint32_t remote_cap,
		    char *why, size_t len)
{
	if (variant->local_odp &&
	    odp_check_caps(&self->loc, IBV_ODP_SUPPORT_SEND, why, len))
		return false;
	if (variant->remote_odp &&
	    odp_check_caps(&self->rem, remote_cap, why, len))
		return false;
	return true;
}

/*
 * Fill source and destination regions with different patterns. Both are
 * streams with the same slope, so the destination's target range either
 * matches the expected data everywhere or nowhere: make sure it is
 * nowhere, or a transfer that did nothing would pass.
 */
static void prepare(struct __test_metadata *_metadata, uint8_t *src,
		    size_t soff, uint8_t *dst, size_t doff, size_t len,
		    size_t size)
{
	odp_fill(src, size, SEED_SRC, 0);
	odp_fill(dst, size, SEED_DST, 0);
	ASSERT_EQ(len, odp_check(dst + doff, len, SEED_SRC, soff, NULL));
}

/* After copying @len bytes from @soff of the source to @doff of @dst. */
static void check_landed(struct __test_metadata *_metadata, const char *op,
			 const uint8_t *src, size_t soff, const uint8_t *dst,
			 size_t doff, size_t len, size_t size)
{
	size_t pg = odp_page_size();
	size_t bad = 0;

	bad += odp_check(dst + doff, len, SEED_SRC, soff, op);
	bad += odp_check(dst, doff, SEED_DST, 0, "guard before target");
	bad += odp_check(dst + doff + len, size - doff - len, SEED_DST,
			 doff + len, "guard after target");
	bad += odp_check(src, size, SEED_SRC, 0, "source region");
	if (bad)
		TH_LOG("%s of %zu bytes from source offset %zu (page offset %zu) to target offset %zu (page offset %zu)",
		       op, len, soff, soff % pg, doff, doff % pg);
	EXPECT_EQ(0UL, bad);
}

static void run_write(struct __test_metadata *_metadata,
		      FIXTURE_DATA(odp_rc) *self,
		      const FIXTURE_VARIANT(odp_rc) *variant,
		      enum xfer_kind kind)
{
	struct xfer x = xfer_get(kind, self->pg);
	size_t loff = self->base + x.loff;
	size_t roff = self->base + x.roff;
	char why[128];

	if (!caps_ok(self, variant, IBV_ODP_SUPPORT_WRITE, why, sizeof(why)))
		SKIP(return, "%s", why);

	prepare(_metadata, self->lbuf, loff, self->rbuf, roff, x.len,
		self->size);
	ASSERT_EQ(0, odp_write_sync(&self->loc, self->lmr, self->lbuf + loff,
				    x.len, (uintptr_t)(self->rbuf + roff),
				    self->rmr->rkey));
	check_landed(_metadata, "RDMA WRITE", self->lbuf, loff, self->rbuf,
		     roff, x.len, self->size);
}

static void run_read(struct __test_metadata *_metadata,
		     FIXTURE_DATA(odp_rc) *self,
		     const FIXTURE_VARIANT(odp_rc) *variant,
		     enum xfer_kind kind)
{
	struct xfer x = xfer_get(kind, self->pg);
	size_t loff = self->base + x.loff;
	size_t roff = self->base + x.roff;
	char why[128];

	if (!caps_ok(self, variant, IBV_ODP_SUPPORT_READ, why, sizeof(why)))
		SKIP(return, "%s", why);

	prepare(_metadata, self->rbuf, roff, self->lbuf, loff, x.len,
		self->size);
	ASSERT_EQ(0, odp_read_sync(&self->loc, self->lmr, self->lbuf + loff,
				   x.len, (uintptr_t)(self->rbuf + roff),
				   self->rmr->rkey));
	check_landed(_metadata, "RDMA READ", self->rbuf, roff, self->lbuf,
		     loff, x.len, self->size);
}

static void run_send(struct __test_metadata *_metadata,
		     FIXTURE_DATA(odp_rc) *self,
		     const FIXTURE_VARIANT(odp_rc) *variant,
		     enum xfer_kind kind)
{
	struct xfer x = xfer_get(kind, self->pg);
	size_t loff = self->base + x.loff;
	size_t roff = self->base + x.roff;
	uint32_t byte_len = 0;
	char why[128];

	if (!caps_ok(self, variant, IBV_ODP_SUPPORT_RECV, why, sizeof(why)))
		SKIP(return, "%s", why);

	prepare(_metadata, self->lbuf, loff, self->rbuf, roff, x.len,
		self->size);
	/* A receive buffer a page longer than the message: the rest stays. */
	ASSERT_EQ(0, odp_send_recv_sync(&self->loc, self->lmr,
					self->lbuf + loff, x.len, &self->rem,
					self->rmr, self->rbuf + roff,
					x.len + self->pg, &byte_len));
	EXPECT_EQ(x.len, byte_len);
	check_landed(_metadata, "SEND", self->lbuf, loff, self->rbuf, roff,
		     x.len, self->size);
}

TEST_F_TIMEOUT(odp_rc, write_aligned_64k, TEST_TIMEOUT)
{
	run_write(_metadata, self, variant, XFER_ALIGNED_64K);
}

TEST_F_TIMEOUT(odp_rc, write_over_1m, TEST_TIMEOUT)
{
	run_write(_metadata, self, variant, XFER_OVER_1M);
}

TEST_F_TIMEOUT(odp_rc, write_unaligned, TEST_TIMEOUT)
{
	run_write(_metadata, self, variant, XFER_UNALIGNED);
}

TEST_F_TIMEOUT(odp_rc, write_cross_page, TEST_TIMEOUT)
{
	run_write(_metadata, self, variant, XFER_CROSS_PAGE);
}

TEST_F_TIMEOUT(odp_rc, write_skewed, TEST_TIMEOUT)
{
	run_write(_metadata, self, variant, XFER_SKEWED);
}

TEST_F_TIMEOUT(odp_rc, read_aligned_64k, TEST_TIMEOUT)
{
	run_read(_metadata, self, variant, XFER_ALIGNED_64K);
}

TEST_F_TIMEOUT(odp_rc, read_over_1m, TEST_TIMEOUT)
{
	run_read(_metadata, self, variant, XFER_OVER_1M);
}

TEST_F_TIMEOUT(odp_rc, read_unaligned, TEST_TIMEOUT)
{
	run_read(_metadata, self, variant, XFER_UNALIGNED);
}

TEST_F_TIMEOUT(odp_rc, read_cross_page, TEST_TIMEOUT)
{
	run_read(_metadata, self, variant, XFER_CROSS_PAGE);
}

TEST_F_TIMEOUT(odp_rc, read_skewed, TEST_TIMEOUT)
{
	run_read(_metadata, self, variant, XFER_SKEWED);
}

TEST_F_TIMEOUT(odp_rc, send_aligned_64k, TEST_TIMEOUT)
{
	run_send(_metadata, self, variant, XFER_ALIGNED_64K);
}

TEST_F_TIMEOUT(odp_rc, send_over_1m, TEST_TIMEOUT)
{
	run_send(_metadata, self, variant, XFER_OVER_1M);
}

TEST_F_TIMEOUT(odp_rc, send_unaligned, TEST_TIMEOUT)
{
	run_send(_metadata, self, variant, XFER_UNALIGNED);
}

TEST_F_TIMEOUT(odp_rc, send_cross_page, TEST_TIMEOUT)
{
	run_send(_metadata, self, variant, XFER_CROSS_PAGE);
}

TEST_F_TIMEOUT(odp_rc, send_skewed, TEST_TIMEOUT)
{
	run_send(_metadata, self, variant, XFER_SKEWED);
}

/*
 * Atomic targets (8-byte aligned, as required) and the local buffers that
 * receive the original value (any alignment: some straddle two pages).
 * Offsets are from the region bases.
 */
struct atomic_slot {
	size_t target;
	size_t result;
};

#define NR_SLOTS	4

static void atomic_slots(size_t pg, struct atomic_slot *s)
{
	s[0] = (struct atomic_slot){ 0, 0 };
	s[1] = (struct atomic_slot){ pg - 8, pg - 4 };
	s[2] = (struct atomic_slot){ 17 * pg + 360, 13 };
	s[3] = (struct atomic_slot){ (1 << 20) + 24, 6 * pg - 3 };
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

/*
 * Shadow copies of both regions with the expected contents, compared in
 * full at the end: atomics must change exactly 8 bytes on each side.
 */
struct shadow {
	uint8_t *lwant;
	uint8_t *rwant;
};

static void shadow_init(struct __test_metadata *_metadata,
			FIXTURE_DATA(odp_rc) *self, struct shadow *sh)
{
	odp_fill(self->lbuf, self->size, SEED_SRC, 0);
	odp_fill(self->rbuf, self->size, SEED_DST, 0);
	sh->lwant = malloc(self->size);
	sh->rwant = malloc(self->size);
	ASSERT_NE(NULL, sh->lwant);
	ASSERT_NE(NULL, sh->rwant);
	memcpy(sh->lwant, self->lbuf, self->size);
	memcpy(sh->rwant, self->rbuf, self->size);
}

static void shadow_check(struct __test_metadata *_metadata,
			 FIXTURE_DATA(odp_rc) *self, struct shadow *sh)
{
	EXPECT_EQ(0UL, odp_compare(self->lbuf, sh->lwant, self->size,
				   "local region"));
	EXPECT_EQ(0UL, odp_compare(self->rbuf, sh->rwant, self->size,
				   "remote region"));
	free(sh->lwant);
	free(sh->rwant);
}

/*
 * Clear the result buffer to all ones, which no pattern produces, so a
 * result that was never written cannot pass for the original value.
 */
static uint8_t *result_buf(FIXTURE_DATA(odp_rc) *self, struct shadow *sh,
			   const struct atomic_slot *s)
{
	uint8_t *r = self->lbuf + self->base + s->result;

	memset(r, 0xff, sizeof(uint64_t));
	memset(sh->lwant + self->base + s->result, 0xff, sizeof(uint64_t));
	return r;
}

TEST_F_TIMEOUT(odp_rc, atomic_fetch_add, TEST_TIMEOUT)
{
	struct atomic_slot slots[NR_SLOTS];
	struct shadow sh;
	char why[128];
	int i, round;

	if (odp_check_atomics(&self->rem, why, sizeof(why)) ||
	    !caps_ok(self, variant, IBV_ODP_SUPPORT_ATOMIC, why, sizeof(why)))
		SKIP(return, "%s", why);

	atomic_slots(self->pg, slots);
	shadow_init(_metadata, self, &sh);
	for (i = 0; i < NR_SLOTS; i++) {
		size_t toff = self->base + slots[i].target;
		uint8_t *t = self->rbuf + toff;

		/* Twice: the second add starts from the first one's sum. */
		for (round = 0; round < 2; round++) {
			/* Carries through every byte of the pattern value. */
			uint64_t add = 0xfedcba9876543210ULL + i + round;
			uint64_t old = get_u64(sh.rwant + toff);
			uint8_t *r = result_buf(self, &sh, &slots[i]);

			ASSERT_EQ(0, odp_fetch_add_sync(&self->loc, self->lmr,
							r, (uintptr_t)t,
							self->rmr->rkey, add));
			EXPECT_EQ(old, get_u64(r))
				TH_LOG("slot %d round %d: returned value", i, round);
			EXPECT_EQ(old + add, get_u64(t))
				TH_LOG("slot %d round %d: target value", i, round);
			put_u64(sh.lwant + self->base + slots[i].result, old);
			put_u64(sh.rwant + toff, old + add);
		}
	}
	shadow_check(_metadata, self, &sh);
}

TEST_F_TIMEOUT(odp_rc, atomic_cmp_swap, TEST_TIMEOUT)
{
	struct atomic_slot slots[NR_SLOTS];
	struct shadow sh;
	char why[128];
	int i;

	if (odp_check_atomics(&self->rem, why, sizeof(why)) ||
	    !caps_ok(self, variant, IBV_ODP_SUPPORT_ATOMIC, why, sizeof(why)))
		SKIP(return, "%s", why);

	atomic_slots(self->pg, slots);
	shadow_init(_metadata, self, &sh);
	for (i = 0; i < NR_SLOTS; i++) {
		size_t toff = self->base + slots[i].target;
		uint64_t swap = 0x0123456789abcdefULL ^ ((uint64_t)i << 56);
		uint64_t old = get_u64(sh.rwant + toff);
		uint8_t *t = self->rbuf + toff;
		uint8_t *r;

		/* A compare value off by two bits must leave memory alone. */
		r = result_buf(self, &sh, &slots[i]);
		ASSERT_EQ(0, odp_cmp_swp_sync(&self->loc, self->lmr, r,
					      (uintptr_t)t, self->rmr->rkey,
					      old ^ 0x8000000000000001ULL,
					      swap));
		EXPECT_EQ(old, get_u64(r))
			TH_LOG("slot %d: returned value of failed compare", i);
		EXPECT_EQ(old, get_u64(t))
			TH_LOG("slot %d: target after failed compare", i);
		put_u64(sh.lwant + self->base + slots[i].result, old);

		r = result_buf(self, &sh, &slots[i]);
		ASSERT_EQ(0, odp_cmp_swp_sync(&self->loc, self->lmr, r,
					      (uintptr_t)t, self->rmr->rkey,
					      old, swap));
		EXPECT_EQ(old, get_u64(r))
			TH_LOG("slot %d: returned value of matching compare", i);
		EXPECT_EQ(swap, get_u64(t))
			TH_LOG("slot %d: target after matching compare", i);
		put_u64(sh.lwant + self->base + slots[i].result, old);
		put_u64(sh.rwant + toff, swap);
	}
	shadow_check(_metadata, self, &sh);
}

TEST_HARNESS_MAIN
