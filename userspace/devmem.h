/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What devmem-run (the wrapper) and devmem-run.so (the preload) agree on:
 * the environment the wrapper sets, and the records the preload writes to
 * the report file descriptor, one line each:
 *
 *   mr pid=P id=N call=NAME addr=0xA length=L pages=N placed=N device=N ram=N absent=N at=dereg|exit
 *   nonodp pid=P call=NAME addr=0xA length=L device=N
 *   implicit pid=P call=NAME
 *   error pid=P call=NAME addr=0xA length=L errno=E what=TEXT
 *
 * pages: the page-aligned interior of the range; placed: pages of it on
 * the device after the last placement (before the registration, and again
 * when a QP became ready to receive or send); device, ram and absent: where
 * those pages were when the MR was deregistered, or at exit.
 */
#ifndef DEVMEM_H
#define DEVMEM_H

#define DEVMEM_ENV_DEVICE	"DEVMEM_RUN_DEVICE"
#define DEVMEM_ENV_FD		"DEVMEM_RUN_FD"
#define DEVMEM_ENV_QUIET	"DEVMEM_RUN_QUIET"

#endif
