// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * KUnit tests of the hardware independent decisions of mlx5 ODP over DMA
 * aliases of device-private pages (odp_p2p_logic.h).
 */

#include <kunit/test.h>

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
	{}
};

static struct kunit_suite mlx5_odp_p2p_test_suite = {
	.name = "mlx5_odp_p2p",
	.test_cases = mlx5_odp_p2p_test_cases,
};

kunit_test_suite(mlx5_odp_p2p_test_suite);

MODULE_DESCRIPTION("KUnit tests of mlx5 ODP over DMA aliases");
MODULE_LICENSE("Dual BSD/GPL");
