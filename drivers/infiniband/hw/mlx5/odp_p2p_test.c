// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * KUnit tests of the hardware independent part of mlx5 ODP over DMA
 * aliases of device-private pages (odp_p2p_logic.h): the decisions on
 * their own, then whole pages mapped through the IB core for a PCI
 * device, the way populate_mtt() maps them, with P2PDMA memory of the
 * machine the test runs on.
 */

#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>

#include "odp_p2p_logic.h"

#define TEST_PAGE	0x123456000ULL
#define TEST_BUS_ADDR	0xf0000000ULL	/* P2PDMA bus address, via a switch */

static void mtt_entry_read_only(struct kunit *test)
{
	unsigned long pfn = HMM_PFN_VALID;

	KUNIT_EXPECT_EQ(test, mlx5_odp_p2p_mtt_entry(TEST_PAGE, pfn, false),
			TEST_PAGE | MLX5_ODP_P2P_MTT_READ);
}

static void mtt_entry_writable(struct kunit *test)
{
	unsigned long pfn = HMM_PFN_VALID | HMM_PFN_WRITE;

	KUNIT_EXPECT_EQ(test, mlx5_odp_p2p_mtt_entry(TEST_PAGE, pfn, false),
			TEST_PAGE | MLX5_ODP_P2P_MTT_READ |
			MLX5_ODP_P2P_MTT_WRITE);
}

static void mtt_entry_downgrade(struct kunit *test)
{
	unsigned long pfn = HMM_PFN_VALID | HMM_PFN_WRITE;

	KUNIT_EXPECT_EQ(test, mlx5_odp_p2p_mtt_entry(TEST_PAGE, pfn, true),
			TEST_PAGE | MLX5_ODP_P2P_MTT_READ);
}

/* Aliases, bus address or through the host bridge, encode like any page */
static void mtt_entry_alias(struct kunit *test)
{
	unsigned long pfn = HMM_PFN_VALID | HMM_PFN_WRITE | HMM_PFN_ALIAS;
	unsigned long bus = pfn | HMM_PFN_P2PDMA | HMM_PFN_P2PDMA_BUS;
	unsigned long host = pfn | HMM_PFN_P2PDMA;

	KUNIT_EXPECT_EQ(test, mlx5_odp_p2p_mtt_entry(TEST_BUS_ADDR, bus, false),
			TEST_BUS_ADDR | MLX5_ODP_P2P_MTT_READ |
			MLX5_ODP_P2P_MTT_WRITE);
	KUNIT_EXPECT_EQ(test, mlx5_odp_p2p_mtt_entry(TEST_PAGE, host, false),
			TEST_PAGE | MLX5_ODP_P2P_MTT_READ |
			MLX5_ODP_P2P_MTT_WRITE);
	KUNIT_EXPECT_EQ(test, mlx5_odp_p2p_mtt_entry(TEST_BUS_ADDR, bus, true),
			TEST_BUS_ADDR | MLX5_ODP_P2P_MTT_READ);
}

/* The access bits fit below the page offset of any DMA address */
static void mtt_entry_keeps_address(struct kunit *test)
{
	unsigned long pfn = HMM_PFN_VALID | HMM_PFN_WRITE;
	u64 entry = mlx5_odp_p2p_mtt_entry(TEST_PAGE, pfn, false);

	KUNIT_EXPECT_EQ(test, entry & PAGE_MASK, TEST_PAGE);
	KUNIT_EXPECT_LT(test, MLX5_ODP_P2P_MTT_READ | MLX5_ODP_P2P_MTT_WRITE,
			(u64)PAGE_SIZE);
}

static void map_err_mapped(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, mlx5_odp_p2p_map_err(HMM_PFN_VALID, TEST_PAGE),
			0);
	KUNIT_EXPECT_EQ(test,
			mlx5_odp_p2p_map_err(HMM_PFN_VALID | HMM_PFN_ALIAS,
					     TEST_BUS_ADDR), 0);
	/* Address 0 is a valid DMA address */
	KUNIT_EXPECT_EQ(test, mlx5_odp_p2p_map_err(HMM_PFN_VALID, 0), 0);
}

/* An alias that cannot be mapped: fail this fault only, temporarily */
static void map_err_alias_falls_back(struct kunit *test)
{
	unsigned long pfn = HMM_PFN_VALID | HMM_PFN_WRITE | HMM_PFN_ALIAS;

	if (HMM_PFN_ALIAS == 0)
		kunit_skip(test, "no DMA aliases on this architecture");
	KUNIT_EXPECT_EQ(test, mlx5_odp_p2p_map_err(pfn, DMA_MAPPING_ERROR),
			-EAGAIN);
	KUNIT_EXPECT_EQ(test,
			mlx5_odp_p2p_map_err(pfn | HMM_PFN_P2PDMA |
					     HMM_PFN_P2PDMA_BUS,
					     DMA_MAPPING_ERROR), -EAGAIN);
}

/* Anything else that cannot be mapped stays a hard error */
static void map_err_page_fails(struct kunit *test)
{
	unsigned long pfn = HMM_PFN_VALID | HMM_PFN_WRITE;

	KUNIT_EXPECT_EQ(test, mlx5_odp_p2p_map_err(pfn, DMA_MAPPING_ERROR),
			-EFAULT);
	KUNIT_EXPECT_EQ(test,
			mlx5_odp_p2p_map_err(pfn | HMM_PFN_P2PDMA,
					     DMA_MAPPING_ERROR), -EFAULT);
}

static void ats_needs_cap(struct kunit *test)
{
	int ro = IB_ACCESS_RELAXED_ORDERING;

	KUNIT_EXPECT_FALSE(test, mlx5_odp_p2p_needs_ats(false, true, false, ro));
	KUNIT_EXPECT_FALSE(test, mlx5_odp_p2p_needs_ats(false, false, true, ro));
}

static void ats_needs_relaxed_ordering(struct kunit *test)
{
	int flags = IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE |
		    IB_ACCESS_ON_DEMAND;

	KUNIT_EXPECT_FALSE(test, mlx5_odp_p2p_needs_ats(true, true, false,
							flags));
	KUNIT_EXPECT_FALSE(test, mlx5_odp_p2p_needs_ats(true, false, true,
							flags));
	flags |= IB_ACCESS_RELAXED_ORDERING;
	KUNIT_EXPECT_TRUE(test, mlx5_odp_p2p_needs_ats(true, false, true,
						       flags));
}

/* dma-buf MRs keep upstream's rule; MRs without P2P never use ATS */
static void ats_dmabuf_and_plain(struct kunit *test)
{
	int ro = IB_ACCESS_RELAXED_ORDERING;

	KUNIT_EXPECT_TRUE(test, mlx5_odp_p2p_needs_ats(true, true, false, ro));
	KUNIT_EXPECT_FALSE(test, mlx5_odp_p2p_needs_ats(true, false, false,
							ro));
	KUNIT_EXPECT_FALSE(test, mlx5_odp_p2p_needs_ats(true, false, false,
							ro | IB_ACCESS_ON_DEMAND));
}

/* One-page ODP umem of a device that DMAs through a PCI function */
struct map_test {
	struct ib_device ibdev;
	struct ib_umem_odp odp;
	struct pci_dev *provider, *importer;
	void *p2pmem;
	struct page *page;
};

static void map_test_release(void *data)
{
	struct map_test *mt = data;
	struct device *dev = mt->ibdev.dma_device;

	if (mt->odp.map.pfn_list) {
		hmm_dma_unmap_pfn(dev, &mt->odp.map, 0);
		hmm_dma_map_free(dev, &mt->odp.map);
	}
	bitmap_free(mt->odp.p2p_fallback);
	if (mt->p2pmem)
		pci_free_p2pmem(mt->provider, mt->p2pmem, PAGE_SIZE);
	if (mt->page)
		__free_page(mt->page);
	pci_dev_put(mt->provider);
	pci_dev_put(mt->importer);
}

/*
 * A function that can be an ODP importer: not a bridge, and with a DMA
 * mask that needs no bounce buffers (hmm_dma_map_alloc() refuses others).
 */
static bool map_test_can_import(struct pci_dev *pdev)
{
	return (pdev->class >> 16) != PCI_BASE_CLASS_BRIDGE &&
	       !dma_addressing_limited(&pdev->dev);
}

/*
 * Pick a provider of P2PDMA memory and another PCI function as importer:
 * the nearest pair that can reach each other, or any pair that cannot.
 */
static bool map_test_find_pair(struct map_test *mt, bool reachable)
{
	struct pci_dev *p = NULL, *i;
	int best = -1, dist;
	void *mem;

	for_each_pci_dev(p) {
		mem = pci_alloc_p2pmem(p, PAGE_SIZE);
		if (!mem)
			continue;
		pci_free_p2pmem(p, mem, PAGE_SIZE);
		i = NULL;
		for_each_pci_dev(i) {
			if (i == p || !map_test_can_import(i))
				continue;
			dist = pci_p2pdma_distance(p, &i->dev, false);
			if (reachable ? dist < 0 || (best >= 0 && dist >= best) :
					dist >= 0)
				continue;
			pci_dev_put(mt->provider);
			pci_dev_put(mt->importer);
			mt->provider = pci_dev_get(p);
			mt->importer = pci_dev_get(i);
			best = dist;
		}
	}
	return mt->provider;
}

/* Any PCI function that can import, for system memory pages */
static bool map_test_find_importer(struct map_test *mt)
{
	struct pci_dev *i = NULL;

	for_each_pci_dev(i) {
		if (!mt->importer && map_test_can_import(i))
			mt->importer = pci_dev_get(i);
	}
	return mt->importer;
}

enum map_test_page { MAP_TEST_RAM, MAP_TEST_P2P_NEAR, MAP_TEST_P2P_FAR };

/*
 * A one-page umem for a PCI function as importer: a page of system memory,
 * or of P2PDMA memory it can reach or cannot reach, with @flags.
 */
static struct map_test *map_test_init(struct kunit *test,
				      enum map_test_page what,
				      unsigned long flags)
{
	struct map_test *mt;
	struct device *dev;
	struct page *page;
	bool found;

	mt = kunit_kzalloc(test, sizeof(*mt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mt);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, map_test_release,
							mt), 0);
	if (what == MAP_TEST_RAM)
		found = map_test_find_importer(mt);
	else
		found = map_test_find_pair(mt, what == MAP_TEST_P2P_NEAR);
	if (!found)
		kunit_skip(test, "no PCI function %s",
			   what == MAP_TEST_RAM ? "to import" :
			   what == MAP_TEST_P2P_NEAR ?
			   "that reaches another's P2PDMA memory" :
			   "that cannot reach another's P2PDMA memory");
	dev = &mt->importer->dev;

	if (what == MAP_TEST_RAM) {
		mt->page = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, mt->page);
		page = mt->page;
		kunit_info(test, "importer %s\n", pci_name(mt->importer));
	} else {
		mt->p2pmem = pci_alloc_p2pmem(mt->provider, PAGE_SIZE);
		KUNIT_ASSERT_NOT_NULL(test, mt->p2pmem);
		page = virt_to_page(mt->p2pmem);
		kunit_info(test, "provider %s, importer %s\n",
			   pci_name(mt->provider), pci_name(mt->importer));
	}

	mt->ibdev.dma_device = dev;
	mt->odp.umem.ibdev = &mt->ibdev;
	mt->odp.page_shift = PAGE_SHIFT;
	mutex_init(&mt->odp.umem_mutex);
	mt->odp.p2p_fallback = bitmap_zalloc(1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mt->odp.p2p_fallback);
	KUNIT_ASSERT_EQ(test, hmm_dma_map_alloc(dev, &mt->odp.map, 1,
						PAGE_SIZE), 0);
	mt->odp.map.pfn_list[0] = page_to_pfn(page) | flags;
	return mt;
}

static int map_test_map(struct map_test *mt, __be64 *entry)
{
	struct pci_p2pdma_map_state p2pdma_state = {};
	int err;

	mutex_lock(&mt->odp.umem_mutex);
	err = mlx5_odp_p2p_map_mtt(&mt->odp, 0, false, &p2pdma_state, entry);
	mutex_unlock(&mt->odp.umem_mutex);
	return err;
}

/* The DMA address of @phys for a device without an IOMMU */
static void map_test_expect_direct(struct kunit *test, struct map_test *mt,
				   __be64 entry, phys_addr_t phys)
{
	struct device *dev = &mt->importer->dev;
	u64 rw = MLX5_ODP_P2P_MTT_READ | MLX5_ODP_P2P_MTT_WRITE;

	if (device_iommu_mapped(dev))
		kunit_skip(test, "%s is behind an IOMMU", dev_name(dev));
	KUNIT_EXPECT_EQ(test, be64_to_cpu(entry), phys_to_dma(dev, phys) | rw);
}

/* The core's counters, and whether the page was queued for migration */
static void map_test_expect_stats(struct kunit *test, struct map_test *mt,
				  s64 alias_pages, s64 fallbacks)
{
	struct ib_odp_p2p_stats *stats = &mt->ibdev.odp_p2p_stats;

	KUNIT_EXPECT_EQ(test, atomic64_read(&stats->alias_pages), alias_pages);
	KUNIT_EXPECT_EQ(test, atomic64_read(&stats->fallbacks), fallbacks);
	KUNIT_EXPECT_EQ(test, test_bit(0, mt->odp.p2p_fallback), fallbacks > 0);
}

static void map_mtt_page(struct kunit *test)
{
	struct map_test *mt = map_test_init(test, MAP_TEST_RAM,
					    HMM_PFN_VALID | HMM_PFN_WRITE);
	unsigned long *pfn = &mt->odp.map.pfn_list[0];
	__be64 entry = 0;

	KUNIT_ASSERT_EQ(test, map_test_map(mt, &entry), 0);
	KUNIT_EXPECT_TRUE(test, *pfn & HMM_PFN_DMA_MAPPED);
	KUNIT_EXPECT_FALSE(test, *pfn & HMM_PFN_P2PDMA);
	map_test_expect_stats(test, mt, 0, 0);
	map_test_expect_direct(test, mt, entry, page_to_phys(mt->page));
}

/* A reachable alias becomes an MTT entry with its bus or DMA address */
static void map_mtt_alias_reachable(struct kunit *test)
{
	struct map_test *mt;
	unsigned long *pfn;
	__be64 entry = 0;
	u64 rw = MLX5_ODP_P2P_MTT_READ | MLX5_ODP_P2P_MTT_WRITE;

	if (HMM_PFN_ALIAS == 0)
		kunit_skip(test, "no DMA aliases on this architecture");
	mt = map_test_init(test, MAP_TEST_P2P_NEAR,
			   HMM_PFN_VALID | HMM_PFN_WRITE | HMM_PFN_ALIAS);
	pfn = &mt->odp.map.pfn_list[0];
	KUNIT_ASSERT_EQ(test, map_test_map(mt, &entry), 0);
	KUNIT_EXPECT_TRUE(test, *pfn & HMM_PFN_DMA_MAPPED);
	KUNIT_EXPECT_TRUE(test, *pfn & HMM_PFN_ALIAS);
	map_test_expect_stats(test, mt, 1, 0);
	if (*pfn & HMM_PFN_P2PDMA_BUS) {
		kunit_info(test, "mapped by PCI bus address\n");
		KUNIT_EXPECT_EQ(test, be64_to_cpu(entry),
				pci_p2pmem_virt_to_bus(mt->provider,
						       mt->p2pmem) | rw);
	} else {
		kunit_info(test, "mapped through the host bridge\n");
		KUNIT_EXPECT_TRUE(test, *pfn & HMM_PFN_P2PDMA);
		map_test_expect_direct(test, mt, entry,
				       page_to_phys(virt_to_page(mt->p2pmem)));
	}
}

/* An alias the importer cannot reach: this fault fails, the page migrates */
static void map_mtt_alias_unreachable(struct kunit *test)
{
	struct map_test *mt;
	unsigned long *pfn;
	__be64 entry = cpu_to_be64(0x5a5a5a5a5a5a5a5aULL);

	if (HMM_PFN_ALIAS == 0)
		kunit_skip(test, "no DMA aliases on this architecture");
	mt = map_test_init(test, MAP_TEST_P2P_FAR,
			   HMM_PFN_VALID | HMM_PFN_WRITE | HMM_PFN_ALIAS);
	pfn = &mt->odp.map.pfn_list[0];
	KUNIT_EXPECT_EQ(test, map_test_map(mt, &entry), -EAGAIN);
	KUNIT_EXPECT_EQ(test, be64_to_cpu(entry), 0x5a5a5a5a5a5a5a5aULL);
	KUNIT_EXPECT_FALSE(test, *pfn & HMM_PFN_DMA_MAPPED);
	map_test_expect_stats(test, mt, 0, 1);
}

/* A P2PDMA page that is not an alias (a user mapping of it): as before */
static void map_mtt_p2p_page_unreachable(struct kunit *test)
{
	struct map_test *mt = map_test_init(test, MAP_TEST_P2P_FAR,
					    HMM_PFN_VALID | HMM_PFN_WRITE);
	__be64 entry = 0;

	KUNIT_EXPECT_EQ(test, map_test_map(mt, &entry), -EFAULT);
	map_test_expect_stats(test, mt, 0, 0);
}

static struct kunit_case mlx5_odp_p2p_test_cases[] = {
	KUNIT_CASE(mtt_entry_read_only),
	KUNIT_CASE(mtt_entry_writable),
	KUNIT_CASE(mtt_entry_downgrade),
	KUNIT_CASE(mtt_entry_alias),
	KUNIT_CASE(mtt_entry_keeps_address),
	KUNIT_CASE(map_err_mapped),
	KUNIT_CASE(map_err_alias_falls_back),
	KUNIT_CASE(map_err_page_fails),
	KUNIT_CASE(ats_needs_cap),
	KUNIT_CASE(ats_needs_relaxed_ordering),
	KUNIT_CASE(ats_dmabuf_and_plain),
	KUNIT_CASE(map_mtt_page),
	KUNIT_CASE(map_mtt_alias_reachable),
	KUNIT_CASE(map_mtt_alias_unreachable),
	KUNIT_CASE(map_mtt_p2p_page_unreachable),
	{}
};

static struct kunit_suite mlx5_odp_p2p_test_suite = {
	.name = "mlx5_odp_p2p",
	.test_cases = mlx5_odp_p2p_test_cases,
};

kunit_test_suite(mlx5_odp_p2p_test_suite);

MODULE_DESCRIPTION("KUnit tests of mlx5 ODP over DMA aliases");
MODULE_LICENSE("Dual BSD/GPL");
