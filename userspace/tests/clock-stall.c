// SPDX-License-Identifier: GPL-2.0
/*
 * clock-stall.so: an LD_PRELOAD for perftest.sh's reproducer of perftest's
 * calibration failure.  perftest calls gettimeofday() only to calibrate
 * the TSC at the end of a run (get_clock.c: 200 samples, each a TSC read,
 * gettimeofday(&tv1), then gettimeofday(&tv2) until 100 + 10 * i us have
 * passed, then a TSC read).  This stalls the process once, for
 * CLOCK_STALL_US (default 20000), before the clock is read at the start of
 * sample CLOCK_STALL_SAMPLE (default 100): the TSC counts the stall, the
 * clock does not, as when a vCPU is descheduled at that moment under
 * emulation.  That one sample takes the fit's r^2 below perftest's 0.9.
 * The first caller's buffer is tv1, so a call with it starts a sample.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	static int (*real)(struct timeval *restrict, void *restrict);
	static struct timeval *tv1;
	static long samples;

	if (!real) {
		real = dlsym(RTLD_NEXT, "gettimeofday");
		tv1 = tv;
	}
	if (tv == tv1) {
		const char *at = getenv("CLOCK_STALL_SAMPLE");
		const char *us = getenv("CLOCK_STALL_US");

		if (++samples == (at ? atol(at) : 100))
			usleep(us ? atol(us) : 20000);
	}
	return real(tv, tz);
}
