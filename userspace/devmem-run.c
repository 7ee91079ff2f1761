// SPDX-License-Identifier: GPL-2.0
/*
 * devmem-run: run an unmodified libibverbs program with its ODP memory
 * regions in the device memory of a test_hmm dmirror device, through the
 * devmem-run.so preload, and report where the pages of each MR were at
 * the end.  devmem-run --help says everything.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_hmm_uapi.h"
#include "devmem.h"

#define EXIT_NO_ODP	3	/* the program registered no ODP memory */
#define EXIT_USAGE	2

static const char help[] =
"NAME\n"
"    devmem-run - run a libibverbs program with its ODP MRs in device memory\n"
"\n"
"SYNOPSIS\n"
"    devmem-run [--device PATH] [--provider PCI] [--report FILE] [--quiet]\n"
"               -- PROGRAM [ARGS...]\n"
"\n"
"DESCRIPTION\n"
"    Runs PROGRAM with devmem-run.so preloaded.  Before each ODP registration\n"
"    it makes (ibv_reg_mr, ibv_reg_mr_iova, ibv_reg_mr_iova2 with\n"
"    IBV_ACCESS_ON_DEMAND), the page-aligned interior of the range moves into\n"
"    the device-private memory of a test_hmm device (HMM_DMIRROR_MIGRATE_TO_DEV);\n"
"    then the registration goes on as the program asked.  Programs often\n"
"    write their buffers after registering them (perftest fills them with\n"
"    random bytes), which migrates those pages back to RAM: when a QP of the\n"
"    program becomes ready to receive or send (ibv_modify_qp to RTR or RTS),\n"
"    what left the device of each MR moves there again.  Partial pages at\n"
"    either end stay where they are.  An RDMA device that can use DMA aliases\n"
"    of device-private pages (see Documentation/mm/hmm.rst) then reads and\n"
"    writes them on the device; one that cannot migrates them back to RAM on\n"
"    its first access.  At exit devmem-run reports, per MR, how many pages\n"
"    were on the device after the last move (placed) and how many of those\n"
"    had a DMA alias (aliased: a device page without one, outside the\n"
"    window of P2PDMA memory of its chunk, migrates on the NIC's first\n"
"    access), and how many were still on the device (device, alias) or back\n"
"    in RAM when the MR was deregistered (or when the program exited with it\n"
"    still registered), as text and as one machine-readable line per MR and\n"
"    in all:\n"
"        DEVMEM_RUN_MR id=N pid=P call=NAME addr=A length=L pages=N placed=N\n"
"                      aliased=N device=N alias=N ram=N absent=N\n"
"                      at=dereg|exit\n"
"        DEVMEM_RUN mrs=N pages=N placed=N aliased=N device=N alias=N ram=N\n"
"                   absent=N nonodp=N errors=N status=S\n"
"\n"
"    A registration without IBV_ACCESS_ON_DEMAND is left in RAM, with a\n"
"    message: pinning device-private memory migrates it, so a pinned MR can\n"
"    never use device memory; dma-buf (ibv_reg_dmabuf_mr) is what exporters\n"
"    offer for that.\n"
"\n"
"    The CPU accesses of PROGRAM to such a buffer migrate the pages they\n"
"    touch back to RAM, as for any device-private memory.  Latency tests that\n"
"    poll their buffer with the CPU (ib_write_lat, ib_read_lat) therefore\n"
"    measure the migration path for the pages they poll, not device memory.\n"
"\n"
"OPTIONS\n"
"    -d, --device PATH\n"
"        the test_hmm device whose memory to use (default /dev/hmm_dmirror0);\n"
"        it must be a device-private one (/dev/hmm_dmirror0 or 1)\n"
"    -p, --provider PCI\n"
"        first make the PCI function PCI (e.g. 0000:04:00.0), which must have\n"
"        published P2PDMA memory (/sys/bus/pci/devices/PCI/p2pmem), keep the\n"
"        data of the device's pages (HMM_DMIRROR_P2P_PROVIDER): their DMA\n"
"        aliases are in its BAR.  \"none\" goes back to system memory, where\n"
"        pages have no alias.  Default: leave the device as it is.  Changing\n"
"        it fails while another process has pages on the device\n"
"    -r, --report FILE\n"
"        also write the machine-readable lines to FILE\n"
"    -q, --quiet\n"
"        print only the machine-readable lines\n"
"    -h, --help\n"
"        this text\n"
"\n"
"ENVIRONMENT\n"
"    DEVMEM_RUN_PRELOAD  the preload to use (default: devmem-run.so next to\n"
"                        devmem-run); LD_PRELOAD is kept, after it\n"
"\n"
"EXIT STATUS\n"
"    PROGRAM's exit status, or 128 + the signal that ended it; 3 if it\n"
"    succeeded but registered no ODP memory; 2 for a usage error, a device\n"
"    or provider that cannot be used; 127 if PROGRAM cannot be run.\n"
"\n"
"EXAMPLES\n"
"    ip netns exec peer devmem-run -- ib_write_bw -d rxe1 -x 1 --odp &\n"
"    devmem-run -p 0000:04:00.0 -- ib_write_bw -d rxe0 -x 1 --odp 192.168.77.2\n"
"\n"
"NOTES\n"
"    Needs test_hmm (CONFIG_TEST_HMM) and read-write access to its device;\n"
"    runs as any user who has that and can use libibverbs.  The memory must\n"
"    be anonymous and private (malloc, posix_memalign, MAP_PRIVATE |\n"
"    MAP_ANONYMOUS): file and shared mappings cannot become device-private\n"
"    and stay where they are (reported as not on the device).  Implicit ODP\n"
"    MRs (the whole address space) move nothing.\n";

static const char *me = "devmem-run";

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", me);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(EXIT_USAGE);
}

/* Open the dmirror device, or say clearly why it cannot be used */
static int open_device(const char *path)
{
	struct hmm_dmirror_cmd cmd = { 0 };
	unsigned char prot;
	struct stat st;
	int fd;

	if (stat(path, &st))
		usage_error("no device %s: %s (is test_hmm loaded? CONFIG_TEST_HMM)",
			    path, strerror(errno));
	if (!S_ISCHR(st.st_mode))
		usage_error("%s is not a test_hmm device (not a character device)",
			    path);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		usage_error("cannot open %s: %s", path, strerror(errno));
	/* A snapshot of one page of our stack: only a dmirror answers it */
	cmd.addr = (unsigned long)&prot & ~(sysconf(_SC_PAGESIZE) - 1);
	cmd.ptr = (unsigned long)&prot;
	cmd.npages = 1;
	if (ioctl(fd, HMM_DMIRROR_SNAPSHOT, &cmd))
		usage_error("%s is not a test_hmm device: %s", path,
			    strerror(errno));
	return fd;
}

static void set_provider(int fd, const char *path, const char *pci)
{
	struct hmm_dmirror_p2p p2p = { 0 };
	const char *name = strcmp(pci, "none") ? pci : "";

	if (strlen(name) >= sizeof(p2p.pci_dev))
		usage_error("no PCI device %s (names are like 0000:04:00.0)", pci);
	strcpy(p2p.pci_dev, name);
	if (!ioctl(fd, HMM_DMIRROR_P2P_PROVIDER, &p2p))
		return;
	switch (errno) {
	case ENODEV:
		usage_error("no PCI device %s (see /sys/bus/pci/devices)", pci);
	case EINVAL:
		usage_error("PCI device %s cannot be the P2PDMA provider of %s: it has no published P2PDMA memory (/sys/bus/pci/devices/%s/p2pmem/published), or %s is not device-private memory",
			    pci, path, pci, path);
	case EBUSY:
		usage_error("cannot change the provider of %s to %s: another process has pages in its device memory",
			    path, pci);
	case ENOTTY:
		usage_error("%s cannot choose a P2PDMA provider: kernel without the ODP P2P series", path);
	case EOPNOTSUPP:
		usage_error("%s cannot use P2PDMA memory: kernel without CONFIG_PCI_P2PDMA",
			    path);
	default:
		usage_error("cannot make %s the provider of %s: %s", pci, path,
			    strerror(errno));
	}
}

/* The preload: $DEVMEM_RUN_PRELOAD, else devmem-run.so next to us */
static char *preload_path(void)
{
	const char *env = getenv("DEVMEM_RUN_PRELOAD");
	char exe[PATH_MAX], *lib;
	ssize_t n;

	if (env && *env)
		lib = strdup(env);
	else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n < 0)
			usage_error("cannot find myself (/proc/self/exe): %s",
				    strerror(errno));
		exe[n] = 0;
		if (asprintf(&lib, "%s/devmem-run.so", dirname(exe)) < 0)
			lib = NULL;
	}
	if (!lib)
		usage_error("out of memory");
	if (access(lib, R_OK))
		usage_error("no preload %s: %s", lib, strerror(errno));
	return lib;
}

struct totals {
	unsigned long mrs, pages, placed, aliased, device, alias, ram, absent;
	unsigned long nonodp, errors;
	unsigned long implicit;
};

static unsigned long field(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p ? strtoul(p + strlen(key), NULL, 0) : 0;
}

static void copy_field(char *dst, size_t len, const char *line,
		       const char *key)
{
	const char *p = strstr(line, key);
	size_t n;

	*dst = 0;
	if (!p)
		return;
	p += strlen(key);
	n = strcspn(p, " \n");
	if (n >= len)
		n = len - 1;
	memcpy(dst, p, n);
	dst[n] = 0;
}

/* Turn the preload's records into the report; out may be NULL */
static void report(FILE *in, FILE *out, int quiet, struct totals *t)
{
	char line[512], call[64], at[16], addr[32];

	while (fgets(line, sizeof(line), in)) {
		if (!strncmp(line, "mr ", 3)) {
			t->mrs++;
			t->pages += field(line, " pages=");
			t->placed += field(line, " placed=");
			t->aliased += field(line, " aliased=");
			t->device += field(line, " device=");
			t->alias += field(line, " alias=");
			t->ram += field(line, " ram=");
			t->absent += field(line, " absent=");
			copy_field(call, sizeof(call), line, " call=");
			copy_field(at, sizeof(at), line, " at=");
			copy_field(addr, sizeof(addr), line, " addr=");
			if (!quiet)
				fprintf(stderr, "%s: MR %lu (%s, pid %lu) %s+%lu: %lu pages, %lu on the device after the last move (%lu with a DMA alias); at %s %lu on the device (%lu with an alias), %lu back in RAM, %lu not present\n",
					me, field(line, " id="), call,
					field(line, " pid="), addr,
					field(line, " length="),
					field(line, " pages="),
					field(line, " placed="),
					field(line, " aliased="),
					strcmp(at, "exit") ? "deregistration" : "exit",
					field(line, " device="),
					field(line, " alias="),
					field(line, " ram="),
					field(line, " absent="));
			fprintf(stderr, "DEVMEM_RUN_MR %s", line + 3);
			if (out)
				fprintf(out, "DEVMEM_RUN_MR %s", line + 3);
		} else if (!strncmp(line, "nonodp ", 7)) {
			t->nonodp++;
		} else if (!strncmp(line, "implicit ", 9)) {
			t->implicit++;
		} else if (!strncmp(line, "error ", 6)) {
			t->errors++;
			if (!quiet)
				fprintf(stderr, "%s: %s", me, line);
		}
	}
}

static void total(FILE *f, const struct totals *t, int status)
{
	fprintf(f, "DEVMEM_RUN mrs=%lu pages=%lu placed=%lu aliased=%lu device=%lu alias=%lu ram=%lu absent=%lu nonodp=%lu errors=%lu status=%d\n",
		t->mrs, t->pages, t->placed, t->aliased, t->device, t->alias,
		t->ram, t->absent, t->nonodp, t->errors, status);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "provider", required_argument, NULL, 'p' },
		{ "report", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *device = "/dev/hmm_dmirror0", *provider = NULL;
	const char *report_file = NULL;
	char *lib, *env, fdstr[16];
	struct totals t = { 0 };
	int quiet = 0, c, fd, rfd, status, ret;
	FILE *in, *out = NULL;
	pid_t pid;

	while ((c = getopt_long(argc, argv, "+d:p:r:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			device = optarg;
			break;
		case 'p':
			provider = optarg;
			break;
		case 'r':
			report_file = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			fputs(help, stdout);
			return 0;
		default:
			usage_error("try --help");
		}
	}
	if (optind >= argc)
		usage_error("no program given (devmem-run [OPTIONS] -- PROGRAM [ARGS...]; try --help)");

	fd = open_device(device);
	if (provider)
		set_provider(fd, device, provider);
	close(fd);
	lib = preload_path();
	if (report_file) {
		out = fopen(report_file, "w");
		if (!out)
			usage_error("cannot write %s: %s", report_file,
				    strerror(errno));
	}

	/* The preload appends its records here; a memfd needs no cleanup */
	rfd = memfd_create("devmem-run-report", 0);
	if (rfd < 0)
		usage_error("memfd_create: %s", strerror(errno));
	snprintf(fdstr, sizeof(fdstr), "%d", rfd);
	env = getenv("LD_PRELOAD");
	if (env && *env) {
		char *both;

		if (asprintf(&both, "%s:%s", lib, env) < 0)
			usage_error("out of memory");
		lib = both;
	}
	if (setenv("LD_PRELOAD", lib, 1) || setenv(DEVMEM_ENV_DEVICE, device, 1) ||
	    setenv(DEVMEM_ENV_FD, fdstr, 1) ||
	    (quiet && setenv(DEVMEM_ENV_QUIET, "1", 1)))
		usage_error("setenv: %s", strerror(errno));

	pid = fork();
	if (pid < 0)
		usage_error("fork: %s", strerror(errno));
	if (!pid) {
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "%s: cannot run %s: %s\n", me, argv[optind],
			strerror(errno));
		_exit(127);
	}
	/* The program gets the terminal's signals; we wait for its report */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			usage_error("waitpid: %s", strerror(errno));
	ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (ret == 127)
		return ret;

	lseek(rfd, 0, SEEK_SET);
	in = fdopen(rfd, "r");
	if (!in)
		usage_error("fdopen: %s", strerror(errno));
	report(in, out, quiet, &t);
	if (WIFSIGNALED(status))
		fprintf(stderr, "%s: %s killed by signal %d: MRs it still had are not in the report\n",
			me, argv[optind], WTERMSIG(status));
	else if (!ret && !t.mrs && !t.implicit) {
		fprintf(stderr, "%s: %s registered no ODP memory (%lu registrations without IBV_ACCESS_ON_DEMAND): nothing was moved to %s\n",
			me, argv[optind], t.nonodp, device);
		ret = EXIT_NO_ODP;
	}
	if (!quiet)
		fprintf(stderr, "%s: %lu ODP MRs, %lu pages: %lu moved to %s (%lu with a DMA alias), at the end %lu on the device, %lu back in RAM, %lu not present\n",
			me, t.mrs, t.pages, t.placed, device, t.aliased,
			t.device, t.ram, t.absent);
	total(stderr, &t, ret);
	if (out) {
		total(out, &t, ret);
		if (fclose(out))
			usage_error("cannot write %s: %s", report_file,
				    strerror(errno));
	}
	return ret;
}
