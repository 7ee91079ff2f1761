/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * mlx5 ODP over DMA aliases of device-private pages: the parts that do not
 * touch the hardware, from the DMA mapping of a page to its MTT entry.
 * Header only: populate_mtt() inlines them into its per-page loop, and the
 * KUnit test builds them into kernels without the mlx5 drivers.
 */

#ifndef _MLX5_IB_ODP_P2P_LOGIC_H
#define _MLX5_IB_ODP_P2P_LOGIC_H

#include <linux/bits.h>
#include <linux/dma-mapping.h>
#include <linux/errno.h>
#include <linux/hmm.h>
#include <linux/types.h>
#include <rdma/ib_umem_odp.h>
#include <rdma/ib_verbs.h>

/* Same values as MLX5_IB_MTT_READ and MLX5_IB_MTT_WRITE, see odp_p2p.c */
#define MLX5_ODP_P2P_MTT_READ	BIT_ULL(0)
#define MLX5_ODP_P2P_MTT_WRITE	BIT_ULL(1)

/**
 * mlx5_odp_p2p_mtt_entry - MTT entry of one ODP page
 * @addr: DMA address of the page, as returned by ib_umem_odp_map_pfn()
 * @hmm_pfn: the page's entry in umem_odp->map.pfn_list
 * @downgrade: the fault maps the page read-only
 *
 * Aliases are encoded like system memory pages: @addr is a PCI bus address
 * (P2PDMA through a switch) or an IOVA (through the host bridge), and the
 * device uses either as is.
 *
 * Return: the entry in CPU byte order.
 */
static inline u64 mlx5_odp_p2p_mtt_entry(dma_addr_t addr,
					 unsigned long hmm_pfn, bool downgrade)
{
	u64 entry = (u64)addr | MLX5_ODP_P2P_MTT_READ;

	if ((hmm_pfn & HMM_PFN_WRITE) && !downgrade)
		entry |= MLX5_ODP_P2P_MTT_WRITE;
	return entry;
}

/**
 * mlx5_odp_p2p_map_err - what a DMA mapping result means for a fault
 * @hmm_pfn: the page's entry in umem_odp->map.pfn_list
 * @addr: the result of ib_umem_odp_map_pfn() for it
 *
 * A DMA alias that cannot be mapped has been queued for migration to
 * system memory by ib_umem_odp_map_pfn(); the next fault covering it
 * migrates it, so this fault only has to end with a temporary error: the
 * page fault handlers resume the QP without error on -EAGAIN and the
 * device faults again.  Any other mapping failure is final, as before.
 *
 * Return: 0 if @addr can be used, -EAGAIN for an alias to fall back on,
 * -EFAULT otherwise.
 */
static inline int mlx5_odp_p2p_map_err(unsigned long hmm_pfn, dma_addr_t addr)
{
	if (addr != DMA_MAPPING_ERROR)
		return 0;
	if (hmm_pfn & HMM_PFN_ALIAS)
		return -EAGAIN;
	return -EFAULT;
}

#ifdef CONFIG_INFINIBAND_ON_DEMAND_PAGING
/**
 * mlx5_odp_p2p_map_mtt - DMA map one ODP page and build its MTT entry
 * @odp: the umem, with umem_mutex held
 * @idx: index of the page in odp->map.pfn_list
 * @downgrade: map the page read-only
 * @p2pdma_state: P2P state, one per populate_mtt() call
 * @entry: the MTT entry, set on success only
 *
 * Return: 0, -EAGAIN if the page is a DMA alias that could not be mapped
 * (the core queued it for migration: fail this fault and let the device
 * fault again), or -EFAULT.
 */
static inline int mlx5_odp_p2p_map_mtt(struct ib_umem_odp *odp, size_t idx,
				       bool downgrade,
				       struct pci_p2pdma_map_state *p2pdma_state,
				       __be64 *entry)
{
	unsigned long pfn = odp->map.pfn_list[idx];
	dma_addr_t addr;
	int err;

	addr = ib_umem_odp_map_pfn(odp, idx, p2pdma_state);
	err = mlx5_odp_p2p_map_err(pfn, addr);
	if (err)
		return err;

	*entry = cpu_to_be64(mlx5_odp_p2p_mtt_entry(addr, pfn, downgrade));
	return 0;
}
#endif

/**
 * mlx5_odp_p2p_needs_ats - whether an MR's mkey translates with ATS
 * @ats_cap: the device has the ats capability
 * @is_dmabuf: the MR is a dma-buf MR
 * @may_alias: the MR is an ODP MR of a device that uses DMA aliases
 * @access_flags: the MR's IB_ACCESS_* flags
 *
 * The rule of mlx5_umem_needs_ats() for dma-buf MRs: P2P is assumed, and
 * ATS is only safe together with relaxed ordering.  An ODP MR that may
 * hold aliases may be P2P too, so it follows the same rule.
 */
static inline bool mlx5_odp_p2p_needs_ats(bool ats_cap, bool is_dmabuf,
					  bool may_alias, int access_flags)
{
	if (!ats_cap || !(is_dmabuf || may_alias))
		return false;
	return access_flags & IB_ACCESS_RELAXED_ORDERING;
}

#endif /* _MLX5_IB_ODP_P2P_LOGIC_H */
