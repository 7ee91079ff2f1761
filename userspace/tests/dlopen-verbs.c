// SPDX-License-Identifier: GPL-2.0
/*
 * dlopen-verbs: a libibverbs user shaped like UCX, for devmem-run.sh.  The
 * program does not link libibverbs; it dlopen()s verbs-module.so (next to
 * it, RTLD_LOCAL), which does, and whose calls into libibverbs go through
 * its PLT as uct_ib's do.  The module registers one ODP MR and one pinned
 * MR on DEVICE, each over a buffer of data that must survive the
 * registration, and deregisters them.
 *
 *   dlopen-verbs DEVICE
 *
 * Exit status: 0, or 1 with a message.
 */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	int (*run)(const char *dev);
	char path[PATH_MAX], self[PATH_MAX];
	void *mod;

	if (argc != 2) {
		fprintf(stderr, "usage: dlopen-verbs DEVICE\n");
		return 1;
	}
	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(path, sizeof(path), "%s/verbs-module.so", dirname(self));
	mod = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!mod) {
		fprintf(stderr, "dlopen-verbs: %s\n", dlerror());
		return 1;
	}
	run = (int (*)(const char *))dlsym(mod, "verbs_module_run");
	if (!run) {
		fprintf(stderr, "dlopen-verbs: %s\n", dlerror());
		return 1;
	}
	return run(argv[1]);
}
