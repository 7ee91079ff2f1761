// SPDX-License-Identifier: GPL-2.0
/*
 * devmem-run.so: LD_PRELOAD part of devmem-run.  Before each ODP
 * registration a program makes (ibv_reg_mr, ibv_reg_mr_iova,
 * ibv_reg_mr_iova2), it moves the page-aligned interior of the range into
 * the device memory of a test_hmm dmirror device (HMM_DMIRROR_MIGRATE_TO_DEV),
 * then registers.  When an MR is deregistered, and at exit for those still
 * registered, it writes where the MR's pages are to the report descriptor
 * of the wrapper (records in devmem.h).
 *
 * Without DEVMEM_RUN_DEVICE in the environment it does nothing but call
 * libibverbs.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "test_hmm_uapi.h"
#include "devmem.h"

/* The symbols as Debian's rdma-core exports them (ib_write_bw imports these) */
#define REG_MR_VERSION		"IBVERBS_1.1"
#define REG_MR_IOVA_VERSION	"IBVERBS_1.7"
#define REG_MR_IOVA2_VERSION	"IBVERBS_1.8"
#define DEREG_MR_VERSION	"IBVERBS_1.1"
#define MODIFY_QP_VERSION	"IBVERBS_1.1"

struct placed_mr {
	struct ibv_mr *mr;
	pid_t pid;
	unsigned int id;
	const char *call;
	uintptr_t addr;
	size_t length;
	uintptr_t start;	/* page-aligned interior: [start, end) */
	uintptr_t end;
	unsigned long placed;	/* on the device after the last placement */
	unsigned long aliased;	/* of those, with a DMA alias */
};

struct where {
	unsigned long device, ram, absent;
	/* Device pages with a DMA alias: the others migrate on a NIC access */
	unsigned long alias;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct placed_mr *mrs;
static size_t nr_mrs, max_mrs;
static unsigned int next_id = 1;
static const char *device_path;
static int report_fd = -1;
static int dmirror_fd = -1;
static pid_t dmirror_pid;
static int quiet;
/* Pages per migration: test_hmm copies what it moved to this buffer */
#define MIGRATE_PAGES	512
static void *bounce;
static long page_size;
/* libibverbs may call one registration entry point from another */
static __thread int nested;

static void say(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	fputs("devmem-run: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* One record line to the wrapper; a short write loses only the report */
static void record(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (report_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(report_fd, line, n) != n)
		report_fd = -1;
}

__attribute__((constructor)) static void devmem_init(void)
{
	const char *fd = getenv(DEVMEM_ENV_FD);

	page_size = sysconf(_SC_PAGESIZE);
	device_path = getenv(DEVMEM_ENV_DEVICE);
	quiet = !!getenv(DEVMEM_ENV_QUIET);
	if (fd)
		report_fd = atoi(fd);
	if (!device_path)
		return;
	bounce = mmap(NULL, MIGRATE_PAGES * page_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bounce == MAP_FAILED)
		bounce = NULL;
}

/*
 * The dmirror file of this process: test_hmm mirrors the mm of the process
 * that opened it, so a child after fork() opens its own.
 */
static int dmirror(void)
{
	if (dmirror_fd >= 0 && dmirror_pid == getpid())
		return dmirror_fd;
	dmirror_fd = open(device_path, O_RDWR | O_CLOEXEC);
	dmirror_pid = getpid();
	if (dmirror_fd < 0)
		say("cannot open %s: %s", device_path, strerror(errno));
	return dmirror_fd;
}

/* The library whose entry points we wrap, by the soname its users link */
#define LIBIBVERBS		"libibverbs.so.1"

/*
 * The function we wrap: next after us in the global scope, where a program
 * linked with libibverbs has it.  A program that loads libibverbs with
 * dlopen() (UCX, Open MPI, libfabric load their verbs transport so) has it
 * in a local scope that RTLD_NEXT does not search; our caller linked it,
 * so it is loaded, and RTLD_NOLOAD finds it there.  The reference that
 * dlopen() takes is kept: the pointer is cached.
 */
static void *real(const char *name, const char *version)
{
	void *fn = dlvsym(RTLD_NEXT, name, version);
	void *lib;

	if (!fn)
		fn = dlsym(RTLD_NEXT, name);
	if (!fn && (lib = dlopen(LIBIBVERBS, RTLD_NOW | RTLD_NOLOAD))) {
		fn = dlvsym(lib, name, version);
		if (!fn)
			fn = dlsym(lib, name);
	}
	if (!fn) {
		fprintf(stderr, "devmem-run: no %s in the global scope or a loaded %s\n",
			name, LIBIBVERBS);
		abort();
	}
	return fn;
}

/*
 * Count the pages of the run of @n device pages at @addr that have a DMA
 * alias (in their chunk's window), from what test_hmm reports to an
 * importer of aliases: its own pages are reported as they are, so nothing
 * moves.  Only called on pages the snapshot found on this device, so it
 * faults nothing in.  An error (a kernel without the ioctl) counts none.
 */
static void count_aliased(uintptr_t addr, unsigned long n, struct where *w)
{
	unsigned char buf[4096];
	struct hmm_dmirror_p2p p2p = { 0 };
	unsigned long i;

	p2p.addr = addr;
	p2p.ptr = (uintptr_t)buf;
	p2p.npages = n;
	if (ioctl(dmirror(), HMM_DMIRROR_P2P_FAULT, &p2p))
		return;
	for (i = 0; i < n; i++)
		if ((buf[i] & ~HMM_DMIRROR_P2P_WRITE) ==
		    HMM_DMIRROR_P2P_OWNER_WINDOW)
			w->alias++;
}

/* Count where the pages of [start, end) are, from test_hmm's snapshot */
static int where_are(uintptr_t start, uintptr_t end, struct where *w)
{
	unsigned char buf[4096];
	uintptr_t addr;

	memset(w, 0, sizeof(*w));
	for (addr = start; addr < end; ) {
		unsigned long n = (end - addr) / page_size, i;
		struct hmm_dmirror_cmd cmd = { 0 };

		if (n > sizeof(buf))
			n = sizeof(buf);
		cmd.addr = addr;
		cmd.ptr = (uintptr_t)buf;
		cmd.npages = n;
		if (dmirror() < 0 || ioctl(dmirror(), HMM_DMIRROR_SNAPSHOT, &cmd))
			return -errno;
		for (i = 0; i < n; i++) {
			/* The type in the high nibble, access in the low one */
			unsigned char type = buf[i] & 0xf0;

			if (buf[i] == HMM_DMIRROR_PROT_ERROR ||
			    !(buf[i] & (HMM_DMIRROR_PROT_READ |
					HMM_DMIRROR_PROT_WRITE)))
				w->absent++;
			else if (type == HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL ||
				 type == HMM_DMIRROR_PROT_DEV_PRIVATE_REMOTE)
				w->device++;
			else
				w->ram++;
		}
		/* Aliases of this device's pages, run by run */
		for (i = 0; i < n; ) {
			unsigned long r = i;

			while (r < n && (buf[r] & 0xf0) ==
			       HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL)
				r++;
			if (r > i)
				count_aliased(addr + i * page_size, r - i, w);
			i = r + 1;
		}
		addr += n * page_size;
	}
	return 0;
}

static void report_mr(const struct placed_mr *p, const char *at)
{
	struct where w;
	int ret = where_are(p->start, p->end, &w);

	if (ret) {
		record("error pid=%d call=%s addr=%#lx length=%zu errno=%d what=snapshot",
		       p->pid, p->call, (unsigned long)p->addr, p->length, -ret);
		return;
	}
	record("mr pid=%d id=%u call=%s addr=%#lx length=%zu pages=%lu placed=%lu aliased=%lu device=%lu alias=%lu ram=%lu absent=%lu at=%s",
	       p->pid, p->id, p->call, (unsigned long)p->addr, p->length,
	       (unsigned long)((p->end - p->start) / page_size), p->placed,
	       p->aliased, w.device, w.alias, w.ram, w.absent, at);
}

/* Move [start, end) to the device; @w tells where the pages are then */
static int place(const char *call, uintptr_t addr, size_t length,
		 uintptr_t start, uintptr_t end, struct where *w)
{
	uintptr_t a;
	int ret;

	if (dmirror() < 0)
		return -errno;
	if (!bounce)
		return -ENOMEM;
	for (a = start; a < end; a += MIGRATE_PAGES * page_size) {
		struct hmm_dmirror_cmd cmd = {
			.addr = a,
			.ptr = (uintptr_t)bounce,
			.npages = (end - a) / page_size,
		};

		if (cmd.npages > MIGRATE_PAGES)
			cmd.npages = MIGRATE_PAGES;
		if (!ioctl(dmirror(), HMM_DMIRROR_MIGRATE_TO_DEV, &cmd))
			continue;
		ret = errno;
		say("%s: cannot move %#lx+%zu to %s: %s", call,
		    (unsigned long)addr, length, device_path, strerror(ret));
		record("error pid=%d call=%s addr=%#lx length=%zu errno=%d what=migrate",
		       getpid(), call, (unsigned long)addr, length, ret);
		/* The pages that did move are counted below */
		break;
	}
	return where_are(start, end, w);
}

/* A registration that cannot use device memory: say so, and why */
static void not_odp(const char *call, void *addr, size_t length)
{
	uintptr_t start = ((uintptr_t)addr + page_size - 1) & ~(page_size - 1);
	uintptr_t end = ((uintptr_t)addr + length) & ~(page_size - 1);
	struct where w = { 0 };

	if (end > start && end > (uintptr_t)addr)
		where_are(start, end, &w);
	if (w.device)
		say("%s of %p+%zu without IBV_ACCESS_ON_DEMAND: pinning moves its %lu device pages back to RAM; pinned device-private memory cannot work, that is what dma-buf (ibv_reg_dmabuf_mr) is for",
		    call, addr, length, w.device);
	else
		say("%s of %p+%zu without IBV_ACCESS_ON_DEMAND: left in RAM; only ODP MRs can use device memory, pinned device-private memory cannot work (dma-buf is for that)",
		    call, addr, length);
	record("nonodp pid=%d call=%s addr=%#lx length=%zu device=%lu",
	       getpid(), call, (unsigned long)addr, length, w.device);
}

static void remember(struct ibv_mr *mr, const char *call, void *addr,
		     size_t length, uintptr_t start, uintptr_t end,
		     const struct where *w)
{
	struct placed_mr *p;

	pthread_mutex_lock(&lock);
	if (nr_mrs == max_mrs) {
		size_t n = max_mrs ? 2 * max_mrs : 16;

		p = realloc(mrs, n * sizeof(*mrs));
		if (!p) {
			pthread_mutex_unlock(&lock);
			say("out of memory: MR %p left out of the report", mr);
			return;
		}
		mrs = p;
		max_mrs = n;
	}
	p = &mrs[nr_mrs++];
	*p = (struct placed_mr){ .mr = mr, .pid = getpid(), .id = next_id++,
				 .call = call, .addr = (uintptr_t)addr,
				 .length = length, .start = start, .end = end,
				 .placed = w->device, .aliased = w->alias };
	pthread_mutex_unlock(&lock);
}

/*
 * The one path of every registration entry point: place the range, then
 * let @reg (which calls libibverbs) register it.
 */
static struct ibv_mr *place_and_reg(const char *call, void *addr,
				    size_t length, unsigned int access,
				    struct ibv_mr *(*reg)(void *ctx), void *ctx)
{
	uintptr_t a = (uintptr_t)addr;
	uintptr_t start = (a + page_size - 1) & ~(page_size - 1);
	uintptr_t end = (a + length) & ~(page_size - 1);
	struct where w = { 0 };
	struct ibv_mr *mr;
	int ret = 0;

	if (!device_path || nested)
		return reg(ctx);
	nested++;
	if (!(access & IBV_ACCESS_ON_DEMAND)) {
		not_odp(call, addr, length);
		mr = reg(ctx);
		goto out;
	}
	if (!addr && length == SIZE_MAX) {
		say("%s: implicit ODP MR (the whole address space): nothing to move",
		    call);
		record("implicit pid=%d call=%s", getpid(), call);
		mr = reg(ctx);
		goto out;
	}
	/* A range that wraps is the kernel's to refuse (EINVAL) */
	if (end <= start || a + length < a)
		start = end = 0;
	else
		ret = place(call, a, length, start, end, &w);
	if (ret < 0) {
		record("error pid=%d call=%s addr=%#lx length=%zu errno=%d what=snapshot",
		       getpid(), call, (unsigned long)a, length, -ret);
		memset(&w, 0, sizeof(w));
	}
	mr = reg(ctx);
	if (mr)
		remember(mr, call, addr, length, start, end, &w);
out:
	nested--;
	return mr;
}

struct reg_args {
	struct ibv_pd *pd;
	void *addr;
	size_t length;
	uint64_t iova;
	unsigned int access;
};

static struct ibv_mr *reg_mr(void *ctx)
{
	static struct ibv_mr *(*fn)(struct ibv_pd *, void *, size_t, int);
	struct reg_args *r = ctx;

	if (!fn)
		fn = real("ibv_reg_mr", REG_MR_VERSION);
	return fn(r->pd, r->addr, r->length, r->access);
}

static struct ibv_mr *reg_mr_iova(void *ctx)
{
	static struct ibv_mr *(*fn)(struct ibv_pd *, void *, size_t, uint64_t,
				    int);
	struct reg_args *r = ctx;

	if (!fn)
		fn = real("ibv_reg_mr_iova", REG_MR_IOVA_VERSION);
	return fn(r->pd, r->addr, r->length, r->iova, r->access);
}

static struct ibv_mr *reg_mr_iova2(void *ctx)
{
	static struct ibv_mr *(*fn)(struct ibv_pd *, void *, size_t, uint64_t,
				    unsigned int);
	struct reg_args *r = ctx;

	if (!fn)
		fn = real("ibv_reg_mr_iova2", REG_MR_IOVA2_VERSION);
	return fn(r->pd, r->addr, r->length, r->iova, r->access);
}

/* verbs.h makes ibv_reg_mr and ibv_reg_mr_iova macros: define the symbols */
#undef ibv_reg_mr
#undef ibv_reg_mr_iova

struct ibv_mr *ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t length,
			  int access)
{
	struct reg_args r = { pd, addr, length, (uintptr_t)addr, access };

	return place_and_reg("ibv_reg_mr", addr, length, access, reg_mr, &r);
}

struct ibv_mr *ibv_reg_mr_iova(struct ibv_pd *pd, void *addr, size_t length,
			       uint64_t iova, int access)
{
	struct reg_args r = { pd, addr, length, iova, access };

	return place_and_reg("ibv_reg_mr_iova", addr, length, access,
			     reg_mr_iova, &r);
}

struct ibv_mr *ibv_reg_mr_iova2(struct ibv_pd *pd, void *addr, size_t length,
				uint64_t iova, unsigned int access)
{
	struct reg_args r = { pd, addr, length, iova, access };

	return place_and_reg("ibv_reg_mr_iova2", addr, length, access,
			     reg_mr_iova2, &r);
}

/* Where an MR's pages are is read before libibverbs forgets the MR */
int ibv_dereg_mr(struct ibv_mr *mr)
{
	static int (*fn)(struct ibv_mr *);
	size_t i;

	if (!fn)
		fn = real("ibv_dereg_mr", DEREG_MR_VERSION);
	pthread_mutex_lock(&lock);
	for (i = 0; i < nr_mrs; i++) {
		if (mrs[i].mr != mr || mrs[i].pid != getpid())
			continue;
		report_mr(&mrs[i], "dereg");
		mrs[i] = mrs[--nr_mrs];
		break;
	}
	pthread_mutex_unlock(&lock);
	return fn(mr);
}

/*
 * Programs often write their buffers after registering them (perftest
 * fills them with random bytes), which migrates the pages back to RAM.
 * When a QP of the process becomes ready to receive or send, move what
 * left the device of every MR back: its traffic starts now.
 */
int ibv_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int mask)
{
	static int (*fn)(struct ibv_qp *, struct ibv_qp_attr *, int);
	struct where w;
	size_t i;
	int ret;

	if (!fn)
		fn = real("ibv_modify_qp", MODIFY_QP_VERSION);
	ret = fn(qp, attr, mask);
	if (ret || !device_path || !(mask & IBV_QP_STATE) ||
	    (attr->qp_state != IBV_QPS_RTR && attr->qp_state != IBV_QPS_RTS))
		return ret;
	pthread_mutex_lock(&lock);
	for (i = 0; i < nr_mrs; i++) {
		struct placed_mr *p = &mrs[i];

		if (p->pid != getpid() || p->end == p->start)
			continue;
		if (!place(p->call, p->addr, p->length, p->start, p->end, &w)) {
			p->placed = w.device;
			p->aliased = w.alias;
		}
	}
	pthread_mutex_unlock(&lock);
	return ret;
}

__attribute__((destructor)) static void devmem_exit(void)
{
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nr_mrs; i++)
		if (mrs[i].pid == getpid())
			report_mr(&mrs[i], "exit");
	nr_mrs = 0;
	pthread_mutex_unlock(&lock);
}
