// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for RDMA on-demand paging (ODP) tests, see odp_lib.h.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "odp_lib.h"

#include <lib/test_hmm_uapi.h>

#define ARRAY_SIZE(a)	((int)(sizeof(a) / sizeof((a)[0])))
#define odp_log(fmt, ...) fprintf(stderr, "# " fmt "\n", ##__VA_ARGS__)

/* Enough for the single outstanding WR the sync helpers use, with room. */
#define ODP_QP_DEPTH		16
#define ODP_CQ_DEPTH		64

size_t odp_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

void *odp_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		odp_log("mmap of %zu bytes: %s", len, strerror(errno));
		return NULL;
	}
	return p;
}

void odp_free(void *addr, size_t len)
{
	if (addr)
		munmap(addr, len);
}

static bool odp_verbose(void)
{
	return getenv("ODP_VERBOSE");
}

/* The GID type as sysfs shows it, e.g. "RoCE v2"; empty if unreadable. */
static void read_gid_type(const char *dev, int port, int idx, char *buf,
			  size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof(path),
		 "/sys/class/infiniband/%s/ports/%d/gid_attrs/types/%d",
		 dev, port, idx);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);	/* unused entries fail with EINVAL */
	close(fd);
	if (n <= 0) {
		buf[0] = '\0';
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static bool gid_is_ipv4_mapped(const union ibv_gid *gid)
{
	static const uint8_t prefix[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	return !memcmp(gid->raw, prefix, sizeof(prefix));
}

/*
 * Pick a RoCE v2 GID that maps an IPv4 address, preferring one in
 * ODP_PREFERRED_SUBNET: RoCE v2 so the packets are routed UDP, IPv4 so both
 * ends agree on the address family.
 */
static int find_gid(struct odp_ep *ep)
{
	char type[32], ip[INET_ADDRSTRLEN];
	union ibv_gid gid;
	int idx;

	for (idx = 0; idx < ep->port.gid_tbl_len; idx++) {
		read_gid_type(ep->name, ep->port_num, idx, type, sizeof(type));
		if (strcmp(type, "RoCE v2"))
			continue;
		if (ibv_query_gid(ep->ctx, ep->port_num, idx, &gid))
			continue;
		if (!gid_is_ipv4_mapped(&gid))
			continue;
		inet_ntop(AF_INET, &gid.raw[12], ip, sizeof(ip));
		if (ep->gid_index < 0 ||
		    !strncmp(ip, ODP_PREFERRED_SUBNET,
			     strlen(ODP_PREFERRED_SUBNET))) {
			ep->gid_index = idx;
			ep->gid = gid;
		}
		if (!strncmp(ip, ODP_PREFERRED_SUBNET,
			     strlen(ODP_PREFERRED_SUBNET)))
			break;
	}
	if (ep->gid_index < 0) {
		odp_log("%s: no RoCE v2 IPv4-mapped GID on port %d",
			ep->name, ep->port_num);
		return -ENOENT;
	}
	if (odp_verbose()) {
		inet_ntop(AF_INET, &ep->gid.raw[12], ip, sizeof(ip));
		odp_log("%s: port %d GID index %d ::ffff:%s, active MTU %d",
			ep->name, ep->port_num, ep->gid_index, ip,
			128 << ep->port.active_mtu);
	}
	return 0;
}

static int open_by_name(struct odp_ep *ep, const char *devname)
{
	struct ibv_device **list;
	int i, n;

	/* No RDMA devices at all (ENOSYS) or no such device: -ENODEV. */
	list = ibv_get_device_list(&n);
	if (!list) {
		odp_log("ibv_get_device_list: %s", strerror(errno));
		return -ENODEV;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(ibv_get_device_name(list[i]), devname))
			continue;
		ep->ctx = ibv_open_device(list[i]);
		if (!ep->ctx)
			odp_log("%s: ibv_open_device: %s", devname,
				strerror(errno));
		break;
	}
	ibv_free_device_list(list);
	if (i == n)
		odp_log("%s: no such RDMA device", devname);
	return ep->ctx ? 0 : -ENODEV;
}

int odp_ep_open(struct odp_ep *ep, const char *devname)
{
	struct ibv_qp_init_attr init = {
		.qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
		.cap = {
			.max_send_wr = ODP_QP_DEPTH,
			.max_recv_wr = ODP_QP_DEPTH,
			.max_send_sge = 1,
			.max_recv_sge = 1,
		},
	};
	struct ibv_qp_attr attr = {
		.qp_state = IBV_QPS_INIT,
		.pkey_index = 0,
		.qp_access_flags = IBV_ACCESS_LOCAL_WRITE |
				   IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_ATOMIC,
	};
	int ret;

	memset(ep, 0, sizeof(*ep));
	snprintf(ep->name, sizeof(ep->name), "%s", devname);
	ep->port_num = 1;
	ep->gid_index = -1;

	ret = open_by_name(ep, devname);
	if (ret)
		return ret;

	ret = ibv_query_device_ex(ep->ctx, NULL, &ep->attr);
	if (ret) {
		odp_log("%s: ibv_query_device_ex: %s", devname, strerror(ret));
		goto err;
	}
	ret = ibv_query_port(ep->ctx, ep->port_num, &ep->port);
	if (ret) {
		odp_log("%s: ibv_query_port: %s", devname, strerror(ret));
		goto err;
	}
	if (ep->port.state != IBV_PORT_ACTIVE) {
		odp_log("%s: port %d is %s", devname, ep->port_num,
			ibv_port_state_str(ep->port.state));
		ret = ENETDOWN;
		goto err;
	}
	ret = -find_gid(ep);
	if (ret)
		goto err;

	ep->pd = ibv_alloc_pd(ep->ctx);
	if (!ep->pd) {
		ret = errno;
		odp_log("%s: ibv_alloc_pd: %s", devname, strerror(ret));
		goto err;
	}
	ep->cq = ibv_create_cq(ep->ctx, ODP_CQ_DEPTH, NULL, NULL, 0);
	if (!ep->cq) {
		ret = errno;
		odp_log("%s: ibv_create_cq: %s", devname, strerror(ret));
		goto err;
	}
	init.send_cq = ep->cq;
	init.recv_cq = ep->cq;
	ep->qp = ibv_create_qp(ep->pd, &init);
	if (!ep->qp) {
		ret = errno;
		odp_log("%s: ibv_create_qp: %s", devname, strerror(ret));
		goto err;
	}
	attr.port_num = ep->port_num;
	ret = ibv_modify_qp(ep->qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			    IBV_QP_PORT | IBV_QP_ACCESS_FLAGS);
	if (ret) {
		odp_log("%s: QP to INIT: %s", devname, strerror(ret));
		goto err;
	}
	return 0;

err:
	odp_ep_close(ep);
	return ret ? -ret : -EIO;
}

void odp_ep_close(struct odp_ep *ep)
{
	if (ep->qp)
		ibv_destroy_qp(ep->qp);
	if (ep->cq)
		ibv_destroy_cq(ep->cq);
	if (ep->pd)
		ibv_dealloc_pd(ep->pd);
	if (ep->ctx)
		ibv_close_device(ep->ctx);
	ep->qp = NULL;
	ep->cq = NULL;
	ep->pd = NULL;
	ep->ctx = NULL;
}

/* Outstanding RDMA READ/atomic depth both ends can honour. */
static uint8_t rd_atomic_depth(const struct odp_ep *a, const struct odp_ep *b)
{
	int n = 16;

	if (a->attr.orig_attr.max_qp_init_rd_atom < n)
		n = a->attr.orig_attr.max_qp_init_rd_atom;
	if (b->attr.orig_attr.max_qp_rd_atom < n)
		n = b->attr.orig_attr.max_qp_rd_atom;
	return n > 0 ? n : 1;
}

static int qp_to_rtr(struct odp_ep *ep, const struct odp_ep *peer,
		     enum ibv_mtu mtu)
{
	struct ibv_qp_attr attr = {
		.qp_state = IBV_QPS_RTR,
		.path_mtu = mtu,
		.dest_qp_num = peer->qp->qp_num,
		.rq_psn = 0,
		.max_dest_rd_atomic = rd_atomic_depth(peer, ep),
		.min_rnr_timer = 12,
		.ah_attr = {
			.is_global = 1,
			.grh = {
				.dgid = peer->gid,
				.sgid_index = ep->gid_index,
				.hop_limit = 64,
			},
			.port_num = ep->port_num,
		},
	};
	int ret;

	ret = ibv_modify_qp(ep->qp, &attr, IBV_QP_STATE | IBV_QP_AV |
			    IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			    IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
			    IBV_QP_MIN_RNR_TIMER);
	if (ret)
		odp_log("%s: QP to RTR: %s", ep->name, strerror(ret));
	return -ret;
}

static int qp_to_rts(struct odp_ep *ep, const struct odp_ep *peer)
{
	struct ibv_qp_attr attr = {
		.qp_state = IBV_QPS_RTS,
		.timeout = ODP_QP_TIMEOUT,
		.retry_cnt = 7,
		.rnr_retry = 7,
		.sq_psn = 0,
		.max_rd_atomic = rd_atomic_depth(ep, peer),
	};
	int ret;

	ret = ibv_modify_qp(ep->qp, &attr, IBV_QP_STATE | IBV_QP_TIMEOUT |
			    IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			    IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);
	if (ret)
		odp_log("%s: QP to RTS: %s", ep->name, strerror(ret));
	return -ret;
}

int odp_connect(struct odp_ep *a, struct odp_ep *b)
{
	enum ibv_mtu mtu = a->port.active_mtu;
	int ret;

	if (b->port.active_mtu < mtu)
		mtu = b->port.active_mtu;

	ret = qp_to_rtr(a, b, mtu);
	if (!ret)
		ret = qp_to_rtr(b, a, mtu);
	if (!ret)
		ret = qp_to_rts(a, b);
	if (!ret)
		ret = qp_to_rts(b, a);
	return ret;
}

int odp_open_pair(struct odp_ep *loc, struct odp_ep *rem)
{
	int ret;

	ret = odp_ep_open(loc, odp_env_or("ODP_LOCAL_DEV", ODP_LOCAL_DEV));
	if (ret)
		return ret;
	ret = odp_ep_open(rem, odp_env_or("ODP_REMOTE_DEV", ODP_REMOTE_DEV));
	if (!ret)
		ret = odp_connect(loc, rem);
	if (ret) {
		odp_ep_close(rem);
		odp_ep_close(loc);
	}
	return ret;
}

static const char *const odp_cap_names[] = {
	"SEND", "RECV", "WRITE", "READ", "ATOMIC", "SRQ_RECV",
};

int odp_check_caps(const struct odp_ep *ep, uint32_t rc_caps,
		   char *why, size_t why_len)
{
	const struct ibv_odp_caps *caps = &ep->attr.odp_caps;
	uint32_t missing = rc_caps & ~caps->per_transport_caps.rc_odp_caps;
	size_t n;
	int i;

	if (!(caps->general_caps & IBV_ODP_SUPPORT)) {
		snprintf(why, why_len, "%s: no ODP support", ep->name);
		return -EOPNOTSUPP;
	}
	if (!missing)
		return 0;

	n = snprintf(why, why_len, "%s: no RC ODP for", ep->name);
	for (i = 0; i < ARRAY_SIZE(odp_cap_names); i++)
		if ((missing & (1u << i)) && n < why_len)
			n += snprintf(why + n, why_len - n, " %s",
				      odp_cap_names[i]);
	return -EOPNOTSUPP;
}

int odp_check_atomics(const struct odp_ep *ep, char *why, size_t why_len)
{
	if (ep->attr.orig_attr.atomic_cap == IBV_ATOMIC_NONE) {
		snprintf(why, why_len, "%s: no atomic support", ep->name);
		return -EOPNOTSUPP;
	}
	return 0;
}

struct ibv_mr *odp_reg_mr(struct odp_ep *ep, void *addr, size_t len,
			  bool on_demand)
{
	int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		     IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC;
	struct ibv_mr *mr;

	if (on_demand)
		access |= IBV_ACCESS_ON_DEMAND;
	mr = ibv_reg_mr(ep->pd, addr, len, access);
	if (!mr)
		odp_log("%s: ibv_reg_mr(%p, %zu%s): %s", ep->name, addr, len,
			on_demand ? ", ON_DEMAND" : "", strerror(errno));
	return mr;
}

int odp_dereg_mr(struct ibv_mr *mr)
{
	int ret;

	if (!mr)
		return 0;
	ret = ibv_dereg_mr(mr);
	if (ret)
		odp_log("ibv_dereg_mr: %s", strerror(ret));
	return -ret;
}

static int post_one(struct odp_ep *ep, struct ibv_send_wr *wr,
		    struct ibv_mr *mr, void *laddr, uint32_t len)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)laddr,
		.length = len,
		.lkey = mr->lkey,
	};
	struct ibv_send_wr *bad;
	int ret;

	wr->sg_list = &sge;
	wr->num_sge = 1;
	wr->send_flags = IBV_SEND_SIGNALED;
	ret = ibv_post_send(ep->qp, wr, &bad);
	if (ret)
		odp_log("%s: ibv_post_send(opcode %d, %u bytes): %s",
			ep->name, wr->opcode, len, strerror(ret));
	return -ret;
}

int odp_post_write(struct odp_ep *ep, struct ibv_mr *mr, void *laddr,
		   uint32_t len, uint64_t raddr, uint32_t rkey)
{
	struct ibv_send_wr wr = {
		.opcode = IBV_WR_RDMA_WRITE,
		.wr.rdma = { .remote_addr = raddr, .rkey = rkey },
	};

	return post_one(ep, &wr, mr, laddr, len);
}

int odp_post_read(struct odp_ep *ep, struct ibv_mr *mr, void *laddr,
		  uint32_t len, uint64_t raddr, uint32_t rkey)
{
	struct ibv_send_wr wr = {
		.opcode = IBV_WR_RDMA_READ,
		.wr.rdma = { .remote_addr = raddr, .rkey = rkey },
	};

	return post_one(ep, &wr, mr, laddr, len);
}

int odp_post_send(struct odp_ep *ep, struct ibv_mr *mr, void *laddr,
		  uint32_t len)
{
	struct ibv_send_wr wr = { .opcode = IBV_WR_SEND };

	return post_one(ep, &wr, mr, laddr, len);
}

int odp_post_recv(struct odp_ep *ep, struct ibv_mr *mr, void *laddr,
		  uint32_t len)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)laddr,
		.length = len,
		.lkey = mr->lkey,
	};
	struct ibv_recv_wr wr = { .sg_list = &sge, .num_sge = 1 };
	struct ibv_recv_wr *bad;
	int ret;

	ret = ibv_post_recv(ep->qp, &wr, &bad);
	if (ret)
		odp_log("%s: ibv_post_recv(%u bytes): %s", ep->name, len,
			strerror(ret));
	return -ret;
}

int odp_post_fetch_add(struct odp_ep *ep, struct ibv_mr *mr, void *result,
		       uint64_t raddr, uint32_t rkey, uint64_t add)
{
	struct ibv_send_wr wr = {
		.opcode = IBV_WR_ATOMIC_FETCH_AND_ADD,
		.wr.atomic = {
			.remote_addr = raddr,
			.compare_add = add,
			.rkey = rkey,
		},
	};

	return post_one(ep, &wr, mr, result, sizeof(uint64_t));
}

int odp_post_cmp_swp(struct odp_ep *ep, struct ibv_mr *mr, void *result,
		     uint64_t raddr, uint32_t rkey, uint64_t compare,
		     uint64_t swap)
{
	struct ibv_send_wr wr = {
		.opcode = IBV_WR_ATOMIC_CMP_AND_SWP,
		.wr.atomic = {
			.remote_addr = raddr,
			.compare_add = compare,
			.swap = swap,
			.rkey = rkey,
		},
	};

	return post_one(ep, &wr, mr, result, sizeof(uint64_t));
}

static const char *wc_opcode_str(enum ibv_wc_opcode opcode)
{
	switch (opcode) {
	case IBV_WC_SEND:		return "SEND";
	case IBV_WC_RDMA_WRITE:		return "RDMA WRITE";
	case IBV_WC_RDMA_READ:		return "RDMA READ";
	case IBV_WC_COMP_SWAP:		return "CMP_SWP";
	case IBV_WC_FETCH_ADD:		return "FETCH_ADD";
	case IBV_WC_RECV:		return "RECV";
	default:			return "other";
	}
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	       (now.tv_nsec - start->tv_nsec) / 1000000;
}

int odp_wait(struct odp_ep *ep, enum ibv_wc_opcode opcode,
	     struct ibv_wc *out, int timeout_ms)
{
	struct timespec start;
	struct ibv_wc wc;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		n = ibv_poll_cq(ep->cq, 1, &wc);
		if (n < 0) {
			odp_log("%s: ibv_poll_cq: %d", ep->name, n);
			return -EIO;
		}
		if (n == 1)
			break;
		if (elapsed_ms(&start) >= timeout_ms) {
			odp_log("%s: no %s completion within %d ms", ep->name,
				wc_opcode_str(opcode), timeout_ms);
			return -ETIMEDOUT;
		}
		/* rxe does its work in kernel threads: leave them the CPU. */
		usleep(50);
	}
	if (out)
		*out = wc;
	if (wc.status != IBV_WC_SUCCESS) {
		odp_log("%s: %s completion failed: %s (%d), vendor_err 0x%x",
			ep->name, wc_opcode_str(opcode),
			ibv_wc_status_str(wc.status), wc.status, wc.vendor_err);
		return -EIO;
	}
	if (wc.opcode != opcode) {
		odp_log("%s: expected a %s completion, got %s (%d)", ep->name,
			wc_opcode_str(opcode), wc_opcode_str(wc.opcode),
			wc.opcode);
		return -EPROTO;
	}
	return 0;
}

int odp_write_sync(struct odp_ep *ep, struct ibv_mr *mr, void *laddr,
		   uint32_t len, uint64_t raddr, uint32_t rkey)
{
	int ret = odp_post_write(ep, mr, laddr, len, raddr, rkey);

	return ret ? ret : odp_wait(ep, IBV_WC_RDMA_WRITE, NULL,
				    ODP_TIMEOUT_MS);
}

int odp_read_sync(struct odp_ep *ep, struct ibv_mr *mr, void *laddr,
		  uint32_t len, uint64_t raddr, uint32_t rkey)
{
	int ret = odp_post_read(ep, mr, laddr, len, raddr, rkey);

	return ret ? ret : odp_wait(ep, IBV_WC_RDMA_READ, NULL,
				    ODP_TIMEOUT_MS);
}

int odp_fetch_add_sync(struct odp_ep *ep, struct ibv_mr *mr, void *result,
		       uint64_t raddr, uint32_t rkey, uint64_t add)
{
	int ret = odp_post_fetch_add(ep, mr, result, raddr, rkey, add);

	return ret ? ret : odp_wait(ep, IBV_WC_FETCH_ADD, NULL,
				    ODP_TIMEOUT_MS);
}

int odp_cmp_swp_sync(struct odp_ep *ep, struct ibv_mr *mr, void *result,
		     uint64_t raddr, uint32_t rkey, uint64_t compare,
		     uint64_t swap)
{
	int ret = odp_post_cmp_swp(ep, mr, result, raddr, rkey, compare,
				   swap);

	return ret ? ret : odp_wait(ep, IBV_WC_COMP_SWAP, NULL,
				    ODP_TIMEOUT_MS);
}

int odp_send_recv_sync(struct odp_ep *tx, struct ibv_mr *src_mr, void *src,
		       uint32_t len, struct odp_ep *rx, struct ibv_mr *dst_mr,
		       void *dst, uint32_t dst_len, uint32_t *byte_len)
{
	struct ibv_wc wc;
	int ret;

	ret = odp_post_recv(rx, dst_mr, dst, dst_len);
	if (!ret)
		ret = odp_post_send(tx, src_mr, src, len);
	if (!ret)
		ret = odp_wait(tx, IBV_WC_SEND, NULL, ODP_TIMEOUT_MS);
	if (!ret)
		ret = odp_wait(rx, IBV_WC_RECV, &wc, ODP_TIMEOUT_MS);
	if (!ret)
		*byte_len = wc.byte_len;
	return ret;
}

void odp_fill(void *buf, size_t len, unsigned int seed, uint64_t start)
{
	unsigned int v = odp_pattern_byte(start, seed);
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		p[i] = v;
		v += 7;
		if (v >= 251)
			v -= 251;
	}
}

static void report(const uint8_t *buf, size_t len, size_t wrong,
		   size_t first, size_t last, uint8_t want, const char *what)
{
	size_t pgoff = ((uintptr_t)buf + first) & (odp_page_size() - 1);
	uint8_t got = buf[first];

	odp_log("%s: %zu of %zu bytes wrong, first at +%zu (page offset %zu)",
		what, wrong, len, first, pgoff);
	odp_log("%s: got 0x%02x, want 0x%02x; last wrong byte at +%zu",
		what, got, want, last);
}

size_t odp_check(const void *buf, size_t len, unsigned int seed,
		 uint64_t start, const char *what)
{
	unsigned int v = odp_pattern_byte(start, seed);
	size_t i, wrong = 0, first = 0, last = 0;
	const uint8_t *p = buf;
	uint8_t want0 = 0;

	for (i = 0; i < len; i++) {
		if (p[i] != v) {
			if (!wrong++) {
				first = i;
				want0 = v;
			}
			last = i;
		}
		v += 7;
		if (v >= 251)
			v -= 251;
	}
	if (wrong && what) {
		report(p, len, wrong, first, last, want0, what);
		/*
		 * Pattern bytes move by 7 (mod 251) per position, and 36 is
		 * 1/7 mod 251: name the stream position the bad byte came
		 * from, which gives away a missing or wrong offset.
		 */
		if (p[first] < 251) {
			int d = ((p[first] + 251 - want0) % 251) * 36 % 251;

			odp_log("%s: first bad byte is from %+d (mod 251) bytes on",
				what, d > 125 ? d - 251 : d);
		}
	}
	return wrong;
}

size_t odp_compare(const void *buf, const void *want, size_t len,
		   const char *what)
{
	size_t i, wrong = 0, first = 0, last = 0;
	const uint8_t *p = buf, *w = want;

	for (i = 0; i < len; i++) {
		if (p[i] != w[i]) {
			if (!wrong++)
				first = i;
			last = i;
		}
	}
	if (wrong && what)
		report(p, len, wrong, first, last, w[first], what);
	return wrong;
}

static unsigned long pci_attr(const char *bdf, const char *attr)
{
	char path[256];
	unsigned long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	f = fopen(path, "r");
	if (!f)
		return ~0UL;
	if (fscanf(f, "%lx", &v) != 1)
		v = ~0UL;
	fclose(f);
	return v;
}

int odp_find_p2pmem(unsigned int vendor, unsigned int device,
		    unsigned int class, char *bdf, size_t len)
{
	DIR *dir = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	int ret = -ENODEV;

	bdf[0] = '\0';
	if (!dir)
		return ret;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' ||
		    (vendor && pci_attr(de->d_name, "vendor") != vendor) ||
		    (device && pci_attr(de->d_name, "device") != device) ||
		    (class && pci_attr(de->d_name, "class") != class) ||
		    pci_attr(de->d_name, "p2pmem/published") != 1)
			continue;
		snprintf(bdf, len, "%s", de->d_name);
		ret = 0;
		break;
	}
	closedir(dir);
	return ret;
}

int odp_dmirror_cmd(int fd, unsigned long request, void *addr, void *ptr,
		    unsigned long npages, unsigned long *cpages)
{
	struct hmm_dmirror_cmd cmd = {
		.addr = (uintptr_t)addr,
		.ptr = (uintptr_t)ptr,
		.npages = npages,
	};

	if (ioctl(fd, request, &cmd))
		return -errno;
	if (cpages)
		*cpages = cmd.cpages;
	return 0;
}

int odp_dmirror_set_provider(int fd, const char *pci_dev)
{
	struct hmm_dmirror_p2p p2p = {};

	snprintf(p2p.pci_dev, sizeof(p2p.pci_dev), "%s", pci_dev);
	return ioctl(fd, HMM_DMIRROR_P2P_PROVIDER, &p2p) ? -errno : 0;
}

int odp_read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int odp_write_text(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	if (n < 0)
		return -errno;
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

int odp_read_ull(const char *path, unsigned long long *val)
{
	char buf[64], *end;
	int ret;

	ret = odp_read_text(path, buf, sizeof(buf));
	if (ret)
		return ret;
	errno = 0;
	*val = strtoull(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

int odp_hw_counter(const struct odp_ep *ep, const char *name,
		   unsigned long long *val)
{
	char path[256];

	snprintf(path, sizeof(path),
		 "/sys/class/infiniband/%s/ports/%d/hw_counters/%s",
		 ep->name, ep->port_num, name);
	return odp_read_ull(path, val);
}
