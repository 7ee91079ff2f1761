/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for RDMA on-demand paging (ODP) tests: two RC QPs in one process,
 * one on each of two RoCE devices (e.g. rxe0 <-> rxe1), memory registration
 * with or without IBV_ACCESS_ON_DEMAND, synchronous verbs with a timeout and
 * data patterns that expose misplaced or stale bytes.
 *
 * Diagnostics go to stderr as TAP comments ("# ..."); functions that can
 * fail return 0 or a negative errno.
 */
#ifndef __ODP_LIB_H
#define __ODP_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <infiniband/verbs.h>

/* How long any single completion may take before a test gives up. */
#define ODP_TIMEOUT_MS		10000

/*
 * Local ACK timeout of the RC QPs: 4.096 us << 18 = 1.07 s.  Emulated rxe
 * can take longer than the usual tens of milliseconds to answer a window
 * of READs, all the more when it faults pages first; a shorter timeout
 * makes the requester retransmit requests still being served.
 */
#define ODP_QP_TIMEOUT		18

/* Subnet whose IPv4-mapped RoCE v2 GIDs are preferred (scripts/vm-init). */
#define ODP_PREFERRED_SUBNET	"192.168.77."

/* Default devices; $ODP_LOCAL_DEV and $ODP_REMOTE_DEV override them. */
#define ODP_LOCAL_DEV		"rxe0"
#define ODP_REMOTE_DEV		"rxe1"

static inline const char *odp_env_or(const char *env, const char *dflt)
{
	const char *v = getenv(env);

	return v && *v ? v : dflt;
}

/* One end of a connection: a device, its PD and CQ, and one RC QP. */
struct odp_ep {
	char name[64];
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_device_attr_ex attr;
	struct ibv_port_attr port;
	uint8_t port_num;
	int gid_index;
	union ibv_gid gid;
};

/* Open @devname and create an RC QP in INIT; -ENODEV if there is none. */
int odp_ep_open(struct odp_ep *ep, const char *devname);
void odp_ep_close(struct odp_ep *ep);
int odp_connect(struct odp_ep *a, struct odp_ep *b);
/* Open the default local and remote devices and connect their QPs. */
int odp_open_pair(struct odp_ep *loc, struct odp_ep *rem);

/*
 * Capability checks: 0 if usable, else -EOPNOTSUPP with the reason in @why.
 * @rc_caps is a mask of IBV_ODP_SUPPORT_* for the RC transport.
 */
int odp_check_caps(const struct odp_ep *ep, uint32_t rc_caps,
		   char *why, size_t why_len);
int odp_check_atomics(const struct odp_ep *ep, char *why, size_t why_len);

/*
 * Register @len bytes at @addr for local and remote read, write and
 * atomics; @on_demand adds IBV_ACCESS_ON_DEMAND. NULL on failure.
 */
struct ibv_mr *odp_reg_mr(struct odp_ep *ep, void *addr, size_t len,
			  bool on_demand);
int odp_dereg_mr(struct ibv_mr *mr);

/*
 * Find a PCI device with published P2PDMA memory (p2pmem) by vendor and
 * device ID, or by class (0 matches any); write its name ("0000:01:00.0")
 * to @bdf. 0 or -ENODEV.
 */
int odp_find_p2pmem(unsigned int vendor, unsigned int device,
		    unsigned int class, char *bdf, size_t len);

/* The ib_core switch of ODP over DMA aliases (Y or N) */
#define ODP_P2P_KNOB	"/sys/module/ib_core/parameters/odp_p2p_alias"

/*
 * Small sysfs/debugfs files: read one without its trailing newline, write
 * one, read a number (strtoull base 0). 0 or a negative errno.
 */
int odp_read_text(const char *path, char *buf, size_t len);
int odp_write_text(const char *path, const char *val);
int odp_read_ull(const char *path, unsigned long long *val);
/* A hardware counter of @ep's port, e.g. "odp_p2p_alias_pages" */
int odp_hw_counter(const struct odp_ep *ep, const char *name,
		   unsigned long long *val);

/* A struct hmm_dmirror_cmd ioctl of test_hmm; @cpages may be NULL. */
int odp_dmirror_cmd(int fd, unsigned long request, void *addr, void *ptr,
		    unsigned long npages, unsigned long *cpages);
/* Keep @fd's device memory in @pci_dev's p2pmem, or RAM for "". */
int odp_dmirror_set_provider(int fd, const char *pci_dev);

/* Anonymous, page-aligned, private memory (munmap() with odp_free()). */
void *odp_alloc(size_t len);
void odp_free(void *addr, size_t len);
size_t odp_page_size(void);

/* Post one signaled work request; the local buffer must lie in @mr. */
int odp_post_write(struct odp_ep *ep, struct ibv_mr *mr, void *laddr,
		   uint32_t len, uint64_t raddr, uint32_t rkey);
int odp_post_read(struct odp_ep *ep, struct ibv_mr *mr, void *laddr,
		  uint32_t len, uint64_t raddr, uint32_t rkey);
int odp_post_send(struct odp_ep *ep, struct ibv_mr *mr, void *laddr,
		  uint32_t len);
int odp_post_recv(struct odp_ep *ep, struct ibv_mr *mr, void *laddr,
		  uint32_t len);
/* Atomics: the original 8-byte value at @raddr is written to @result. */
int odp_post_fetch_add(struct odp_ep *ep, struct ibv_mr *mr, void *result,
		       uint64_t raddr, uint32_t rkey, uint64_t add);
int odp_post_cmp_swp(struct odp_ep *ep, struct ibv_mr *mr, void *result,
		     uint64_t raddr, uint32_t rkey, uint64_t compare,
		     uint64_t swap);

/*
 * Wait up to @timeout_ms for the next completion on @ep's CQ. It must be
 * successful and of type @opcode; the work completion is copied to @wc if
 * not NULL. -ETIMEDOUT, -EIO (bad status) or -EPROTO (wrong opcode).
 */
int odp_wait(struct odp_ep *ep, enum ibv_wc_opcode opcode,
	     struct ibv_wc *wc, int timeout_ms);

/* Post and wait in one go, with ODP_TIMEOUT_MS. */
int odp_write_sync(struct odp_ep *ep, struct ibv_mr *mr, void *laddr,
		   uint32_t len, uint64_t raddr, uint32_t rkey);
int odp_read_sync(struct odp_ep *ep, struct ibv_mr *mr, void *laddr,
		  uint32_t len, uint64_t raddr, uint32_t rkey);
int odp_fetch_add_sync(struct odp_ep *ep, struct ibv_mr *mr, void *result,
		       uint64_t raddr, uint32_t rkey, uint64_t add);
int odp_cmp_swp_sync(struct odp_ep *ep, struct ibv_mr *mr, void *result,
		     uint64_t raddr, uint32_t rkey, uint64_t compare,
		     uint64_t swap);
/*
 * SEND @len bytes from @src on @tx; @dst (room for @dst_len bytes) on @rx
 * receives them. The received byte count is stored in @byte_len.
 */
int odp_send_recv_sync(struct odp_ep *tx, struct ibv_mr *src_mr, void *src,
		       uint32_t len, struct odp_ep *rx, struct ibv_mr *dst_mr,
		       void *dst, uint32_t dst_len, uint32_t *byte_len);

/*
 * Test pattern: byte i of a stream is (i * 7 + seed) % 251. Its period is
 * the prime 251, so no page offset, packet size or other power of two lines
 * it up with itself: data copied from or to the wrong offset never matches.
 * Bytes are always < 251, so 0xff never occurs in a pattern.
 */
static inline uint8_t odp_pattern_byte(uint64_t i, unsigned int seed)
{
	return (uint8_t)((i * 7 + seed) % 251);
}

/* Fill @buf with stream bytes @start .. @start + @len - 1. */
void odp_fill(void *buf, size_t len, unsigned int seed, uint64_t start);

/*
 * Count the bytes of @buf that differ from stream bytes @start onwards. If
 * any do and @what is not NULL, report the count and the first and last
 * mismatch.
 */
size_t odp_check(const void *buf, size_t len, unsigned int seed,
		 uint64_t start, const char *what);

/* Count the bytes of @buf that differ from @want, reported as above. */
size_t odp_compare(const void *buf, const void *want, size_t len,
		   const char *what);

#endif /* __ODP_LIB_H */
