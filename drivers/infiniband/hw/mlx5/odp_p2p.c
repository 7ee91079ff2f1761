// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * mlx5 ODP over DMA aliases of device-private pages.
 *
 * The IB core asks hmm_range_fault() for the PCI P2PDMA alias of a page
 * that another device keeps in its private memory, with our DMA device as
 * the importer (ib_device.odp_dma_alias), and maps it with
 * ib_umem_odp_map_pfn().  odp_p2p_logic.h turns the result into an MTT
 * entry, or a mapping failure of an alias into a temporary fault error (the
 * core migrates the page before the next fault covering it); here mlx5
 * opts in and reports the core's counters.
 */

#include <linux/build_bug.h>
#include <rdma/restrack.h>

#include "mlx5_ib.h"
#include "odp_p2p_logic.h"

static_assert(MLX5_ODP_P2P_MTT_READ == MLX5_IB_MTT_READ);
static_assert(MLX5_ODP_P2P_MTT_WRITE == MLX5_IB_MTT_WRITE);

/* ODP works on this device: let the core fault in DMA aliases for it. */
void mlx5_odp_p2p_init_one(struct mlx5_ib_dev *dev)
{
	dev->ib_dev.odp_dma_alias = 1;
}

/* The core's per-device counters, with the per-MR ODP counters */
int mlx5_odp_p2p_fill_stats(struct sk_buff *msg, struct ib_device *ibdev)
{
	struct ib_odp_p2p_stats *stats = &ibdev->odp_p2p_stats;

	if (!ibdev->odp_dma_alias)
		return 0;

	if (rdma_nl_stat_hwcounter_entry(msg, "odp_p2p_alias_pages",
					 atomic64_read(&stats->alias_pages)) ||
	    rdma_nl_stat_hwcounter_entry(msg, "odp_p2p_fallbacks",
					 atomic64_read(&stats->fallbacks)) ||
	    rdma_nl_stat_hwcounter_entry(msg, "odp_p2p_invalidations",
					 atomic64_read(&stats->invalidations)))
		return -EMSGSIZE;
	return 0;
}
