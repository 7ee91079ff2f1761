// SPDX-License-Identifier: GPL-2.0
/*
 * clock-stall.so: an LD_PRELOAD for perftest.sh's reproducer of perftest's
 * calibration failure.  perftest calls gettimeofday() only to calibrate
 * the TSC at the end of a run (get_clock.c: 200 samples, each a TSC read,
 * gettimeofday(&tv1), then gettimeofday(&tv2) until 100 + 10 * i us have
 * passed, then a TSC read).  This stalls the process once, for
 * CLOCK_STALL_US (default 200000), before the clock is read at the start
 * of sample CLOCK_STALL_SAMPLE (default 100): the TSC counts the stall,
 * the clock does not, as when a vCPU is descheduled at that moment under
 * emulation.  That one sample takes the fit's r^2 below perftest's 0.9,
 * to about 0.01 here.  It is long on purpose: host stalls inside other
 * samples, which both clocks count, widen their spread, and once, under
 * load, a 20 ms stall left r^2 above 0.9.  The stall is reported on
 * stderr, so that a run tells one that did not happen from one that did
 * not count.
 * The first caller's buffer is tv1, so a call with it starts a sample.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
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

		long stall = us ? atol(us) : 200000;

		if (++samples == (at ? atol(at) : 100)) {
			usleep(stall);
			fprintf(stderr, "clock-stall: calibration sample %ld stalled for %ld us\n",
				samples, stall);
		}
	}
	return real(tv, tz);
}
