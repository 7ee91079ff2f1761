// SPDX-License-Identifier: GPL-2.0
/*
 * RDMA through ODP memory regions whose pages live in device-private memory
 * that has a PCI P2PDMA "DMA alias".
 *
 * test_hmm's dmirror devices keep the data of their device-private pages in
 * the published P2PDMA memory of a PCI device when given a provider
 * (HMM_DMIRROR_P2P_PROVIDER): dmirror0 uses an ivshmem BAR, dmirror1 an NVMe
 * CMB.  hmm_range_fault() hands such a page's alias to an importer that asks
 * for aliases instead of migrating the page to RAM; the IB core asks for them
 * for ODP MRs and rxe copies to and from them with the CPU.
 *
 * A QP on rxe0 reads, writes and does atomics on an ODP MR on rxe1 that
 * covers the buffer.  The tests check the data byte by byte against a model
 * of the buffer, where the pages are afterwards (HMM_DMIRROR_SNAPSHOT, taken
 * before the CPU touches the buffer, since a CPU access migrates
 * device-private pages to RAM), and rxe1's odp_p2p_* hardware counters.
 *
 * Knobs used: /sys/module/ib_core/parameters/odp_p2p_alias and the fault
 * injection attributes in /sys/kernel/debug/fail_odp_p2p_map; both are
 * restored by the fixture teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "odp_lib.h"

#include <lib/test_hmm_uapi.h>

#define DMIRROR_NDEV		2
#define DMIRROR_PATH		"/dev/hmm_dmirror%d"

#define IVSHMEM_VENDOR		0x1af4
#define IVSHMEM_DEVICE		0x1110
#define NVME_CLASS		0x010802

#define FAIL_DIR		"/sys/kernel/debug/fail_odp_p2p_map"

/* Not a power of two: 268 KiB, a few hundred RoCE packets of 1 KiB. */
#define NPAGES			67

/* Seeds of the pattern streams (odp_pattern_byte(), period 251). */
#define SEED_BUF		0x23
#define SEED_WRITE		0x9c
#define SEED_CPU		0x47
#define SEED_TRAFFIC		0x51

/* Never a pattern byte: marks destination bytes that nothing wrote. */
#define POISON			0xff

/* Fault injection: this many alias "mappings" fail. */
#define INJECT_TIMES		5UL

/* migrate_during_traffic: bounded work on both sides. */
#define TRAFFIC_ITERS		24
#define MIGRATE_ROUNDS		20000
#define MIGRATE_PAUSE_US	2000

#define TEST_TIMEOUT		120

#define SNAP_KIND(b)		((b) & 0xf0)
#define SNAP_RW			(HMM_DMIRROR_PROT_READ | HMM_DMIRROR_PROT_WRITE)

/* Where a snapshot byte says a page is. */
enum place {
	PLACE_DEVICE,		/* device-private, on the dmirror asked */
	PLACE_RAM,		/* an ordinary mapped page */
};

struct p2p_stats {
	unsigned long long alias_pages;
	unsigned long long fallbacks;
	unsigned long long invalidations;
};

/* ----- sysfs, debugfs and PCI helpers ------------------------------- */

/* ----- test_hmm ioctls ------------------------------------------------ */

static int dmirror_p2p_fault(int fd, void *addr, unsigned long npages,
			     unsigned char *res, const char *importer,
			     unsigned long long flags, unsigned long *nalias)
{
	struct hmm_dmirror_p2p p2p = {
		.addr = (unsigned long)addr,
		.ptr = (unsigned long)res,
		.npages = npages,
		.flags = flags,
	};

	snprintf(p2p.pci_dev, sizeof(p2p.pci_dev), "%s", importer);
	if (ioctl(fd, HMM_DMIRROR_P2P_FAULT, &p2p))
		return -errno;
	*nalias = p2p.cpages;
	return 0;
}

static const char *p2p_result_str(unsigned char res)
{
	switch (res & ~HMM_DMIRROR_P2P_WRITE) {
	case HMM_DMIRROR_P2P_NONE:		return "NONE";
	case HMM_DMIRROR_P2P_SYSTEM:		return "SYSTEM";
	case HMM_DMIRROR_P2P_OWNER:		return "OWNER";
	case HMM_DMIRROR_P2P_ALIAS_BUS:		return "ALIAS_BUS";
	case HMM_DMIRROR_P2P_ALIAS_HOST_BRIDGE:	return "ALIAS_HOST_BRIDGE";
	case HMM_DMIRROR_P2P_ALIAS_CPU:		return "ALIAS_CPU";
	case HMM_DMIRROR_P2P_ALIAS_DMA:		return "ALIAS_DMA";
	case HMM_DMIRROR_P2P_OTHER:		return "OTHER";
	case HMM_DMIRROR_P2P_ERROR:		return "ERROR";
	default:				return "unknown";
	}
}

static bool place_is(unsigned char snap, enum place want)
{
	if (want == PLACE_DEVICE)
		return SNAP_KIND(snap) == HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL;
	return SNAP_KIND(snap) == HMM_DMIRROR_PROT_NONE && (snap & SNAP_RW);
}

static const char *place_str(enum place p)
{
	return p == PLACE_DEVICE ? "device-private" : "in RAM";
}

/*
 * Compare @len bytes at @got with @want; @off is the offset of @got in the
 * buffer under test, so that mismatches are reported by page and byte of
 * that buffer.  Returns the number of wrong bytes.
 */
static size_t diff_bytes(struct __test_metadata *_metadata,
			 const unsigned char *got, const unsigned char *want,
			 size_t len, size_t off, const char *what)
{
	size_t pg = odp_page_size();
	size_t i, wrong = 0, first = 0, last = 0;

	for (i = 0; i < len; i++) {
		if (got[i] == want[i])
			continue;
		if (!wrong++)
			first = i;
		last = i;
	}
	if (!wrong)
		return 0;
	TH_LOG("%s: %zu of %zu bytes wrong", what, wrong, len);
	TH_LOG("%s: first: page %zu byte %zu is 0x%02x, want 0x%02x", what,
	       (off + first) / pg, (off + first) % pg, got[first],
	       want[first]);
	TH_LOG("%s: last: page %zu byte %zu is 0x%02x, want 0x%02x", what,
	       (off + last) / pg, (off + last) % pg, got[last], want[last]);
	return wrong;
}

/* ----- the RDMA fixture ---------------------------------------------- */

struct odp_p2p_data {
	struct odp_ep loc;		/* rxe0: posts every operation */
	struct odp_ep rem;		/* rxe1: the ODP MR over buf */
	int fd[DMIRROR_NDEV];
	char ivshmem[32];		/* P2PDMA provider of dmirror0 */
	char nvme[32];			/* P2PDMA provider of dmirror1 */
	size_t pg;
	size_t npages;
	size_t size;
	unsigned char *buf;		/* under test: RAM or device memory */
	unsigned char *model;		/* what buf must hold */
	unsigned char *local;		/* rxe0's RAM: 2 * size + a page */
	unsigned char *scratch;		/* data from MIGRATE_TO_DEV */
	unsigned char *perm;		/* snapshot bytes */
	size_t local_size;
	struct ibv_mr *bmr;
	struct ibv_mr *lmr;
	char knob_saved[8];		/* odp_p2p_alias before the test */
	char fail_verbose[16];		/* fail_odp_p2p_map/verbose */
	bool provider_set[DMIRROR_NDEV];
	bool fail_armed;
};

FIXTURE(odp_p2p) {
	struct odp_p2p_data d;
};

static void set_provider(struct __test_metadata *_metadata,
			 struct odp_p2p_data *d, int dev,
			 const char *pci_dev)
{
	int ret = odp_dmirror_set_provider(d->fd[dev], pci_dev);

	ASSERT_EQ(0, ret) TH_LOG("dmirror%d: HMM_DMIRROR_P2P_PROVIDER \"%s\": %s",
				 dev, pci_dev, strerror(-ret));
	d->provider_set[dev] = true;
}

static void need_ivshmem(struct __test_metadata *_metadata,
			 struct odp_p2p_data *d)
{
	if (!d->ivshmem[0])
		SKIP(return, "no ivshmem device (1af4:1110) with published p2pmem");
	set_provider(_metadata, d, 0, d->ivshmem);
}

static void need_nvme(struct __test_metadata *_metadata,
		      struct odp_p2p_data *d)
{
	if (!d->nvme[0])
		SKIP(return, "no NVMe controller with published p2pmem (CMB)");
	set_provider(_metadata, d, 1, d->nvme);
}

static void read_stats(struct __test_metadata *_metadata,
		       struct odp_p2p_data *d, struct p2p_stats *s)
{
	static const char * const names[] = {
		"odp_p2p_alias_pages", "odp_p2p_fallbacks",
		"odp_p2p_invalidations",
	};
	unsigned long long *vals[] = {
		&s->alias_pages, &s->fallbacks, &s->invalidations,
	};
	size_t i;
	int ret;

	/* The core caches hw counters for 10 ms (RDMA_HW_STATS_DEFAULT_LIFESPAN) */
	usleep(50000);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		ret = odp_hw_counter(&d->rem, names[i], vals[i]);
		ASSERT_EQ(0, ret) TH_LOG("%s counter %s: %s", d->rem.name,
					 names[i], strerror(-ret));
	}
}

static void log_stats(const char *when, const struct p2p_stats *a,
		      const struct p2p_stats *b)
{
	ksft_print_msg("%s: counters: alias_pages +%llu fallbacks +%llu invalidations +%llu\n",
		       when, b->alias_pages - a->alias_pages,
		       b->fallbacks - a->fallbacks,
		       b->invalidations - a->invalidations);
}

static int fail_write(const char *attr, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), FAIL_DIR "/%s", attr);
	return odp_write_text(path, val);
}

/* Make the next @times alias mappings fail. */
static void fail_arm(struct __test_metadata *_metadata,
		     struct odp_p2p_data *d, int times)
{
	char val[16];
	int ret = 0;

	if (!d->fail_verbose[0])
		ret = odp_read_text(FAIL_DIR "/verbose", d->fail_verbose,
				    sizeof(d->fail_verbose));
	ASSERT_EQ(0, ret);
	d->fail_armed = true;
	snprintf(val, sizeof(val), "%d", times);
	ASSERT_EQ(0, fail_write("verbose", "1"));
	ASSERT_EQ(0, fail_write("interval", "1"));
	ASSERT_EQ(0, fail_write("times", val));
	ASSERT_EQ(0, fail_write("probability", "100"));
}

static int fail_disarm(struct odp_p2p_data *d)
{
	int ret;

	ret = fail_write("probability", "0");
	if (!ret)
		ret = fail_write("times", "0");
	if (!ret && d->fail_verbose[0])
		ret = fail_write("verbose", d->fail_verbose);
	return ret;
}

static void set_knob(struct __test_metadata *_metadata, const char *val)
{
	int ret = odp_write_text(ODP_P2P_KNOB, val);

	ASSERT_EQ(0, ret) TH_LOG("%s = %s: %s", ODP_P2P_KNOB, val,
				 strerror(-ret));
}

FIXTURE_SETUP(odp_p2p)
{
	struct odp_p2p_data *d = &self->d;
	char path[256], why[128];
	unsigned long long counter;
	int i, ret;

	for (i = 0; i < DMIRROR_NDEV; i++)
		d->fd[i] = -1;
	d->pg = odp_page_size();
	d->npages = NPAGES;
	d->size = d->npages * d->pg;
	d->local_size = 2 * d->size + d->pg;

	for (i = 0; i < DMIRROR_NDEV; i++) {
		snprintf(path, sizeof(path), DMIRROR_PATH, i);
		d->fd[i] = open(path, O_RDWR);
		if (d->fd[i] < 0 && errno == ENOENT)
			SKIP(return, "no %s (CONFIG_TEST_HMM)", path);
		ASSERT_LE(0, d->fd[i]) TH_LOG("open %s: %s", path,
					      strerror(errno));
	}

	ret = odp_open_pair(&d->loc, &d->rem);
	if (ret == -ENODEV)
		SKIP(return, "no RDMA device pair (rxe0/rxe1)");
	ASSERT_EQ(0, ret);
	if (odp_check_caps(&d->rem, IBV_ODP_SUPPORT_READ |
			   IBV_ODP_SUPPORT_WRITE, why, sizeof(why)))
		SKIP(return, "%s", why);

	/* The feature: rxe's alias counters and the ib_core knob. */
	if (odp_hw_counter(&d->rem, "odp_p2p_alias_pages", &counter))
		SKIP(return, "%s has no odp_p2p counters: kernel without ODP P2PDMA aliases",
		     d->rem.name);
	ret = odp_read_text(ODP_P2P_KNOB, d->knob_saved,
			    sizeof(d->knob_saved));
	if (ret)
		SKIP(return, "no %s: kernel without ODP P2PDMA aliases",
		     ODP_P2P_KNOB);
	if (strcmp(d->knob_saved, "Y"))
		set_knob(_metadata, "Y");

	/* A test killed by its timeout leaves no teardown: start clean. */
	ret = access(FAIL_DIR, F_OK) ? 0 : fail_disarm(d);
	ASSERT_EQ(0, ret) TH_LOG("resetting %s: %s", FAIL_DIR, strerror(-ret));

	odp_find_p2pmem(IVSHMEM_VENDOR, IVSHMEM_DEVICE, 0, d->ivshmem,
			sizeof(d->ivshmem));
	odp_find_p2pmem(0, 0, NVME_CLASS, d->nvme, sizeof(d->nvme));

	d->buf = odp_alloc(d->size);
	ASSERT_NE(NULL, d->buf);
	/* Base pages only: one snapshot byte is then one page. */
	ASSERT_EQ(0, madvise(d->buf, d->size, MADV_NOHUGEPAGE));
	d->model = odp_alloc(d->size);
	ASSERT_NE(NULL, d->model);
	d->local = odp_alloc(d->local_size);
	ASSERT_NE(NULL, d->local);
	d->scratch = odp_alloc(d->size);
	ASSERT_NE(NULL, d->scratch);
	d->perm = odp_alloc(d->npages);
	ASSERT_NE(NULL, d->perm);
	d->lmr = odp_reg_mr(&d->loc, d->local, d->local_size, false);
	ASSERT_NE(NULL, d->lmr);

	odp_fill(d->model, d->size, SEED_BUF, 0);
	memcpy(d->buf, d->model, d->size);
}

FIXTURE_TEARDOWN(odp_p2p)
{
	struct odp_p2p_data *d = &self->d;
	int i, ret;

	odp_dereg_mr(d->bmr);
	odp_dereg_mr(d->lmr);
	odp_ep_close(&d->loc);
	odp_ep_close(&d->rem);
	/* Frees the device pages, and with them their P2PDMA memory */
	odp_free(d->buf, d->size);
	odp_free(d->model, d->size);
	odp_free(d->local, d->local_size);
	odp_free(d->scratch, d->size);
	odp_free(d->perm, d->npages);

	if (d->fail_armed) {
		ret = fail_disarm(d);
		EXPECT_EQ(0, ret) TH_LOG("resetting %s: %s", FAIL_DIR,
					 strerror(-ret));
	}
	if (d->knob_saved[0]) {
		ret = odp_write_text(ODP_P2P_KNOB, d->knob_saved);
		EXPECT_EQ(0, ret) TH_LOG("restoring %s: %s", ODP_P2P_KNOB,
					 strerror(-ret));
	}
	for (i = 0; i < DMIRROR_NDEV; i++) {
		/* Other users of test_hmm expect system memory backing */
		if (d->provider_set[i]) {
			ret = odp_dmirror_set_provider(d->fd[i], "");
			EXPECT_EQ(0, ret) TH_LOG("dmirror%d: no provider: %s",
						 i, strerror(-ret));
		}
		if (d->fd[i] >= 0)
			close(d->fd[i]);
	}
}

static void register_buf(struct __test_metadata *_metadata,
			 struct odp_p2p_data *d)
{
	d->bmr = odp_reg_mr(&d->rem, d->buf, d->size, true);
	ASSERT_NE(NULL, d->bmr);
}

/*
 * Migrate pages [@first, @first + @n) of buf to dmirror @dev.  The data the
 * device got back must be the model's.
 */
static void migrate_to_dev(struct __test_metadata *_metadata,
			   struct odp_p2p_data *d, int dev, size_t first,
			   size_t n)
{
	unsigned long cpages = 0;
	char what[64];
	int ret;

	memset(d->scratch, POISON, n * d->pg);
	ret = odp_dmirror_cmd(d->fd[dev], HMM_DMIRROR_MIGRATE_TO_DEV,
			      d->buf + first * d->pg, d->scratch, n,
			      &cpages);
	ASSERT_EQ(0, ret) TH_LOG("dmirror%d: MIGRATE_TO_DEV: %s", dev,
				 strerror(-ret));
	ASSERT_EQ(n, cpages);
	snprintf(what, sizeof(what), "data migrated to dmirror%d", dev);
	EXPECT_EQ(0UL, diff_bytes(_metadata, d->scratch,
				  d->model + first * d->pg, n * d->pg,
				  first * d->pg, what));
}

static void migrate_to_sys(struct __test_metadata *_metadata,
			   struct odp_p2p_data *d, int dev, size_t first,
			   size_t n)
{
	unsigned long cpages = 0;
	int ret;

	ret = odp_dmirror_cmd(d->fd[dev], HMM_DMIRROR_MIGRATE_TO_SYS,
			      d->buf + first * d->pg, NULL, n, &cpages);
	ASSERT_EQ(0, ret) TH_LOG("dmirror%d: MIGRATE_TO_SYS: %s", dev,
				 strerror(-ret));
	ASSERT_EQ(n, cpages);
}

/* Snapshot pages [@first, @first + @n) on dmirror @dev; count per place. */
static void snapshot(struct __test_metadata *_metadata,
		     struct odp_p2p_data *d, int dev, size_t first,
		     size_t n, size_t *device, size_t *ram)
{
	unsigned long cpages = 0;
	size_t i;
	int ret;

	memset(d->perm, HMM_DMIRROR_PROT_ERROR, d->npages);
	ret = odp_dmirror_cmd(d->fd[dev], HMM_DMIRROR_SNAPSHOT,
			      d->buf + first * d->pg, d->perm + first, n,
			      &cpages);
	ASSERT_EQ(0, ret) TH_LOG("dmirror%d: SNAPSHOT: %s", dev,
				 strerror(-ret));
	ASSERT_EQ(n, cpages);
	*device = 0;
	*ram = 0;
	for (i = first; i < first + n; i++) {
		if (place_is(d->perm[i], PLACE_DEVICE))
			(*device)++;
		else if (place_is(d->perm[i], PLACE_RAM))
			(*ram)++;
	}
}

/* Every page in [@first, @first + @n) must be at @want (seen by @dev). */
static void expect_place(struct __test_metadata *_metadata,
			 struct odp_p2p_data *d, int dev, size_t first,
			 size_t n, enum place want, const char *when)
{
	size_t i, device, ram, bad = 0;

	snapshot(_metadata, d, dev, first, n, &device, &ram);
	for (i = first; i < first + n; i++) {
		if (place_is(d->perm[i], want))
			continue;
		if (!bad++)
			TH_LOG("%s: page %zu is not %s: snapshot byte 0x%02x on dmirror%d",
			       when, i, place_str(want), d->perm[i], dev);
	}
	EXPECT_EQ(0UL, bad) TH_LOG("%s: %zu of pages %zu-%zu not %s",
				   when, bad, first, first + n - 1,
				   place_str(want));
	if (bad)
		TH_LOG("%s: %zu device-private on dmirror%d, %zu in RAM", when,
		       device, dev, ram);
}

/* Check buf against the model with the CPU, which migrates it to RAM. */
static void cpu_check(struct __test_metadata *_metadata,
		      struct odp_p2p_data *d, const char *what)
{
	EXPECT_EQ(0UL, diff_bytes(_metadata, d->buf, d->model, d->size,
				  0, what));
}

/* RDMA READ buf[@off, @off + @len) into local + @loff; compare with model. */
static void read_check(struct __test_metadata *_metadata,
		       struct odp_p2p_data *d, size_t off, size_t len,
		       size_t loff, const char *what)
{
	int ret;

	ASSERT_LE(loff + len, d->local_size);
	memset(d->local + loff, POISON, len);
	ret = odp_read_sync(&d->loc, d->lmr, d->local + loff, len,
			    (unsigned long)(d->buf + off),
			    d->bmr->rkey);
	ASSERT_EQ(0, ret) TH_LOG("%s: RDMA READ of %zu bytes at page %zu byte %zu: %s",
				 what, len, off / d->pg, off % d->pg,
				 strerror(-ret));
	EXPECT_EQ(0UL, diff_bytes(_metadata, d->local + loff,
				  d->model + off, len, off, what));
}

/*
 * RDMA WRITE @len bytes of stream @seed (from stream position @off) from
 * local + @loff to buf[@off...); the model follows.
 */
static void write_stream(struct __test_metadata *_metadata,
			 struct odp_p2p_data *d, size_t off, size_t len,
			 size_t loff, unsigned int seed, const char *what)
{
	int ret;

	ASSERT_LE(loff + len, d->local_size);
	odp_fill(d->local + loff, len, seed, off);
	ret = odp_write_sync(&d->loc, d->lmr, d->local + loff, len,
			     (unsigned long)(d->buf + off),
			     d->bmr->rkey);
	ASSERT_EQ(0, ret) TH_LOG("%s: RDMA WRITE of %zu bytes at page %zu byte %zu: %s",
				 what, len, off / d->pg, off % d->pg,
				 strerror(-ret));
	memcpy(d->model + off, d->local + loff, len);
}

/* Where atomics return the original value: after the transfer areas */
static unsigned long long *atomic_result(struct odp_p2p_data *d)
{
	return (void *)(d->local + 2 * d->size + 64);
}

static unsigned long long model_u64(struct odp_p2p_data *d, size_t off)
{
	unsigned long long v;

	memcpy(&v, d->model + off, sizeof(v));
	return v;
}

static void set_model_u64(struct odp_p2p_data *d, size_t off,
			  unsigned long long v)
{
	memcpy(d->model + off, &v, sizeof(v));
}

/* FETCH_ADD at buf + @off: returns the model's value; the model adds. */
static void fetch_add(struct __test_metadata *_metadata,
		      struct odp_p2p_data *d, size_t off,
		      unsigned long long add)
{
	unsigned long long *res = atomic_result(d);
	unsigned long long old = model_u64(d, off);
	int ret;

	*res = ~old;
	ret = odp_fetch_add_sync(&d->loc, d->lmr, res,
				 (unsigned long)(d->buf + off),
				 d->bmr->rkey, add);
	ASSERT_EQ(0, ret) TH_LOG("FETCH_ADD at page %zu byte %zu: %s",
				 off / d->pg, off % d->pg,
				 strerror(-ret));
	EXPECT_EQ(old, *res) TH_LOG("FETCH_ADD at page %zu byte %zu: original value",
				    off / d->pg, off % d->pg);
	set_model_u64(d, off, old + add);
}

/* CMP_SWP at buf + @off; swaps if @compare is the model's value. */
static void cmp_swp(struct __test_metadata *_metadata,
		    struct odp_p2p_data *d, size_t off,
		    unsigned long long compare, unsigned long long swap)
{
	unsigned long long *res = atomic_result(d);
	unsigned long long old = model_u64(d, off);
	int ret;

	*res = ~old;
	ret = odp_cmp_swp_sync(&d->loc, d->lmr, res,
			       (unsigned long)(d->buf + off),
			       d->bmr->rkey, compare, swap);
	ASSERT_EQ(0, ret) TH_LOG("CMP_SWP at page %zu byte %zu: %s",
				 off / d->pg, off % d->pg,
				 strerror(-ret));
	EXPECT_EQ(old, *res) TH_LOG("CMP_SWP at page %zu byte %zu: original value",
				    off / d->pg, off % d->pg);
	if (old == compare)
		set_model_u64(d, off, swap);
}

/*
 * The whole buffer on dmirror0 (ivshmem provider), the MR registered while
 * it was in RAM: every access faults the alias of a device-private page.
 * READ, unaligned WRITE, atomics; no page may leave device memory.
 */
TEST_F_TIMEOUT(odp_p2p, device_memory, TEST_TIMEOUT)
{
	struct odp_p2p_data *d = &self->d;
	size_t pg = d->pg, size = d->size;
	size_t woff = 11 * pg + 2718, wlen = 29 * pg + 1001;
	/* 8-byte aligned, a page into the WRITE's range */
	size_t aoff = (woff + pg) & ~7UL;
	struct p2p_stats s0, s1;
	char why[128];

	if (odp_check_caps(&d->rem, IBV_ODP_SUPPORT_ATOMIC, why,
			   sizeof(why)) ||
	    odp_check_atomics(&d->rem, why, sizeof(why)))
		SKIP(return, "%s", why);
	need_ivshmem(_metadata, d);
	if (_metadata->exit_code)
		return;

	register_buf(_metadata, d);
	migrate_to_dev(_metadata, d, 0, 0, d->npages);
	expect_place(_metadata, d, 0, 0, d->npages, PLACE_DEVICE,
		     "after MIGRATE_TO_DEV");
	read_stats(_metadata, d, &s0);

	read_check(_metadata, d, 0, size, 0, "RDMA READ, whole buffer");
	/* Unaligned at both ends, to an unaligned local address */
	read_check(_metadata, d, 3 * pg + 1357, 23 * pg + 2909, 777,
		   "RDMA READ, unaligned");

	/* Lands unaligned, from a local address with another page offset */
	write_stream(_metadata, d, woff, wlen, size + 333, SEED_WRITE,
		     "RDMA WRITE, unaligned");
	/* The written bytes and the untouched ones around them */
	read_check(_metadata, d, woff - 100, wlen + 200, 5,
		   "RDMA READ back of the WRITE");

	/* Atomics in pages apart, at the start, middle and end of pages */
	fetch_add(_metadata, d, 5 * pg + 296, 0x0102030405060709ULL);
	fetch_add(_metadata, d, 5 * pg + 296, 0xfedcba9876543211ULL);
	cmp_swp(_metadata, d, 41 * pg - 8, model_u64(d, 41 * pg - 8),
		0x1122334455667788ULL);
	/* A compare that does not match must leave the value alone */
	cmp_swp(_metadata, d, 66 * pg, ~model_u64(d, 66 * pg),
		0x8877665544332211ULL);
	/* Inside the WRITE's range: the atomic sees the written data */
	fetch_add(_metadata, d, aoff, 3);

	read_check(_metadata, d, 0, size, 0,
		   "RDMA READ, whole buffer after WRITE and atomics");
	expect_place(_metadata, d, 0, 0, d->npages, PLACE_DEVICE,
		     "after RDMA");
	read_stats(_metadata, d, &s1);
	log_stats("device_memory", &s0, &s1);
	EXPECT_LE(s0.alias_pages + d->npages, s1.alias_pages);
	EXPECT_EQ(s0.fallbacks, s1.fallbacks);

	/* Last: the CPU migrates the pages back */
	cpu_check(_metadata, d, "CPU read of the buffer at the end");
}

/*
 * The exporter moves the pages between RDMA READs: device -> RAM (the CPU
 * changes some bytes there), RAM -> dmirror1 (NVMe CMB provider), back via
 * RAM to dmirror0.  The MR was registered while the pages were on the
 * device.  Each READ must see the current data.
 */
TEST_F_TIMEOUT(odp_p2p, exporter_migrates, TEST_TIMEOUT)
{
	struct odp_p2p_data *d = &self->d;
	size_t pg = d->pg, size = d->size, n = d->npages;
	struct p2p_stats s0, s1;

	need_ivshmem(_metadata, d);
	if (_metadata->exit_code)
		return;
	need_nvme(_metadata, d);
	if (_metadata->exit_code)
		return;

	migrate_to_dev(_metadata, d, 0, 0, n);
	read_stats(_metadata, d, &s0);
	/* Registration finds the aliases (a fault without faulting) */
	register_buf(_metadata, d);
	read_check(_metadata, d, 0, size, 0, "READ on dmirror0");
	expect_place(_metadata, d, 0, 0, n, PLACE_DEVICE,
		     "after READ on dmirror0");

	/* device -> RAM; the CPU rewrites bytes in a few pages */
	migrate_to_sys(_metadata, d, 0, 0, n);
	odp_fill(d->model + 3 * pg + 100, 51, SEED_CPU, 0);
	odp_fill(d->model + 40 * pg + pg - 96, 96 + 17, SEED_CPU, 51);
	odp_fill(d->model + size - 1, 1, SEED_CPU, 260);
	memcpy(d->buf + 3 * pg + 100, d->model + 3 * pg + 100, 51);
	memcpy(d->buf + 40 * pg + pg - 96, d->model + 40 * pg + pg - 96,
	       96 + 17);
	d->buf[size - 1] = d->model[size - 1];
	read_check(_metadata, d, 0, size, 0, "READ after moving to RAM");
	expect_place(_metadata, d, 0, 0, n, PLACE_RAM,
		     "after moving to RAM");

	/* RAM -> dmirror1 */
	migrate_to_dev(_metadata, d, 1, 0, n);
	read_check(_metadata, d, 0, size, 0, "READ on dmirror1");
	read_check(_metadata, d, 7 * pg + 4001, 31 * pg + 99, 3,
		   "unaligned READ on dmirror1");
	expect_place(_metadata, d, 1, 0, n, PLACE_DEVICE,
		     "after READ on dmirror1");

	/* dmirror1 -> RAM (the CPU changes more) -> dmirror0 */
	migrate_to_sys(_metadata, d, 1, 0, n);
	odp_fill(d->model + 17 * pg, pg, SEED_CPU + 1, 0);
	memcpy(d->buf + 17 * pg, d->model + 17 * pg, pg);
	odp_fill(d->model, 9, SEED_CPU + 2, 0);
	memcpy(d->buf, d->model, 9);
	migrate_to_dev(_metadata, d, 0, 0, n);
	read_check(_metadata, d, 0, size, 0, "READ back on dmirror0");
	expect_place(_metadata, d, 0, 0, n, PLACE_DEVICE,
		     "after READ back on dmirror0");

	read_stats(_metadata, d, &s1);
	log_stats("exporter_migrates", &s0, &s1);
	/*
	 * Aliases were mapped three times (registration on dmirror0, READ
	 * on dmirror1, READ back on dmirror0); the first two were
	 * invalidated by the next migration, the last are still mapped.
	 */
	EXPECT_EQ(s0.invalidations + 2 * n, s1.invalidations);
	EXPECT_LE(s0.alias_pages + 3 * n, s1.alias_pages);
	EXPECT_EQ(s0.fallbacks, s1.fallbacks);

	cpu_check(_metadata, d, "CPU read of the buffer at the end");
}

struct migrator {
	int fd;
	void *buf;
	size_t npages;
	void *scratch;
	int stop;		/* __atomic */
	int rounds;
	unsigned long to_dev;	/* pages, as MIGRATE_TO_DEV reports them */
	unsigned long to_sys;
	int err;		/* first ioctl error, -errno */
	const char *err_op;
};

/* Move the buffer to dmirror0 and back until told to stop. */
static void *migrator_fn(void *arg)
{
	struct migrator *m = arg;
	unsigned long cpages = 0;
	int ret;

	while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE) &&
	       m->rounds < MIGRATE_ROUNDS) {
		ret = odp_dmirror_cmd(m->fd, HMM_DMIRROR_MIGRATE_TO_DEV, m->buf,
				      m->scratch, m->npages, &cpages);
		if (ret) {
			m->err = ret;
			m->err_op = "MIGRATE_TO_DEV";
			break;
		}
		m->to_dev += cpages;
		ret = odp_dmirror_cmd(m->fd, HMM_DMIRROR_MIGRATE_TO_SYS, m->buf,
				      NULL, m->npages, &cpages);
		if (ret) {
			m->err = ret;
			m->err_op = "MIGRATE_TO_SYS";
			break;
		}
		m->to_sys += cpages;
		m->rounds++;
		/*
		 * An exporter migrates now and then, not back to back: leave
		 * the RDMA faults a window so the traffic makes progress on
		 * a slow (emulated, debug) machine too.
		 */
		usleep(MIGRATE_PAUSE_US);
	}
	return NULL;
}

/*
 * A thread migrates the buffer between dmirror0 and RAM while RDMA WRITEs
 * of a new pattern and READs that check it run.
 */
TEST_F_TIMEOUT(odp_p2p, migrate_during_traffic, TEST_TIMEOUT)
{
	struct odp_p2p_data *d = &self->d;
	size_t pg = d->pg, size = d->size;
	struct migrator m = {
		.fd = d->fd[0],
		.buf = d->buf,
		.npages = d->npages,
	};
	struct p2p_stats s0, s1;
	pthread_t thread;
	int i;

	need_ivshmem(_metadata, d);
	if (_metadata->exit_code)
		return;

	m.scratch = odp_alloc(size);
	ASSERT_NE(NULL, m.scratch);
	register_buf(_metadata, d);
	migrate_to_dev(_metadata, d, 0, 0, d->npages);
	read_stats(_metadata, d, &s0);

	ASSERT_EQ(0, pthread_create(&thread, NULL, migrator_fn, &m));
	for (i = 0; i < TRAFFIC_ITERS && !_metadata->exit_code; i++) {
		size_t off = (i * 1237) % (2 * pg);
		size_t len = size - off - (i * 733) % (2 * pg);
		char what[64];

		snprintf(what, sizeof(what), "iteration %d: WRITE", i);
		write_stream(_metadata, d, off, len, size + i % 8,
			     SEED_TRAFFIC + i, what);
		if (_metadata->exit_code)
			break;
		snprintf(what, sizeof(what), "iteration %d: READ back", i);
		read_check(_metadata, d, 0, size, 7 * i, what);
	}
	__atomic_store_n(&m.stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	odp_free(m.scratch, size);

	read_stats(_metadata, d, &s1);
	ksft_print_msg("%d WRITE+READ iterations, %d migration rounds\n", i,
		       m.rounds);
	ksft_print_msg("pages migrated: %lu to dmirror0, %lu to RAM\n",
		       m.to_dev, m.to_sys);
	log_stats("migrate_during_traffic", &s0, &s1);
	EXPECT_EQ(0, m.err) TH_LOG("migration thread: %s: %s", m.err_op,
				   strerror(-m.err));
	EXPECT_LT(0, m.rounds);
	/* Migrations ran until the traffic ended */
	EXPECT_GT(MIGRATE_ROUNDS, m.rounds);
	EXPECT_EQ(s0.fallbacks, s1.fallbacks);

	cpu_check(_metadata, d, "CPU read of the buffer at the end");
}

/*
 * The next INJECT_TIMES alias mappings fail: each of those pages is
 * migrated to RAM instead, one page at a time, and the READ is correct.
 */
TEST_F_TIMEOUT(odp_p2p, injected_fallback, TEST_TIMEOUT)
{
	struct odp_p2p_data *d = &self->d;
	size_t i, n = d->npages, device, ram;
	struct p2p_stats s0, s1, s2;
	unsigned long long times;
	char list[256];
	size_t len = 0;

	if (access(FAIL_DIR, F_OK))
		SKIP(return, "no %s (CONFIG_FAULT_INJECTION_DEBUG_FS)",
		     FAIL_DIR);
	need_ivshmem(_metadata, d);
	if (_metadata->exit_code)
		return;

	register_buf(_metadata, d);
	migrate_to_dev(_metadata, d, 0, 0, n);
	expect_place(_metadata, d, 0, 0, n, PLACE_DEVICE,
		     "after MIGRATE_TO_DEV");
	read_stats(_metadata, d, &s0);

	fail_arm(_metadata, d, (int)INJECT_TIMES);
	read_check(_metadata, d, 0, d->size, 0,
		   "READ with failing alias mappings");
	ASSERT_EQ(0, odp_read_ull(FAIL_DIR "/times", &times));
	EXPECT_EQ(0ULL, times) TH_LOG("injected failures left unused");
	ASSERT_EQ(0, fail_disarm(d));

	read_stats(_metadata, d, &s1);
	log_stats("injected_fallback", &s0, &s1);
	EXPECT_EQ(s0.fallbacks + INJECT_TIMES, s1.fallbacks);
	/* A failed alias is not counted: its page was migrated instead */
	EXPECT_LE(s0.alias_pages + n - INJECT_TIMES, s1.alias_pages);

	snapshot(_metadata, d, 0, 0, n, &device, &ram);
	list[0] = '\0';
	for (i = 0; i < n; i++)
		if (place_is(d->perm[i], PLACE_RAM) && len < sizeof(list))
			len += snprintf(list + len, sizeof(list) - len, " %zu",
					i);
	ksft_print_msg("pages in RAM after the READ:%s\n", list);
	EXPECT_EQ(INJECT_TIMES, ram);
	EXPECT_EQ(n - INJECT_TIMES, device);

	/* Without injection: no more fallbacks, nothing else moves */
	read_check(_metadata, d, 2 * d->pg + 3, d->size - 3 * d->pg,
		   11, "unaligned READ after the fallbacks");
	read_stats(_metadata, d, &s2);
	EXPECT_EQ(s1.fallbacks, s2.fallbacks);
	snapshot(_metadata, d, 0, 0, n, &device, &ram);
	EXPECT_EQ(INJECT_TIMES, ram);
	EXPECT_EQ(n - INJECT_TIMES, device);

	cpu_check(_metadata, d, "CPU read of the buffer at the end");
}

/*
 * After a transfer of buf[@off, @off + @len) over dmirror0 pages that had
 * no usable alias: exactly the pages it touched are in RAM, the others are
 * still on the device.
 */
static void expect_touched_moved(struct __test_metadata *_metadata,
				 struct odp_p2p_data *d, size_t off,
				 size_t len, const char *op)
{
	size_t first = off / d->pg, end = (off + len - 1) / d->pg + 1;
	char when[64];

	snprintf(when, sizeof(when), "before the %s", op);
	if (first)
		expect_place(_metadata, d, 0, 0, first, PLACE_DEVICE, when);
	snprintf(when, sizeof(when), "after %s", op);
	expect_place(_metadata, d, 0, first, end - first, PLACE_RAM, when);
	snprintf(when, sizeof(when), "after the %s", op);
	if (end < d->npages)
		expect_place(_metadata, d, 0, end, d->npages - end,
			     PLACE_DEVICE, when);
}

/* No alias was used since @s0; the buffer holds the model's bytes. */
static void expect_no_alias_use(struct __test_metadata *_metadata,
				struct odp_p2p_data *d, const char *name,
				const struct p2p_stats *s0)
{
	struct p2p_stats s1;

	read_stats(_metadata, d, &s1);
	log_stats(name, s0, &s1);
	EXPECT_EQ(s0->alias_pages, s1.alias_pages);
	EXPECT_EQ(s0->fallbacks, s1.fallbacks);
	cpu_check(_metadata, d, "CPU read of the buffer at the end");
}

/* odp_p2p_alias=N: RDMA migrates every page to RAM, as before the series. */
TEST_F_TIMEOUT(odp_p2p, knob_off, TEST_TIMEOUT)
{
	struct odp_p2p_data *d = &self->d;
	size_t pg = d->pg, n = d->npages;
	struct p2p_stats s0;

	need_ivshmem(_metadata, d);
	if (_metadata->exit_code)
		return;
	set_knob(_metadata, "N");

	migrate_to_dev(_metadata, d, 0, 0, n);
	read_stats(_metadata, d, &s0);
	register_buf(_metadata, d);
	read_check(_metadata, d, 0, d->size, 0, "READ, knob off");
	expect_place(_metadata, d, 0, 0, n, PLACE_RAM, "after READ");

	migrate_to_dev(_metadata, d, 0, 0, n);
	write_stream(_metadata, d, 2 * pg + 999, 60 * pg + 1, 71,
		     SEED_WRITE, "WRITE, knob off");
	expect_touched_moved(_metadata, d, 2 * pg + 999, 60 * pg + 1, "WRITE");
	read_check(_metadata, d, 0, d->size, 0, "READ after WRITE");
	expect_place(_metadata, d, 0, 0, n, PLACE_RAM, "after READ");

	expect_no_alias_use(_metadata, d, "knob_off", &s0);
}

/* A dmirror without a P2PDMA provider offers no alias: pages migrate. */
TEST_F_TIMEOUT(odp_p2p, no_provider, TEST_TIMEOUT)
{
	struct odp_p2p_data *d = &self->d;
	size_t pg = d->pg, n = d->npages;
	struct p2p_stats s0;

	set_provider(_metadata, d, 0, "");

	migrate_to_dev(_metadata, d, 0, 0, n);
	expect_place(_metadata, d, 0, 0, n, PLACE_DEVICE,
		     "after MIGRATE_TO_DEV");
	read_stats(_metadata, d, &s0);
	register_buf(_metadata, d);
	read_check(_metadata, d, pg + 1, d->size - pg - 2, 0,
		   "unaligned READ, no provider");
	expect_touched_moved(_metadata, d, pg + 1, d->size - pg - 2, "READ");

	migrate_to_dev(_metadata, d, 0, 0, n);
	write_stream(_metadata, d, 4 * pg + 17, 50 * pg + 2049, 3,
		     SEED_WRITE, "WRITE, no provider");
	expect_touched_moved(_metadata, d, 4 * pg + 17, 50 * pg + 2049,
			     "WRITE");
	read_check(_metadata, d, 0, d->size, 0, "READ after WRITE");
	expect_place(_metadata, d, 0, 0, n, PLACE_RAM, "after READ");

	expect_no_alias_use(_metadata, d, "no_provider", &s0);
}

/*
 * One MR over RAM pages [0, a), dmirror0 pages [a, b) (ivshmem) and
 * dmirror1 pages [b, n) (NVMe CMB); transfers cross both boundaries.
 */
TEST_F_TIMEOUT(odp_p2p, mixed_mr, TEST_TIMEOUT)
{
	struct odp_p2p_data *d = &self->d;
	size_t pg = d->pg, n = d->npages, a = 21, b = 44;
	size_t roff = (a - 2) * pg + 1111, rend = (b + 2) * pg + 2222;
	size_t woff = (a - 1) * pg + 3001, wend = (b + 1) * pg + 77;
	struct p2p_stats s0, s1;

	need_ivshmem(_metadata, d);
	if (_metadata->exit_code)
		return;
	need_nvme(_metadata, d);
	if (_metadata->exit_code)
		return;

	migrate_to_dev(_metadata, d, 0, a, b - a);
	migrate_to_dev(_metadata, d, 1, b, n - b);
	read_stats(_metadata, d, &s0);
	register_buf(_metadata, d);

	read_check(_metadata, d, roff, rend - roff, 9,
		   "READ across RAM, dmirror0, dmirror1");
	write_stream(_metadata, d, woff, wend - woff, d->size + 5,
		     SEED_WRITE, "WRITE across RAM, dmirror0, dmirror1");
	read_check(_metadata, d, 0, d->size, 0,
		   "READ of the whole MR after the WRITE");

	expect_place(_metadata, d, 0, 0, a, PLACE_RAM, "RAM part");
	expect_place(_metadata, d, 0, a, b - a, PLACE_DEVICE,
		     "dmirror0 part");
	expect_place(_metadata, d, 1, b, n - b, PLACE_DEVICE,
		     "dmirror1 part");

	read_stats(_metadata, d, &s1);
	log_stats("mixed_mr", &s0, &s1);
	EXPECT_LE(s0.alias_pages + n - a, s1.alias_pages);
	EXPECT_EQ(s0.fallbacks, s1.fallbacks);
	cpu_check(_metadata, d, "CPU read of the buffer at the end");
}

/* ----- hmm_range_fault() with a PCI importer, no RDMA ----------------- */

struct hmm_p2p_data {
	int fd[DMIRROR_NDEV];
	char ivshmem[32];
	char nvme[32];
	const char *topology;
	size_t pg;
	size_t npages;
	size_t size;
	unsigned char *buf;
	unsigned char *model;
	unsigned char *scratch;
	unsigned char *res;
	bool provider_set;
};

FIXTURE(hmm_p2p) {
	struct hmm_p2p_data d;
};

FIXTURE_SETUP(hmm_p2p)
{
	struct hmm_p2p_data *d = &self->d;
	char path[64];
	int i;

	for (i = 0; i < DMIRROR_NDEV; i++)
		d->fd[i] = -1;
	d->pg = odp_page_size();
	d->npages = NPAGES;
	d->size = d->npages * d->pg;

	d->topology = getenv("VM_TOPOLOGY");
	if (!d->topology || !*d->topology)
		SKIP(return, "VM_TOPOLOGY is not set: expected reachability unknown");
	if (strcmp(d->topology, "p2p") && strcmp(d->topology, "nop2p"))
		SKIP(return, "VM_TOPOLOGY=%s: neither p2p nor nop2p",
		     d->topology);

	for (i = 0; i < DMIRROR_NDEV; i++) {
		snprintf(path, sizeof(path), DMIRROR_PATH, i);
		d->fd[i] = open(path, O_RDWR);
		if (d->fd[i] < 0 && errno == ENOENT)
			SKIP(return, "no %s (CONFIG_TEST_HMM)", path);
		ASSERT_LE(0, d->fd[i]) TH_LOG("open %s: %s", path,
					      strerror(errno));
	}
	if (odp_find_p2pmem(IVSHMEM_VENDOR, IVSHMEM_DEVICE, 0, d->ivshmem,
			    sizeof(d->ivshmem)))
		SKIP(return, "no ivshmem device (1af4:1110) with published p2pmem");
	if (odp_find_p2pmem(0, 0, NVME_CLASS, d->nvme,
			    sizeof(d->nvme)))
		SKIP(return, "no NVMe controller with published p2pmem (CMB)");

	d->buf = odp_alloc(d->size);
	ASSERT_NE(NULL, d->buf);
	ASSERT_EQ(0, madvise(d->buf, d->size, MADV_NOHUGEPAGE));
	d->model = odp_alloc(d->size);
	ASSERT_NE(NULL, d->model);
	d->scratch = odp_alloc(d->size);
	ASSERT_NE(NULL, d->scratch);
	d->res = odp_alloc(d->npages);
	ASSERT_NE(NULL, d->res);
	odp_fill(d->model, d->size, SEED_BUF, 0);
	memcpy(d->buf, d->model, d->size);
}

FIXTURE_TEARDOWN(hmm_p2p)
{
	struct hmm_p2p_data *d = &self->d;
	int i, ret;

	odp_free(d->buf, d->size);
	odp_free(d->model, d->size);
	odp_free(d->scratch, d->size);
	odp_free(d->res, d->npages);
	if (d->provider_set) {
		ret = odp_dmirror_set_provider(d->fd[0], "");
		EXPECT_EQ(0, ret) TH_LOG("dmirror0: no provider: %s",
					 strerror(-ret));
	}
	for (i = 0; i < DMIRROR_NDEV; i++)
		if (d->fd[i] >= 0)
			close(d->fd[i]);
}

/* Fault the buffer through dmirror1 as @importer; every page must be @want. */
static void p2p_fault_expect(struct __test_metadata *_metadata,
			     struct hmm_p2p_data *d, const char *importer,
			     unsigned long long flags, unsigned char want)
{
	unsigned long nalias = ~0UL;
	size_t i, bad = 0;
	bool alias;
	int ret;

	memset(d->res, HMM_DMIRROR_P2P_NONE, d->npages);
	ret = dmirror_p2p_fault(d->fd[1], d->buf, d->npages,
				d->res, importer, flags, &nalias);
	ASSERT_EQ(0, ret) TH_LOG("P2P_FAULT, importer \"%s\": %s", importer,
				 strerror(-ret));
	for (i = 0; i < d->npages; i++) {
		unsigned char r = d->res[i];
		bool wrong = (r & ~HMM_DMIRROR_P2P_WRITE) != want;

		/* Pages faulted for write must come back writable */
		if ((flags & HMM_DMIRROR_P2P_FAULT_WRITE) &&
		    !(r & HMM_DMIRROR_P2P_WRITE))
			wrong = true;
		if (wrong && !bad++)
			TH_LOG("importer \"%s\"%s: page %zu is 0x%02x (%s%s), want %s",
			       importer,
			       flags & HMM_DMIRROR_P2P_FAULT_WRITE ?
			       " (write)" : "", i, r, p2p_result_str(r),
			       r & HMM_DMIRROR_P2P_WRITE ? ", writable" : "",
			       p2p_result_str(want));
	}
	EXPECT_EQ(0UL, bad) TH_LOG("importer \"%s\": %zu of %zu pages wrong",
				   importer, bad, d->npages);
	alias = want == HMM_DMIRROR_P2P_ALIAS_BUS ||
		want == HMM_DMIRROR_P2P_ALIAS_HOST_BRIDGE ||
		want == HMM_DMIRROR_P2P_ALIAS_CPU;
	EXPECT_EQ(alias ? d->npages : 0, nalias);
}

static void hmm_expect_place(struct __test_metadata *_metadata,
			     struct hmm_p2p_data *d, enum place want,
			     const char *when)
{
	unsigned long cpages = 0;
	size_t i, bad = 0;
	int ret;

	memset(d->scratch, HMM_DMIRROR_PROT_ERROR, d->npages);
	ret = odp_dmirror_cmd(d->fd[0], HMM_DMIRROR_SNAPSHOT, d->buf,
			      d->scratch, d->npages, &cpages);
	ASSERT_EQ(0, ret) TH_LOG("SNAPSHOT: %s", strerror(-ret));
	ASSERT_EQ(d->npages, cpages);
	for (i = 0; i < d->npages; i++) {
		if (place_is(d->scratch[i], want))
			continue;
		if (!bad++)
			TH_LOG("%s: page %zu is not %s: snapshot byte 0x%02x",
			       when, i, place_str(want), d->scratch[i]);
	}
	EXPECT_EQ(0UL, bad) TH_LOG("%s: %zu pages not %s", when, bad,
				   place_str(want));
}

static void hmm_migrate_to_dev0(struct __test_metadata *_metadata,
				struct hmm_p2p_data *d)
{
	unsigned long cpages = 0;
	int ret;

	ret = odp_dmirror_cmd(d->fd[0], HMM_DMIRROR_MIGRATE_TO_DEV, d->buf,
			      d->scratch, d->npages, &cpages);
	ASSERT_EQ(0, ret) TH_LOG("MIGRATE_TO_DEV: %s", strerror(-ret));
	ASSERT_EQ(d->npages, cpages);
	EXPECT_EQ(0UL, diff_bytes(_metadata, d->scratch, d->model,
				  d->size, 0, "data migrated to dmirror0"));
	hmm_expect_place(_metadata, d, PLACE_DEVICE, "after MIGRATE_TO_DEV");
}

/*
 * dmirror0's pages (ivshmem provider), faulted through dmirror1 as the NVMe
 * controller would: below one switch (p2p) it gets bus-address aliases and
 * the pages stay; below separate root ports of a host bridge that P2PDMA
 * refuses (nop2p) they migrate to RAM.  A CPU importer always gets aliases.
 */
TEST_F_TIMEOUT(hmm_p2p, pci_importer_reachability, TEST_TIMEOUT)
{
	struct hmm_p2p_data *d = &self->d;
	bool p2p = !strcmp(d->topology, "p2p");
	int ret;

	ret = odp_dmirror_set_provider(d->fd[0], d->ivshmem);
	ASSERT_EQ(0, ret) TH_LOG("dmirror0: provider %s: %s", d->ivshmem,
				 strerror(-ret));
	d->provider_set = true;
	ksft_print_msg("topology %s: provider %s, importer %s\n",
		       d->topology, d->ivshmem, d->nvme);

	hmm_migrate_to_dev0(_metadata, d);
	p2p_fault_expect(_metadata, d, "", 0, HMM_DMIRROR_P2P_ALIAS_CPU);
	p2p_fault_expect(_metadata, d, "", HMM_DMIRROR_P2P_FAULT_WRITE,
			 HMM_DMIRROR_P2P_ALIAS_CPU);
	hmm_expect_place(_metadata, d, PLACE_DEVICE, "after CPU importer");

	if (p2p) {
		p2p_fault_expect(_metadata, d, d->nvme, 0,
				 HMM_DMIRROR_P2P_ALIAS_BUS);
		p2p_fault_expect(_metadata, d, d->nvme,
				 HMM_DMIRROR_P2P_FAULT_WRITE,
				 HMM_DMIRROR_P2P_ALIAS_BUS);
		hmm_expect_place(_metadata, d, PLACE_DEVICE,
				 "after NVMe importer");
	} else {
		p2p_fault_expect(_metadata, d, d->nvme, 0,
				 HMM_DMIRROR_P2P_SYSTEM);
		hmm_expect_place(_metadata, d, PLACE_RAM,
				 "after NVMe importer");
		/* And once more, faulting for write */
		hmm_migrate_to_dev0(_metadata, d);
		p2p_fault_expect(_metadata, d, d->nvme,
				 HMM_DMIRROR_P2P_FAULT_WRITE,
				 HMM_DMIRROR_P2P_SYSTEM);
		hmm_expect_place(_metadata, d, PLACE_RAM,
				 "after NVMe importer (write)");
	}
	EXPECT_EQ(0UL, diff_bytes(_metadata, d->buf, d->model, d->size,
				  0, "CPU read of the buffer at the end"));
}

TEST_HARNESS_MAIN
