// SPDX-License-Identifier: GPL-2.0
/*
 * odp_p2p_bench - what PCI P2PDMA aliases of device-private pages buy an
 * RDMA ODP memory region, measured in one run.
 *
 * A buffer is migrated to the device-private memory of /dev/hmm_dmirror0,
 * whose backing storage comes from a PCI device's published p2pmem (the
 * ivshmem BAR by default), so every device page has a DMA alias.  rxe0
 * reads and writes the buffer through an ODP MR on rxe1, which with
 * ib_core.odp_p2p_alias=Y copies from/to the aliases and with N migrates
 * each page to RAM first (the old behaviour).
 *
 *  a) RDMA READ/WRITE throughput: device memory through aliases (knob Y),
 *     an ODP MR over RAM that is never migrated, and the migration path
 *     (knob N; the buffer is migrated back to the device before every
 *     measured pass, untimed, so each pass pays the migration to RAM).
 *  b) Device/NIC ping-pong: the device writes the buffer (HMM_DMIRROR_WRITE;
 *     the migration path first pulls the pages back with
 *     HMM_DMIRROR_MIGRATE_TO_DEV), then rxe0 reads all of it.
 *  c) hmm_range_fault() per page: HMM_DMIRROR_P2P_FAULT over the device
 *     buffer from dmirror0's fd (owner match) and dmirror1's (alias, CPU
 *     importer).
 *  d) Pages that left the device during the alias runs, and rxe1's
 *     odp_p2p_* counter deltas.
 *  e) First touch: registering an ODP MR makes rxe fault every page of it
 *     in (hmm_range_fault() without faulting, plus the mapping); pages per
 *     second over the alias buffer on the device (aliases) and over the RAM
 *     ODP buffer.
 *
 * Modes and paths take turns pass by pass so that other load on the machine
 * hits them alike; every ratio comes from this run.  Such load only ever
 * stretches a pass, so the median, mean and fastest pass are all reported;
 * the targets are judged on the median.  They are printed as information:
 * the exit status is 1 only for an error or for wrong data, which every pass
 * and round checks (odp_lib's pattern, whose period is the prime 251).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "odp_lib.h"

#include <lib/test_hmm_uapi.h>

#define log(fmt, ...)	fprintf(stderr, "# " fmt "\n", ##__VA_ARGS__)

#define DMIRROR0	"/dev/hmm_dmirror0"
#define DMIRROR1	"/dev/hmm_dmirror1"
#define IVSHMEM_VENDOR	0x1af4
#define IVSHMEM_DEVICE	0x1110

/* Targets, printed next to the results; they never decide the exit status */
#define TARGET_ALIAS_VS_RAM	0.95
#define TARGET_LOOKUP_PCT	10.0
#define TARGET_TOUCH		0.9

/* Source buffers of the ping-pong: consecutive rounds never repeat data */
#define NSRC		3
#define MAX_BLOCKS	64
#define MAX_SAMPLES	256

enum mode { MODE_ALIAS, MODE_RAM, MODE_MIGR, NMODES };
enum op { OP_READ, OP_WRITE, NOPS };

static const char *const mode_name[NMODES] = {
	[MODE_ALIAS] = "alias",
	[MODE_RAM] = "RAM ODP",
	[MODE_MIGR] = "migration",
};

static const char *const op_name[NOPS] = {
	[OP_READ] = "RDMA READ",
	[OP_WRITE] = "RDMA WRITE",
};

struct cfg {
	size_t size;		/* buffer bytes, a multiple of the page size */
	size_t msg;		/* bytes per RDMA message */
	int rounds;		/* (a): rounds, each mode in turn */
	int passes;		/* (a): measured passes per mode, op and round */
	int warmup;		/* (a): warm-up passes per mode and op */
	int pp_rounds;		/* (b): measured rounds per path */
	int fault_blocks;	/* (c): interleaved blocks */
	int fault_iters;	/* (c): P2P_FAULT calls per block and path */
	int touch_iters;	/* (e): MR registrations per block and path */
	int settle_ms;		/* (a), (b): idle before each pass or round */
	const char *accel;	/* how the host ran QEMU, if it says */
	const char *flavour;	/* kernel config flavour, if the host says */
	const char *provider;	/* P2PDMA provider; default: the ivshmem */
	double nic_gbps;	/* (b): NIC bandwidth of the projection */
};

/* One buffer of the ODP side (rxe1) and what it holds */
struct buf {
	uint8_t *p;
	struct ibv_mr *mr;	/* ODP MR on rxe1 */
	unsigned int seed;	/* pattern seed of the current contents */
	int src;		/* ping-pong source it holds, -1 if none */
};

/* Measured passes or rounds, all of the same size */
struct acc {
	uint64_t ns;			/* in all */
	unsigned long count;
	uint64_t dev_ns;		/* (b): in the device's ioctls */
	uint64_t sample[MAX_SAMPLES];	/* ns of each */
};

static void acc_add(struct acc *a, uint64_t ns)
{
	if (a->count < MAX_SAMPLES)
		a->sample[a->count] = ns;
	a->ns += ns;
	a->count++;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median, fastest and slowest pass or round, in ns */
static void acc_stats(const struct acc *a, double *med, double *min,
		      double *max)
{
	uint64_t s[MAX_SAMPLES];
	unsigned long n = a->count < MAX_SAMPLES ? a->count : MAX_SAMPLES;

	*med = *min = *max = 0;
	if (!n)
		return;
	memcpy(s, a->sample, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_u64);
	*med = n & 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
	*min = s[0];
	*max = s[n - 1];
}

/* rxe1's odp_p2p_* hardware counters, and retransmissions */
struct ctrs {
	long long alias_pages;
	long long fallbacks;
	long long invalidations;
	long long retries;	/* rxe0 completer_retry_err */
	long long dup_requests;	/* rxe1 duplicate_request */
};

struct bench {
	struct cfg cfg;
	struct odp_ep loc;		/* rxe0: posts every READ and WRITE */
	struct odp_ep rem;		/* rxe1: the ODP MRs */
	int fd0, fd1;
	size_t pg, npages, nmsg;
	unsigned int window;		/* outstanding WRs */
	uint8_t *local;			/* rxe0's side of every transfer */
	struct ibv_mr *lmr;		/* plain MR: rxe0 never faults */
	uint8_t *scratch;		/* dmirror bounce data */
	uint8_t *perm;			/* snapshot or P2P_FAULT bytes */
	uint8_t *src[NSRC];		/* what the device writes in (b) */
	unsigned int src_seed[NSRC];
	struct buf buf[NMODES];
	unsigned int next_seed;
	char provider[32];
	int knob;			/* -1 unknown, else 0/1 as set */
	char knob_orig;			/* 0 if not read */
	bool ctrs_ok;
	int lifespan_ms;		/* of the hw_counters cache */
	uint64_t ctrs_ns;		/* when they were last read */

	/* results */
	struct acc thr[NOPS][NMODES];
	unsigned long migr_pages[NOPS];	/* pages the migration passes moved */
	unsigned long migr_passes[NOPS];
	struct acc pp[NMODES];		/* MODE_ALIAS and MODE_MIGR only */
	unsigned long pp_migr_pages;
	double fault_ns[2][MAX_BLOCKS];	/* [0] owner, [1] alias */
	double fault_hmm_ns[2][MAX_BLOCKS]; /* of it in hmm_range_fault() */
	double touch_pps[2][MAX_BLOCKS]; /* [0] RAM ODP, [1] alias */
	struct ctrs ctr[NMODES];	/* deltas over each mode's runs */
	size_t dev_before, dev_after_ab, dev_after_c;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- dmirror ---------------------------------------------------------- */

static int dm_cmd(int fd, unsigned long req, const char *what, void *addr,
		  void *ptr, size_t npages, uint64_t *cpages)
{
	unsigned long n = 0;
	int ret;

	ret = odp_dmirror_cmd(fd, req, addr, ptr, npages, &n);
	if (ret) {
		log("%s: %s", what, strerror(-ret));
		return ret;
	}
	if (cpages)
		*cpages = n;
	return 0;
}

static int dm_p2p(int fd, unsigned long req, const char *what, void *addr,
		  void *ptr, size_t npages, const char *pci_dev,
		  uint64_t *cpages)
{
	struct hmm_dmirror_p2p p2p = {
		.addr = (uintptr_t)addr,
		.ptr = (uintptr_t)ptr,
		.npages = npages,
	};

	snprintf(p2p.pci_dev, sizeof(p2p.pci_dev), "%s", pci_dev);
	if (ioctl(fd, req, &p2p)) {
		int err = errno;

		log("%s: %s", what, strerror(err));
		return -err;
	}
	if (cpages)
		*cpages = p2p.cpages;
	return 0;
}

/* Pages of @buf in device-private memory, from a snapshot on dmirror0 */
static int dev_pages(struct bench *b, struct buf *buf, size_t *n)
{
	uint64_t cpages = 0;
	size_t i;
	int ret;

	ret = dm_cmd(b->fd0, HMM_DMIRROR_SNAPSHOT, "HMM_DMIRROR_SNAPSHOT",
		     buf->p, b->perm, b->npages, &cpages);
	if (ret)
		return ret;
	if (cpages != b->npages) {
		log("HMM_DMIRROR_SNAPSHOT: %llu of %zu pages",
		    (unsigned long long)cpages, b->npages);
		return -EIO;
	}
	*n = 0;
	for (i = 0; i < b->npages; i++) {
		uint8_t kind = b->perm[i] & 0xf0;

		if (kind == HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL ||
		    kind == HMM_DMIRROR_PROT_DEV_PRIVATE_REMOTE)
			(*n)++;
	}
	return 0;
}

/*
 * Migrate @buf to dmirror0's memory.  The ioctl copies what the device
 * holds afterwards to b->scratch: check_scratch() compares it.
 */
static int to_device(struct bench *b, struct buf *buf)
{
	uint64_t cpages = 0;
	int ret;

	ret = dm_cmd(b->fd0, HMM_DMIRROR_MIGRATE_TO_DEV,
		     "HMM_DMIRROR_MIGRATE_TO_DEV", buf->p, b->scratch,
		     b->npages, &cpages);
	if (ret)
		return ret;
	if (cpages != b->npages) {
		log("HMM_DMIRROR_MIGRATE_TO_DEV: %llu of %zu pages",
		    (unsigned long long)cpages, b->npages);
		return -EIO;
	}
	return 0;
}

static int check_scratch(struct bench *b, unsigned int seed, const char *what)
{
	return odp_check(b->scratch, b->cfg.size, seed, 0, what) ? -EBADMSG : 0;
}

/* Read @buf as the device sees it (no migration) and check its contents */
static int check_device(struct bench *b, struct buf *buf, const char *what)
{
	uint64_t cpages = 0;
	int ret;

	ret = dm_cmd(b->fd0, HMM_DMIRROR_READ, "HMM_DMIRROR_READ", buf->p,
		     b->scratch, b->npages, &cpages);
	if (ret)
		return ret;
	if (cpages != b->npages)
		return -EIO;
	return check_scratch(b, buf->seed, what);
}

/* ---- knob and counters ------------------------------------------------ */

static int knob_read(char *c)
{
	char s[8];
	int ret = odp_read_text(ODP_P2P_KNOB, s, sizeof(s));

	if (ret)
		return ret;
	if (s[0] != 'Y' && s[0] != 'N')
		return -EIO;
	*c = s[0];
	return 0;
}

/* Set ib_core.odp_p2p_alias and read it back */
static int knob_set(struct bench *b, bool on)
{
	char want = on ? 'Y' : 'N', got = 0;
	int ret;

	if (b->knob == on)
		return 0;
	ret = odp_write_text(ODP_P2P_KNOB, on ? "Y" : "N");
	if (!ret)
		ret = knob_read(&got);
	if (!ret && got != want)
		ret = -EIO;
	if (ret) {
		log("setting %s to %c failed (reads %c): %s", ODP_P2P_KNOB, want,
		    got ? got : '?', strerror(-ret));
		return ret;
	}
	b->knob = on;
	return 0;
}

static long long rxe_counter(const struct odp_ep *ep, const char *name)
{
	unsigned long long v;

	return odp_hw_counter(ep, name, &v) ? -1 : (long long)v;
}

/*
 * The core caches hw_counters for "lifespan" ms from their last refresh: a
 * read sooner than that would return the values of the previous one.
 */
static void ctrs_read(struct bench *b, struct ctrs *c)
{
	uint64_t fresh = b->ctrs_ns + (b->lifespan_ms + 10) * 1000000ull;
	uint64_t now = now_ns();

	if (now < fresh)
		usleep((fresh - now) / 1000 + 1);
	b->ctrs_ns = now_ns();
	c->alias_pages = rxe_counter(&b->rem, "odp_p2p_alias_pages");
	c->fallbacks = rxe_counter(&b->rem, "odp_p2p_fallbacks");
	c->invalidations = rxe_counter(&b->rem, "odp_p2p_invalidations");
	c->retries = rxe_counter(&b->loc, "completer_retry_err");
	c->dup_requests = rxe_counter(&b->rem, "duplicate_request");
}

static void ctrs_add(struct ctrs *sum, const struct ctrs *before,
		     const struct ctrs *after)
{
	sum->alias_pages += after->alias_pages - before->alias_pages;
	sum->fallbacks += after->fallbacks - before->fallbacks;
	sum->invalidations += after->invalidations - before->invalidations;
	sum->retries += after->retries - before->retries;
	sum->dup_requests += after->dup_requests - before->dup_requests;
}

/* ---- RDMA ------------------------------------------------------------- */

/*
 * One pass of @op over the whole of @buf from rxe0, b->msg bytes per work
 * request, up to b->window outstanding.  Adds the time to *@ns.
 */
static int rdma_pass(struct bench *b, enum op op, struct buf *buf,
		     uint64_t *ns)
{
	enum ibv_wc_opcode opcode = op == OP_READ ? IBV_WC_RDMA_READ :
						    IBV_WC_RDMA_WRITE;
	size_t off = 0, posted = 0, done = 0;
	uint64_t t0 = now_ns();
	int ret;

	while (done < b->nmsg) {
		while (posted < b->nmsg && posted - done < b->window) {
			size_t len = b->cfg.msg;

			if (len > b->cfg.size - off)
				len = b->cfg.size - off;
			if (op == OP_READ)
				ret = odp_post_read(&b->loc, b->lmr,
						    b->local + off, len,
						    (uintptr_t)buf->p + off,
						    buf->mr->rkey);
			else
				ret = odp_post_write(&b->loc, b->lmr,
						     b->local + off, len,
						     (uintptr_t)buf->p + off,
						     buf->mr->rkey);
			if (ret)
				return ret;
			off += len;
			posted++;
		}
		ret = odp_wait(&b->loc, opcode, NULL, ODP_TIMEOUT_MS);
		if (ret)
			return ret;
		done++;
	}
	*ns += now_ns() - t0;
	return 0;
}

static unsigned int new_seed(struct bench *b, unsigned int old)
{
	unsigned int s;

	do {
		s = b->next_seed;
		b->next_seed = (b->next_seed + 1) % 251;
	} while (s == old);
	return s;
}

/* Let the previous pass's deferred work drain, if asked to */
static void settle(struct bench *b)
{
	if (b->cfg.settle_ms)
		usleep(b->cfg.settle_ms * 1000);
}

/* ---- a) throughput ---------------------------------------------------- */

/* One pass of (a); measured into b->thr if @measure */
static int thr_pass(struct bench *b, enum op op, enum mode mode, bool measure)
{
	struct buf *buf = &b->buf[mode];
	struct ctrs c0, c1;
	size_t before = 0, after = 0;
	unsigned int seed = buf->seed;
	uint64_t ns = 0;
	char what[64];
	int ret;

	ret = knob_set(b, mode != MODE_MIGR);
	if (ret)
		return ret;
	ctrs_read(b, &c0);

	if (mode == MODE_MIGR) {
		/* Untimed: put the pages back where the device keeps them */
		ret = to_device(b, buf);
		if (!ret)
			ret = check_scratch(b, buf->seed,
					    "migration buffer on the device");
		if (!ret)
			ret = dev_pages(b, buf, &before);
		if (ret)
			return ret;
		if (before != b->npages) {
			log("migration buffer: %zu of %zu pages on the device",
			    before, b->npages);
			return -EIO;
		}
	}

	if (op == OP_READ) {
		memset(b->local, 0xff, b->cfg.size);
	} else {
		seed = new_seed(b, buf->seed);
		odp_fill(b->local, b->cfg.size, seed, 0);
	}

	settle(b);
	ret = rdma_pass(b, op, buf, &ns);
	if (ret)
		return ret;

	if (mode == MODE_MIGR) {
		ret = dev_pages(b, buf, &after);
		if (ret)
			return ret;
		if (measure) {
			b->migr_pages[op] += before - after;
			b->migr_passes[op]++;
		}
	}

	snprintf(what, sizeof(what), "%s, %s", op_name[op], mode_name[mode]);
	if (op == OP_READ) {
		ret = odp_check(b->local, b->cfg.size, buf->seed, 0, what) ?
		      -EBADMSG : 0;
	} else {
		buf->seed = seed;
		buf->src = -1;
		ret = check_device(b, buf, what);
	}
	if (ret)
		return ret;

	ctrs_read(b, &c1);
	ctrs_add(&b->ctr[mode], &c0, &c1);
	if (getenv("BENCH_VERBOSE"))
		log("%s%s, %s: %.1f ms, %lld retries", measure ? "" : "warm-up ",
		    op_name[op], mode_name[mode], ns / 1e6,
		    c1.retries - c0.retries);
	if (measure)
		acc_add(&b->thr[op][mode], ns);
	return 0;
}

static int phase_throughput(struct bench *b)
{
	int op, m, r, p, w, ret;

	for (op = 0; op < NOPS; op++) {
		/* Fault the MRs in; the migration path pays every pass anyway */
		for (m = 0; m < NMODES; m++)
			for (w = 0; w < b->cfg.warmup; w++) {
				ret = thr_pass(b, op, m, false);
				if (ret)
					return ret;
			}
		for (r = 0; r < b->cfg.rounds; r++)
			for (m = 0; m < NMODES; m++)
				for (p = 0; p < b->cfg.passes; p++) {
					/* Rotate which mode goes first */
					ret = thr_pass(b, op,
						       (m + r) % NMODES, true);
					if (ret)
						return ret;
				}
	}
	return 0;
}

/* ---- b) ping-pong ----------------------------------------------------- */

/*
 * One round: the device writes the buffer, then the NIC reads all of it.
 * Timed from the first ioctl to the last completion; the data checks and
 * the snapshot are not.
 */
static int pp_round(struct bench *b, enum mode mode, bool measure)
{
	struct buf *buf = &b->buf[mode];
	unsigned int old = buf->seed;
	int s = (buf->src + 1) % NSRC;
	struct ctrs c0, c1;
	uint64_t cpages = 0, ns = 0, t0, t1;
	size_t after = 0;
	int ret;

	if (b->src_seed[s] == buf->seed)
		s = (s + 1) % NSRC;
	ret = knob_set(b, mode != MODE_MIGR);
	if (ret)
		return ret;
	memset(b->local, 0xff, b->cfg.size);
	ctrs_read(b, &c0);

	settle(b);
	t0 = now_ns();
	if (mode == MODE_MIGR) {
		ret = to_device(b, buf);
		if (ret)
			return ret;
	}
	ret = dm_cmd(b->fd0, HMM_DMIRROR_WRITE, "HMM_DMIRROR_WRITE", buf->p,
		     b->src[s], b->npages, &cpages);
	if (ret)
		return ret;
	if (cpages != b->npages) {
		log("HMM_DMIRROR_WRITE: %llu of %zu pages",
		    (unsigned long long)cpages, b->npages);
		return -EIO;
	}
	ret = rdma_pass(b, OP_READ, buf, &ns);
	if (ret)
		return ret;
	t1 = now_ns();

	buf->seed = b->src_seed[s];
	buf->src = s;
	if (mode == MODE_MIGR) {
		ret = check_scratch(b, old, "ping-pong: migrated to device");
		if (!ret)
			ret = dev_pages(b, buf, &after);
		if (ret)
			return ret;
		if (measure)
			b->pp_migr_pages += b->npages - after;
	}
	if (odp_check(b->local, b->cfg.size, buf->seed, 0,
		      mode == MODE_MIGR ? "ping-pong, migration" :
					  "ping-pong, alias"))
		return -EBADMSG;

	ctrs_read(b, &c1);
	ctrs_add(&b->ctr[mode], &c0, &c1);
	if (getenv("BENCH_VERBOSE"))
		log("%sping-pong, %s: %.1f ms, %lld retries",
		    measure ? "" : "warm-up ", mode_name[mode],
		    (t1 - t0) / 1e6, c1.retries - c0.retries);
	if (measure) {
		acc_add(&b->pp[mode], t1 - t0);
		b->pp[mode].dev_ns += t1 - t0 - ns;
	}
	return 0;
}

static int phase_pingpong(struct bench *b)
{
	static const enum mode modes[] = { MODE_ALIAS, MODE_MIGR };
	int r, m, ret;

	for (m = 0; m < 2; m++) {
		ret = pp_round(b, modes[m], false);
		if (ret)
			return ret;
	}
	/* One round of each path at a time, alternating which goes first */
	for (r = 0; r < b->cfg.pp_rounds; r++)
		for (m = 0; m < 2; m++) {
			ret = pp_round(b, modes[(m + r) % 2], true);
			if (ret)
				return ret;
		}
	return 0;
}

/* ---- c) hmm_range_fault per page -------------------------------------- */

/*
 * HMM_DMIRROR_P2P_FAULT over the device buffer, from dmirror0 (@alias
 * false: the pages are its own) or from dmirror1 (@alias true: another
 * owner's pages, reported as aliases to a CPU importer).  With
 * HMM_DMIRROR_P2P_FAULT_COUNT the ioctl only counts the aliases, so that
 * the time is hmm_range_fault()'s and the ioctl's own, the same for both,
 * and it returns the time spent in hmm_range_fault() alone; the per-page
 * results are checked once before, in setup().
 */
static int fault_block(struct bench *b, bool alias, double *ns_per_page,
		       double *hmm_ns_per_page)
{
	struct buf *buf = &b->buf[MODE_ALIAS];
	struct hmm_dmirror_p2p p2p = {
		.addr = (uintptr_t)buf->p,
		.npages = b->npages,
		.flags = HMM_DMIRROR_P2P_FAULT_COUNT,
	};
	int fd = alias ? b->fd1 : b->fd0;
	uint64_t t0, hmm_ns = 0;
	int it;

	t0 = now_ns();
	for (it = 0; it < b->cfg.fault_iters; it++) {
		p2p.ptr = 0;
		if (ioctl(fd, HMM_DMIRROR_P2P_FAULT, &p2p)) {
			int err = errno;

			log("HMM_DMIRROR_P2P_FAULT: %s", strerror(err));
			return -err;
		}
		if (p2p.cpages != (alias ? b->npages : 0)) {
			log("P2P_FAULT from %s: %llu aliases, want %zu",
			    alias ? DMIRROR1 : DMIRROR0,
			    (unsigned long long)p2p.cpages,
			    alias ? b->npages : 0);
			return -EIO;
		}
		hmm_ns += p2p.ptr;
	}
	*ns_per_page = (double)(now_ns() - t0) /
		       ((double)b->cfg.fault_iters * b->npages);
	*hmm_ns_per_page = (double)hmm_ns /
			   ((double)b->cfg.fault_iters * b->npages);
	return 0;
}

static int phase_faults(struct bench *b)
{
	int blk, k, ret;

	for (blk = 0; blk < b->cfg.fault_blocks; blk++)
		for (k = 0; k < 2; k++) {
			/* Alternate which path goes first */
			bool alias = (k ^ blk) & 1;

			ret = fault_block(b, alias, &b->fault_ns[alias][blk],
					  &b->fault_hmm_ns[alias][blk]);
			if (ret)
				return ret;
		}
	return 0;
}

/* ---- e) first touch of an ODP MR --------------------------------------- */

/*
 * Register and deregister an ODP MR over the alias buffer (@alias, on the
 * device) or the RAM ODP buffer; rxe faults every page in at registration.
 * Only the registrations are timed.
 */
static int touch_block(struct bench *b, bool alias, double *pages_per_s)
{
	struct buf *buf = &b->buf[alias ? MODE_ALIAS : MODE_RAM];
	uint64_t t0, ns = 0;
	struct ibv_mr *mr;
	int it;

	for (it = 0; it < b->cfg.touch_iters; it++) {
		t0 = now_ns();
		mr = odp_reg_mr(&b->rem, buf->p, b->cfg.size, true);
		ns += now_ns() - t0;
		if (!mr)
			return -EIO;
		odp_dereg_mr(mr);
	}
	*pages_per_s = (double)b->npages * b->cfg.touch_iters * 1e9 / ns;
	return 0;
}

static int phase_touch(struct bench *b)
{
	int blk, k, ret;

	/* Aliases only for MRs registered with the knob on */
	ret = knob_set(b, true);
	if (ret)
		return ret;
	for (blk = 0; blk < b->cfg.fault_blocks; blk++)
		for (k = 0; k < 2; k++) {
			bool alias = (k ^ blk) & 1;

			ret = touch_block(b, alias, &b->touch_pps[alias][blk]);
			if (ret)
				return ret;
		}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[MAX_BLOCKS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n & 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* ---- setup ------------------------------------------------------------ */

static void *alloc_buf(size_t len)
{
	void *p = odp_alloc(len);

	/* Base pages: one snapshot byte is one page, migrated alone */
	if (p && madvise(p, len, MADV_NOHUGEPAGE))
		log("madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
	return p;
}

static int setup(struct bench *b)
{
	char why[128];
	uint64_t cpages;
	struct ctrs c0, c1;
	struct ibv_qp_attr qa;
	struct ibv_qp_init_attr qi;
	int m, i, ret;

	b->fd0 = open(DMIRROR0, O_RDWR);
	if (b->fd0 < 0) {
		ret = -errno;
		log("open %s: %s", DMIRROR0, strerror(-ret));
		return ret;
	}
	b->fd1 = open(DMIRROR1, O_RDWR);
	if (b->fd1 < 0) {
		ret = -errno;
		log("open %s: %s", DMIRROR1, strerror(-ret));
		return ret;
	}
	ret = knob_read(&b->knob_orig);
	if (ret) {
		log("%s: %s (kernel without the series?)", ODP_P2P_KNOB,
		    strerror(-ret));
		b->knob_orig = 0;
		return ret;
	}

	if (b->cfg.provider) {
		snprintf(b->provider, sizeof(b->provider), "%s",
			 b->cfg.provider);
	} else {
		ret = odp_find_p2pmem(IVSHMEM_VENDOR, IVSHMEM_DEVICE, 0,
				      b->provider, sizeof(b->provider));
		if (ret) {
			log("no ivshmem device (%04x:%04x): run with --topology p2p",
			    IVSHMEM_VENDOR, IVSHMEM_DEVICE);
			return ret;
		}
	}
	ret = dm_p2p(b->fd0, HMM_DMIRROR_P2P_PROVIDER,
		     "HMM_DMIRROR_P2P_PROVIDER", NULL, NULL, 0, b->provider,
		     NULL);
	if (ret) {
		log("cannot back %s with p2pmem of %s", DMIRROR0, b->provider);
		return ret;
	}

	ret = odp_open_pair(&b->loc, &b->rem);
	if (ret) {
		log("no connected RDMA device pair (rxe0/rxe1)");
		return ret;
	}
	if (odp_check_caps(&b->rem, IBV_ODP_SUPPORT_READ |
			   IBV_ODP_SUPPORT_WRITE, why, sizeof(why))) {
		log("%s", why);
		return -EOPNOTSUPP;
	}
	b->window = 16;
	if (!ibv_query_qp(b->loc.qp, &qa, IBV_QP_CAP, &qi) &&
	    qa.cap.max_send_wr < b->window)
		b->window = qa.cap.max_send_wr;
	if (!b->window)
		b->window = 1;

	b->local = alloc_buf(b->cfg.size);
	b->scratch = alloc_buf(b->cfg.size);
	b->perm = alloc_buf(b->npages);
	if (!b->local || !b->scratch || !b->perm)
		return -ENOMEM;
	b->lmr = odp_reg_mr(&b->loc, b->local, b->cfg.size, false);
	if (!b->lmr)
		return -EIO;

	for (i = 0; i < NSRC; i++) {
		b->src[i] = alloc_buf(b->cfg.size);
		if (!b->src[i])
			return -ENOMEM;
		b->src_seed[i] = new_seed(b, i ? b->src_seed[i - 1] : 251);
		odp_fill(b->src[i], b->cfg.size, b->src_seed[i], 0);
	}

	for (m = 0; m < NMODES; m++) {
		struct buf *buf = &b->buf[m];

		buf->p = alloc_buf(b->cfg.size);
		if (!buf->p)
			return -ENOMEM;
		buf->seed = new_seed(b, 251);
		buf->src = -1;
		odp_fill(buf->p, b->cfg.size, buf->seed, 0);
	}

	/* The alias buffer lives on the device from now on */
	ret = to_device(b, &b->buf[MODE_ALIAS]);
	if (!ret)
		ret = check_scratch(b, b->buf[MODE_ALIAS].seed,
				    "alias buffer on the device");
	if (ret)
		return ret;

	/* A P2P_FAULT from dmirror1 confirms that the pages have aliases */
	ret = dm_p2p(b->fd1, HMM_DMIRROR_P2P_FAULT, "HMM_DMIRROR_P2P_FAULT",
		     b->buf[MODE_ALIAS].p, b->perm, b->npages, "", &cpages);
	if (ret)
		return ret;
	if (cpages != b->npages) {
		log("only %llu of %zu device pages have a DMA alias",
		    (unsigned long long)cpages, b->npages);
		return -EIO;
	}
	/* Page by page, as c) will not look: aliases, and the owner's view */
	for (m = 0; m < 2; m++) {
		uint8_t want = m ? HMM_DMIRROR_P2P_OWNER_WINDOW :
			       HMM_DMIRROR_P2P_ALIAS_CPU;

		if (m) {
			ret = dm_p2p(b->fd0, HMM_DMIRROR_P2P_FAULT,
				     "HMM_DMIRROR_P2P_FAULT",
				     b->buf[MODE_ALIAS].p, b->perm, b->npages,
				     "", &cpages);
			if (ret)
				return ret;
		}
		for (i = 0; i < (int)b->npages; i++)
			if ((b->perm[i] & ~HMM_DMIRROR_P2P_WRITE) != want) {
				log("P2P_FAULT from %s: page %d is 0x%02x, want 0x%02x",
				    m ? DMIRROR0 : DMIRROR1, i, b->perm[i],
				    want);
				return -EIO;
			}
	}

	b->lifespan_ms = rxe_counter(&b->loc, "lifespan");
	if (rxe_counter(&b->rem, "lifespan") > b->lifespan_ms)
		b->lifespan_ms = rxe_counter(&b->rem, "lifespan");
	if (b->lifespan_ms < 0)
		b->lifespan_ms = 1000;
	ctrs_read(b, &c0);
	b->ctrs_ok = c0.alias_pages >= 0 && c0.fallbacks >= 0 &&
		     c0.invalidations >= 0 && c0.retries >= 0 &&
		     c0.dup_requests >= 0;
	if (!b->ctrs_ok)
		log("%s/%s: hw_counters missing", b->loc.name, b->rem.name);

	/* rxe faults an ODP MR in when it is registered: count that too */
	for (m = 0; m < NMODES; m++) {
		ret = knob_set(b, m != MODE_MIGR);
		if (ret)
			return ret;
		ctrs_read(b, &c0);
		b->buf[m].mr = odp_reg_mr(&b->rem, b->buf[m].p, b->cfg.size,
					  true);
		if (!b->buf[m].mr)
			return -EIO;
		ctrs_read(b, &c1);
		ctrs_add(&b->ctr[m], &c0, &c1);
	}
	return 0;
}

static void teardown(struct bench *b)
{
	int m, i;

	for (m = 0; m < NMODES; m++) {
		odp_dereg_mr(b->buf[m].mr);
		odp_free(b->buf[m].p, b->cfg.size);
	}
	odp_dereg_mr(b->lmr);
	odp_ep_close(&b->loc);
	odp_ep_close(&b->rem);
	for (i = 0; i < NSRC; i++)
		odp_free(b->src[i], b->cfg.size);
	odp_free(b->local, b->cfg.size);
	odp_free(b->scratch, b->cfg.size);
	odp_free(b->perm, b->npages);
	if (b->knob_orig && b->knob >= 0 && b->knob != (b->knob_orig == 'Y'))
		knob_set(b, b->knob_orig == 'Y');
	if (b->fd1 >= 0)
		close(b->fd1);
	if (b->fd0 >= 0)
		close(b->fd0);
}

/* ---- report ----------------------------------------------------------- */

static void detect_accel(char *s, size_t len)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned int a, b, c, d;
	char sig[13] = "";

	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 31))) {
		snprintf(s, len, "none (no hypervisor CPUID bit)");
		return;
	}
	__cpuid(0x40000000, a, b, c, d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	if (!strcmp(sig, "TCGTCGTCGTCG"))
		snprintf(s, len, "TCG (CPU emulation)");
	else if (!strncmp(sig, "KVMKVMKVM", 9))
		snprintf(s, len, "KVM");
	else
		snprintf(s, len, "hypervisor \"%s\"", sig);
#else
	snprintf(s, len, "unknown");
#endif
}

static const char *met(bool ok)
{
	return ok ? "met" : "NOT met";
}

static double ratio(double x, double y)
{
	return y ? x / y : 0;
}

/*
 * b) in what the project controls: rxe's emulated copy of the buffer is
 * most of a round, and no exporter or IB core change makes it shorter.
 * From the means: what the alias round adds to its own device write and
 * a NIC read of RAM (the limit is 0), what the migration path adds per
 * round on each side, and a projection for a hardware NIC.
 */
static void pp_report(const struct bench *b, const double *dev_ms,
		      const double *nic_ms, double ram_read_mbs)
{
	double ram_ms = ram_read_mbs ? b->cfg.size / ram_read_mbs / 1e3 : 0;
	double wire_ms = b->cfg.size * 8 / (b->cfg.nic_gbps * 1e6);
	double alias_hw = dev_ms[MODE_ALIAS] + wire_ms;
	double migr_hw = dev_ms[MODE_MIGR] + wire_ms +
			 (nic_ms[MODE_MIGR] - nic_ms[MODE_ALIAS]);

	printf("   alias round: %.1f device + %.1f NIC = %.1f ms; the NIC part against a RAM ODP\n"
	       "   READ of the same %zu KiB in a) (%.1f ms at %.2f MB/s): %+.1f ms (limit 0)\n",
	       dev_ms[MODE_ALIAS], nic_ms[MODE_ALIAS],
	       dev_ms[MODE_ALIAS] + nic_ms[MODE_ALIAS], b->cfg.size >> 10,
	       ram_ms, ram_read_mbs, nic_ms[MODE_ALIAS] - ram_ms);
	printf("   the migration path adds per round: %+.1f ms device side (migration to the\n"
	       "   device before the write), %+.1f ms NIC side (faults back to RAM)\n",
	       dev_ms[MODE_MIGR] - dev_ms[MODE_ALIAS],
	       nic_ms[MODE_MIGR] - nic_ms[MODE_ALIAS]);
	printf("   PROJECTION, not a measurement: a %.0f Gb/s NIC moves %zu KiB in %.3f ms on the\n"
	       "   wire instead of rxe's %.1f ms; with the device and migration costs measured\n"
	       "   here (emulated CPU), alias %.2f ms/round, migration %.2f ms: %.1fx\n",
	       b->cfg.nic_gbps, b->cfg.size >> 10, wire_ms, nic_ms[MODE_ALIAS],
	       alias_hw, migr_hw, ratio(migr_hw, alias_hw));
}

static void report(struct bench *b)
{
	double med[NMODES], min[NMODES], max[NMODES], mean[NMODES];
	double thr_ratio[NOPS], pp_ratio, ram_read_mbs = 0;
	double dev_ms[NMODES] = { 0 }, nic_ms[NMODES] = { 0 };
	double owner, alias, ovh, touch;
	double mb = b->cfg.size * 1e3;	/* bytes * 1e3 / ns = MB/s */
	int op, m, n = b->cfg.fault_blocks;
	struct utsname u;
	char accel[64];
	size_t left;

	uname(&u);
	detect_accel(accel, sizeof(accel));

	printf("=== odp_p2p_bench: RDMA ODP on device-private memory, P2PDMA aliases vs RAM vs migration\n");
	printf("kernel     %s (uname -r)%s%s\n", u.release,
	       b->cfg.flavour ? ", flavour " : "",
	       b->cfg.flavour ? b->cfg.flavour : "");
	printf("accel      %s (guest CPUID)%s%s; lockdep %s\n", accel,
	       b->cfg.accel ? ", vm-run: " : "",
	       b->cfg.accel ? b->cfg.accel : "",
	       access("/proc/lockdep", F_OK) ? "off" : "on");
	printf("note       numbers under emulation are not hardware numbers: QEMU emulates\n"
	       "           the CPU, and rxe moves every packet and byte with it; compare\n"
	       "           the ratios, which come from interleaved measurements in this run.\n"
	       "           Other load on the host stretches passes unevenly: the median and\n"
	       "           fastest rows show how much\n");
	printf("setup      %s -> ODP MR on %s (RC, MTU %d, ACK timeout %.2f s), buffer %zu KiB\n"
	       "           (%zu pages), %zu KiB messages, %u outstanding; %s backed by\n"
	       "           p2pmem of %s\n",
	       b->loc.name, b->rem.name, 128 << b->rem.port.active_mtu,
	       (4096ull << ODP_QP_TIMEOUT) / 1e9, b->cfg.size >> 10,
	       b->npages, b->cfg.msg >> 10, b->window, DMIRROR0, b->provider);
	printf("modes      alias: pages on %s, odp_p2p_alias=Y; RAM ODP: never migrated;\n"
	       "           migration: odp_p2p_alias=N, buffer migrated back to the device\n"
	       "           (untimed) before every measured pass or round\n",
	       DMIRROR0);
	printf("\n");

	printf("a) RDMA throughput, MB/s (10^6 B/s), %d passes per mode and op after %d warm-up,\n"
	       "   modes taking turns; targets judged on the median\n",
	       b->cfg.rounds * b->cfg.passes, b->cfg.warmup);
	printf("   %-10s %-8s %9s %9s %10s %10s %10s\n", "op", "pass", "alias",
	       "RAM ODP", "migration", "alias/RAM", "alias/migr");
	for (op = 0; op < NOPS; op++) {
		double fast[NMODES], slow[NMODES];

		for (m = 0; m < NMODES; m++) {
			const struct acc *t = &b->thr[op][m];

			acc_stats(t, &med[m], &min[m], &max[m]);
			mean[m] = t->ns ? mb * t->count / t->ns : 0;
			med[m] = med[m] ? mb / med[m] : 0;
			fast[m] = min[m] ? mb / min[m] : 0;
			slow[m] = max[m] ? mb / max[m] : 0;
		}
		thr_ratio[op] = ratio(med[MODE_ALIAS], med[MODE_RAM]);
		if (op == OP_READ)
			ram_read_mbs = med[MODE_RAM];
		printf("   %-10s %-8s %9.3f %9.3f %10.3f %9.3fx %9.3fx\n",
		       op_name[op], "median", med[MODE_ALIAS], med[MODE_RAM],
		       med[MODE_MIGR], thr_ratio[op],
		       ratio(med[MODE_ALIAS], med[MODE_MIGR]));
		printf("   %-10s %-8s %9.3f %9.3f %10.3f %9.3fx %9.3fx\n", "",
		       "mean", mean[MODE_ALIAS], mean[MODE_RAM],
		       mean[MODE_MIGR],
		       ratio(mean[MODE_ALIAS], mean[MODE_RAM]),
		       ratio(mean[MODE_ALIAS], mean[MODE_MIGR]));
		printf("   %-10s %-8s %9.3f %9.3f %10.3f %9.3fx %9.3fx\n", "",
		       "fastest", fast[MODE_ALIAS], fast[MODE_RAM],
		       fast[MODE_MIGR],
		       ratio(fast[MODE_ALIAS], fast[MODE_RAM]),
		       ratio(fast[MODE_ALIAS], fast[MODE_MIGR]));
		printf("   %-10s %-8s %9.3f %9.3f %10.3f\n", "", "slowest",
		       slow[MODE_ALIAS], slow[MODE_RAM], slow[MODE_MIGR]);
	}
	printf("   target alias >= %.2fx RAM ODP: READ %s, WRITE %s\n",
	       TARGET_ALIAS_VS_RAM,
	       met(thr_ratio[OP_READ] >= TARGET_ALIAS_VS_RAM),
	       met(thr_ratio[OP_WRITE] >= TARGET_ALIAS_VS_RAM));
	printf("   migration passes moved to RAM: READ %lu of %lu pages, WRITE %lu of %lu\n",
	       b->migr_pages[OP_READ], b->migr_passes[OP_READ] * b->npages,
	       b->migr_pages[OP_WRITE],
	       b->migr_passes[OP_WRITE] * b->npages);
	printf("\n");

	printf("b) device writes %zu KiB, NIC reads it, data checked every round; %lu rounds\n"
	       "   per path after 1 warm-up, paths taking turns\n",
	       b->cfg.size >> 10, b->pp[MODE_ALIAS].count);
	printf("   %-10s %-8s %9s %10s %11s %9s\n", "path", "round",
	       "rounds/s", "ms/round", "device ms", "NIC ms");
	for (m = 0; m < NMODES; m++) {
		const struct acc *a = &b->pp[m];
		double cnt = a->count ? a->count : 1;

		if (m == MODE_RAM)
			continue;
		acc_stats(a, &med[m], &min[m], &max[m]);
		mean[m] = a->ns / cnt;
		dev_ms[m] = a->dev_ns / 1e6 / cnt;
		nic_ms[m] = (a->ns - a->dev_ns) / 1e6 / cnt;
		printf("   %-10s %-8s %9.3f %10.1f\n", mode_name[m], "median",
		       med[m] ? 1e9 / med[m] : 0, med[m] / 1e6);
		printf("   %-10s %-8s %9.3f %10.1f %11.1f %9.1f\n", "", "mean",
		       mean[m] ? 1e9 / mean[m] : 0, mean[m] / 1e6,
		       dev_ms[m], nic_ms[m]);
		printf("   %-10s %-8s %9.3f %10.1f\n", "", "fastest",
		       min[m] ? 1e9 / min[m] : 0, min[m] / 1e6);
		printf("   %-10s %-8s %9.3f %10.1f\n", "", "slowest",
		       max[m] ? 1e9 / max[m] : 0, max[m] / 1e6);
	}
	pp_ratio = ratio(med[MODE_MIGR], med[MODE_ALIAS]);
	printf("   (device ms: time in the ioctls, HMM_DMIRROR_WRITE, on the migration path after\n"
	       "   HMM_DMIRROR_MIGRATE_TO_DEV; NIC ms: %zu x %zu KiB RDMA READ, on the migration\n"
	       "   path with every page faulted back to RAM)\n",
	       b->nmsg, b->cfg.msg >> 10);
	printf("   alias/migration rounds/s: median %.2fx, mean %.2fx, fastest %.2fx (measured, emulated NIC)\n",
	       pp_ratio, ratio(mean[MODE_MIGR], mean[MODE_ALIAS]),
	       ratio(min[MODE_MIGR], min[MODE_ALIAS]));
	pp_report(b, dev_ms, nic_ms, ram_read_mbs);
	printf("   migration rounds moved %lu of %lu pages to RAM\n",
	       b->pp_migr_pages, b->pp[MODE_MIGR].count * b->npages);
	printf("\n");

	owner = median(b->fault_hmm_ns[0], n);
	alias = median(b->fault_hmm_ns[1], n);
	ovh = owner ? (alias / owner - 1) * 100 : 0;
	printf("c) hmm_range_fault() per page: HMM_DMIRROR_P2P_FAULT (count only) over the %zu\n"
	       "   device pages, %d blocks of %d calls per path, paths taking turns; the time in\n"
	       "   hmm_range_fault() as test_hmm measures it, and of the whole ioctl; target\n"
	       "   judged on the median in hmm_range_fault()\n",
	       b->npages, n, b->cfg.fault_iters);
	printf("   %-42s %7s %7s %7s %7s\n", "ns/page", "hmm", "hmm", "ioctl",
	       "ioctl");
	printf("   %-42s %7s %7s %7s %7s\n", "", "median", "fastest", "median",
	       "fastest");
	for (m = 0; m < 2; m++) {
		double hmin = 0, imin = 0;
		int i;

		for (i = 0; i < n; i++) {
			if (!i || b->fault_hmm_ns[m][i] < hmin)
				hmin = b->fault_hmm_ns[m][i];
			if (!i || b->fault_ns[m][i] < imin)
				imin = b->fault_ns[m][i];
		}
		printf("   %-42s %7.1f %7.1f %7.1f %7.1f\n",
		       m ? "alias, CPU importer (" DMIRROR1 " fd)" :
			   "owner match (" DMIRROR0 " fd)",
		       median(b->fault_hmm_ns[m], n), hmin,
		       median(b->fault_ns[m], n), imin);
	}
	printf("   alias overhead in hmm_range_fault() %+.1f%%, whole ioctl %+.1f%%   target <= %.0f%%: %s\n",
	       ovh, (ratio(median(b->fault_ns[1], n),
			   median(b->fault_ns[0], n)) - 1) * 100,
	       TARGET_LOOKUP_PCT, met(ovh <= TARGET_LOOKUP_PCT));
	printf("\n");

	printf("e) first touch: ODP MR registration over the %zu pages, which rxe faults in;\n"
	       "   %d blocks of %d registrations per path, paths taking turns\n",
	       b->npages, n, b->cfg.touch_iters);
	printf("   %-44s %9s %9s\n", "pages/s", "median", "fastest");
	for (m = 0; m < 2; m++) {
		double best = 0;
		int i;

		for (i = 0; i < n; i++)
			if (b->touch_pps[m][i] > best)
				best = b->touch_pps[m][i];
		printf("   %-44s %9.0f %9.0f\n", m ? "alias, device memory" :
		       "RAM ODP", median(b->touch_pps[m], n), best);
	}
	touch = ratio(median(b->touch_pps[1], n), median(b->touch_pps[0], n));
	printf("   alias/RAM ODP: median %.3fx   target >= %.1fx: %s\n", touch,
	       TARGET_TOUCH, met(touch >= TARGET_TOUCH));
	printf("\n");

	left = b->dev_before - b->dev_after_ab;
	printf("d) migrations out of the device (snapshots of the alias buffer)\n");
	printf("   on %s: %zu of %zu pages before the alias runs, %zu after a) and b),\n"
	       "   %zu after c)\n", DMIRROR0, b->dev_before, b->npages,
	       b->dev_after_ab, b->dev_after_c);
	printf("   left the device during the alias runs: %zu   target 0: %s\n",
	       left, met(!left));
	if (b->ctrs_ok) {
		printf("   counter deltas over MR registration and all passes/rounds of each mode\n");
		printf("   %-11s %12s %10s %14s %8s %9s\n", "mode",
		       "alias_pages", "fallbacks", "invalidations", "retries",
		       "dup_reqs");
		for (m = 0; m < NMODES; m++)
			printf("   %-11s %12lld %10lld %14lld %8lld %9lld\n",
			       mode_name[m], b->ctr[m].alias_pages,
			       b->ctr[m].fallbacks, b->ctr[m].invalidations,
			       b->ctr[m].retries, b->ctr[m].dup_requests);
		printf("   (odp_p2p_* and duplicate_request: %s; retries: completer_retry_err of %s)\n",
		       b->rem.name, b->loc.name);
	} else {
		printf("   %s/%s hw_counters: not readable\n", b->loc.name,
		       b->rem.name);
	}
	printf("\n");

	printf("targets (information only; the exit status reports errors and data checks)\n");
	for (op = 0; op < NOPS; op++)
		printf("   %-10s alias >= %.2fx RAM ODP      %8.3fx   %s\n",
		       op_name[op], TARGET_ALIAS_VS_RAM, thr_ratio[op],
		       met(thr_ratio[op] >= TARGET_ALIAS_VS_RAM));
	printf("   %-10s alias overhead <= %.0f%%      %+8.1f%%   %s\n",
	       "lookup", TARGET_LOOKUP_PCT, ovh,
	       met(ovh <= TARGET_LOOKUP_PCT));
	printf("   %-10s alias >= %.1fx RAM ODP       %8.3fx   %s\n",
	       "1st touch", TARGET_TOUCH, touch, met(touch >= TARGET_TOUCH));
	printf("   %-10s pages off the device = 0    %8zu    %s\n",
	       "migrations", left, met(!left));
	printf("data       every pass and round checked: OK\n");
	printf("=== end\n");
	fflush(stdout);
}

/* ---- main ------------------------------------------------------------- */

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [options]\n"
		"  --size KIB          buffer size (1024)\n"
		"  --msg KIB           RDMA message size (64)\n"
		"  --rounds N          a) rounds, the modes in turn (9)\n"
		"  --passes N          a) measured passes per mode, op, round (1)\n"
		"  --warmup N          a) warm-up passes per mode and op (1)\n"
		"  --pingpong N        b) measured rounds per path (12)\n"
		"  --nic-gbps G        b) NIC bandwidth of the projection (100 Gb/s)\n"
		"  --fault-blocks N    c) interleaved blocks (48)\n"
		"  --fault-iters N     c) P2P_FAULT calls per block and path (16)\n"
		"  --touch-iters N     e) MR registrations per block and path (4),\n"
		"                      in as many blocks as c)\n"
		"  --settle MS         a), b): idle time before each pass or round (0)\n"
		"  --provider PCI      P2PDMA provider (the ivshmem device)\n"
		"  --accel STR         how the host runs QEMU, for the report\n"
		"  --flavour STR       kernel config flavour, for the report\n",
		prog);
}

static int parse(struct cfg *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "msg", required_argument, NULL, 'm' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "passes", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "pingpong", required_argument, NULL, 'k' },
		{ "fault-blocks", required_argument, NULL, 'b' },
		{ "fault-iters", required_argument, NULL, 'i' },
		{ "touch-iters", required_argument, NULL, 't' },
		{ "settle", required_argument, NULL, 'S' },
		{ "provider", required_argument, NULL, 'p' },
		{ "accel", required_argument, NULL, 'a' },
		{ "flavour", required_argument, NULL, 'f' },
		{ "nic-gbps", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int c;

	*cfg = (struct cfg) {
		.size = 1024 << 10,
		.msg = 64 << 10,
		.rounds = 9,
		.passes = 1,
		.warmup = 1,
		.pp_rounds = 12,
		.nic_gbps = 100,
		.fault_blocks = 48,
		.fault_iters = 16,
		.touch_iters = 4,
	};
	while ((c = getopt_long(argc, argv, "s:m:r:n:w:k:b:i:t:S:p:a:f:h", opts,
				NULL)) != -1) {
		switch (c) {
		case 's':
			cfg->size = strtoul(optarg, NULL, 0) << 10;
			break;
		case 'm':
			cfg->msg = strtoul(optarg, NULL, 0) << 10;
			break;
		case 'r':
			cfg->rounds = atoi(optarg);
			break;
		case 'n':
			cfg->passes = atoi(optarg);
			break;
		case 'w':
			cfg->warmup = atoi(optarg);
			break;
		case 'k':
			cfg->pp_rounds = atoi(optarg);
			break;
		case 'g':
			cfg->nic_gbps = atof(optarg);
			break;
		case 'b':
			cfg->fault_blocks = atoi(optarg);
			break;
		case 'i':
			cfg->fault_iters = atoi(optarg);
			break;
		case 't':
			cfg->touch_iters = atoi(optarg);
			break;
		case 'S':
			cfg->settle_ms = atoi(optarg);
			break;
		case 'p':
			cfg->provider = optarg;
			break;
		case 'a':
			cfg->accel = *optarg ? optarg : NULL;
			break;
		case 'f':
			cfg->flavour = *optarg ? optarg : NULL;
			break;
		default:
			usage(argv[0]);
			return c == 'h' ? 1 : -EINVAL;
		}
	}
	if (!cfg->size || cfg->size % odp_page_size() || !cfg->msg ||
	    cfg->msg > (1u << 31) || cfg->rounds < 1 || cfg->passes < 1 ||
	    cfg->warmup < 1 || cfg->pp_rounds < 1 || cfg->fault_blocks < 1 ||
	    cfg->fault_blocks > MAX_BLOCKS || cfg->fault_iters < 1 || cfg->touch_iters < 1 ||
	    !(cfg->nic_gbps > 0) ||
	    cfg->rounds * cfg->passes > MAX_SAMPLES ||
	    cfg->pp_rounds > MAX_SAMPLES) {
		fprintf(stderr, "%s: bad option value\n", argv[0]);
		usage(argv[0]);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench *b = calloc(1, sizeof(*b));
	uint64_t t0 = now_ns();
	int ret;

	if (!b)
		return 1;
	b->fd0 = b->fd1 = -1;
	b->knob = -1;
	ret = parse(&b->cfg, argc, argv);
	if (ret)
		return ret > 0 ? 0 : 2;
	b->pg = odp_page_size();
	b->npages = b->cfg.size / b->pg;
	b->nmsg = (b->cfg.size + b->cfg.msg - 1) / b->cfg.msg;
	b->next_seed = 0x23;
	setvbuf(stdout, NULL, _IOLBF, 0);

	ret = setup(b);
	if (!ret)
		ret = dev_pages(b, &b->buf[MODE_ALIAS], &b->dev_before);
	if (!ret && b->dev_before != b->npages) {
		log("alias buffer: %zu of %zu pages on the device",
		    b->dev_before, b->npages);
		ret = -EIO;
	}
	if (!ret) {
		log("a) throughput");
		ret = phase_throughput(b);
	}
	if (!ret) {
		log("b) ping-pong");
		ret = phase_pingpong(b);
	}
	if (!ret)
		ret = dev_pages(b, &b->buf[MODE_ALIAS], &b->dev_after_ab);
	if (!ret) {
		log("c) hmm_range_fault per page");
		ret = phase_faults(b);
	}
	if (!ret) {
		log("e) first touch");
		ret = phase_touch(b);
	}
	if (!ret)
		ret = dev_pages(b, &b->buf[MODE_ALIAS], &b->dev_after_c);
	if (!ret) {
		report(b);
		log("done in %.1f s", (now_ns() - t0) / 1e9);
	}
	teardown(b);
	if (ret)
		fprintf(stderr, "odp_p2p_bench: FAILED: %s\n",
			ret == -EBADMSG ? "wrong data" : strerror(-ret));
	free(b);
	return ret ? 1 : 0;
}
