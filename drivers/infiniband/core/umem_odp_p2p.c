// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * ODP over DMA aliases of device-private pages.
 *
 * When a page of an ODP MR lives in another device's private memory and
 * its owner offers a PCI P2PDMA alias of it (dev_pagemap_ops.get_dma_alias),
 * hmm_range_fault() can return the alias instead of migrating the page to
 * system memory.  The importer then accesses the data where it is.  HMM
 * decides whether this device can reach the alias's provider; here we ask
 * for aliases, count them, and fall back to migration, one page at a time,
 * when an alias cannot be mapped after all.
 *
 * The importer takes no page references: like any ODP page, an alias is
 * used only until the interval notifier invalidates it, which the owner
 * triggers by migrating the page before it moves or revokes the memory.
 */

#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/hmm.h>
#include <linux/hmm-dma.h>
#include <linux/module.h>
#include <linux/pci-p2pdma.h>

#include <rdma/ib_umem_odp.h>

#include "core_priv.h"

static bool odp_p2p_alias = true;
module_param(odp_p2p_alias, bool, 0644);
MODULE_PARM_DESC(odp_p2p_alias,
		 "ODP MRs use PCI P2PDMA aliases of device-private pages instead of migrating them (default: Y)");

#ifdef CONFIG_FAULT_INJECTION
static DECLARE_FAULT_ATTR(fail_odp_p2p_map);
static struct dentry *fail_odp_p2p_map_dir;

void ib_umem_odp_p2p_init(void)
{
	/* Lets tests make alias mappings fail, to exercise the fallback. */
	fail_odp_p2p_map_dir = fault_create_debugfs_attr("fail_odp_p2p_map",
							 NULL,
							 &fail_odp_p2p_map);
}

void ib_umem_odp_p2p_cleanup(void)
{
	debugfs_remove_recursive(fail_odp_p2p_map_dir);
}

static bool ib_umem_odp_p2p_should_fail(void)
{
	return should_fail(&fail_odp_p2p_map, PAGE_SIZE);
}
#else
void ib_umem_odp_p2p_init(void)
{
}

void ib_umem_odp_p2p_cleanup(void)
{
}

static bool ib_umem_odp_p2p_should_fail(void)
{
	return false;
}
#endif

int ib_umem_odp_p2p_alloc(struct ib_umem_odp *umem_odp, size_t nr_entries)
{
	if (!umem_odp->umem.ibdev->odp_dma_alias)
		return 0;
	umem_odp->p2p_fallback = bitmap_zalloc(nr_entries, GFP_KERNEL);
	return umem_odp->p2p_fallback ? 0 : -ENOMEM;
}

void ib_umem_odp_p2p_free(struct ib_umem_odp *umem_odp)
{
	bitmap_free(umem_odp->p2p_fallback);
	umem_odp->p2p_fallback = NULL;
}

/* Ask hmm_range_fault() for aliases, as this device can use them. */
void ib_umem_odp_p2p_setup_range(struct ib_umem_odp *umem_odp,
				 struct hmm_range *range)
{
	struct ib_device *dev = umem_odp->umem.ibdev;

	if (!umem_odp->p2p_fallback || !READ_ONCE(odp_p2p_alias))
		return;
	if (ib_uses_virt_dma(dev)) {
		range->alias_importer = HMM_ALIAS_CPU;
	} else {
		range->alias_importer = HMM_ALIAS_DMA;
		range->alias_dev = dev->dma_device;
	}
}

static void ib_umem_odp_p2p_fallback(struct ib_umem_odp *umem_odp,
				     size_t idx)
{
	set_bit(idx, umem_odp->p2p_fallback);
	atomic64_inc(&umem_odp->umem.ibdev->odp_p2p_stats.fallbacks);
}

/*
 * Migrate to system memory the pages in [start, end) whose alias this
 * device failed to map.  A fault without an alias request does it; it also
 * invalidates the aliases through our interval notifier.  Called without
 * umem_mutex, with a reference on the mm.
 */
int ib_umem_odp_p2p_migrate(struct ib_umem_odp *umem_odp, unsigned long start,
			    unsigned long end, unsigned long timeout)
{
	size_t idx = (start - ib_umem_start(umem_odp)) >> PAGE_SHIFT;
	size_t last = (end - ib_umem_start(umem_odp)) >> PAGE_SHIFT;
	unsigned long pfn;
	int ret;

	if (!umem_odp->p2p_fallback)
		return 0;
	for (idx = find_next_bit(umem_odp->p2p_fallback, last, idx); idx < last;
	     idx = find_next_bit(umem_odp->p2p_fallback, last, idx + 1)) {
		struct hmm_range range = {
			.notifier = &umem_odp->notifier,
			.start = ib_umem_start(umem_odp) + (idx << PAGE_SHIFT),
			.hmm_pfns = &pfn,
			.default_flags = HMM_PFN_REQ_FAULT,
		};

		if (!test_and_clear_bit(idx, umem_odp->p2p_fallback))
			continue;
		range.end = range.start + PAGE_SIZE;
		pfn = 0;
		ret = hmm_range_fault_unlocked_timeout(&range, timeout);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A software device copies with the CPU and has nothing to map; the fault
 * injection point stands in for a mapping failure.  Returns true if the
 * alias at @idx cannot be used and was queued for migration.
 */
bool ib_umem_odp_p2p_check_virt(struct ib_umem_odp *umem_odp, size_t idx)
{
	if (ib_umem_odp_p2p_should_fail()) {
		ib_umem_odp_p2p_fallback(umem_odp, idx);
		return true;
	}
	atomic64_inc(&umem_odp->umem.ibdev->odp_p2p_stats.alias_pages);
	return false;
}

/**
 * ib_umem_odp_map_pfn - DMA map one page of an ODP umem for its device
 * @umem_odp: the umem
 * @idx: index of the page in umem_odp->map
 * @p2pdma_state: P2P state, one per mapping pass, as for hmm_dma_map_pfn()
 *
 * Maps like hmm_dma_map_pfn().  If the page is a DMA alias of a
 * device-private page and cannot be mapped, it is queued to be migrated to
 * system memory by the next ib_umem_odp_map_dma_and_lock() covering it, so
 * the driver only has to fail this fault; no other page is affected.
 * Must be called with umem_mutex held.
 *
 * Return: the DMA address, or DMA_MAPPING_ERROR.
 */
dma_addr_t ib_umem_odp_map_pfn(struct ib_umem_odp *umem_odp, size_t idx,
			       struct pci_p2pdma_map_state *p2pdma_state)
{
	struct ib_device *dev = umem_odp->umem.ibdev;
	unsigned long pfn = umem_odp->map.pfn_list[idx];
	bool new_alias = (pfn & HMM_PFN_ALIAS) && !(pfn & HMM_PFN_DMA_MAPPED);
	dma_addr_t addr;

	lockdep_assert_held(&umem_odp->umem_mutex);
	if (new_alias && ib_umem_odp_p2p_should_fail())
		addr = DMA_MAPPING_ERROR;
	else
		addr = hmm_dma_map_pfn(dev->dma_device, &umem_odp->map, idx,
				       p2pdma_state);
	if (!new_alias)
		return addr;
	if (addr == DMA_MAPPING_ERROR)
		ib_umem_odp_p2p_fallback(umem_odp, idx);
	else
		atomic64_inc(&dev->odp_p2p_stats.alias_pages);
	return addr;
}
EXPORT_SYMBOL(ib_umem_odp_map_pfn);
