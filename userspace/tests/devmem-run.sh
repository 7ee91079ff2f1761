#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# devmem-run's --help and its errors, each with its exit status and
# message; a program that makes no ODP registration, and one whose
# registration is not ODP (ib_write_bw without --odp between the RDMA pair
# of the machine); a program that loads libibverbs with dlopen(), as UCX
# and Open MPI do.  Prints KTAP.
. "$(dirname "$0")/lib.sh"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# expect NAME STATUS PATTERN -- DEVMEM-RUN-ARGS: exit status and stderr
expect()
{
	local name=$1 want=$2 pattern=$3 rc

	shift 4
	"$DEVMEM_RUN" "$@" >"$out/stdout" 2>"$out/stderr"
	rc=$?
	if [ "$rc" = "$want" ] && grep -Eq -- "$pattern" "$out/stderr" "$out/stdout"; then
		ktap_result "$name" 0
	else
		{ echo "exit $rc, wanted $want and /$pattern/:"; cat "$out/stderr"; } | ktap_diag
		ktap_result "$name" 1
	fi
}

ktap_plan 14
dev=/dev/hmm_dmirror0
provider=$(p2p_provider)
other=$(not_p2p_provider)

if "$DEVMEM_RUN" --help > "$out/help" && [ "$(grep -cE '^(NAME|SYNOPSIS|DESCRIPTION|OPTIONS|ENVIRONMENT|EXIT STATUS|EXAMPLES|NOTES)$' "$out/help")" = 8 ] &&
   grep -q -- '--provider PCI' "$out/help" && grep -q -- '--device PATH' "$out/help"; then
	ktap_result "help" 0
else
	ktap_diag < "$out/help"
	ktap_result "help" 1
fi
expect "no_program" 2 "no program given" --
expect "bad_option" 2 "unrecognized option|try --help" -- --frobnicate -- true
expect "no_device" 2 "no device /dev/hmm_dmirror_none: No such file" -- -d /dev/hmm_dmirror_none -- true
expect "not_a_dmirror" 2 "/dev/null is not a test_hmm device" -- -d /dev/null -- true

if [ ! -c "$dev" ]; then
	for t in no_pci_device not_p2p_capable no_such_program status_passed \
		 killed no_odp not_odp dlopen; do
		ktap_result "$t" 4 "no $dev (CONFIG_TEST_HMM)"
	done
	ktap_result "preload_missing" 4 "no $dev"
	exit 0
fi
expect "no_pci_device" 2 "no PCI device 0000:ff:1f.7" -- -p 0000:ff:1f.7 -- true
if [ -n "$other" ]; then
	expect "not_p2p_capable" 2 "PCI device $other cannot be the P2PDMA provider.*no published P2PDMA memory" -- -p "$other" -- true
else
	ktap_result "not_p2p_capable" 4 "every PCI function has p2pmem"
fi
expect "no_such_program" 127 "cannot run /nonexistent/prog: No such file" -- -- /nonexistent/prog
expect "status_passed" 5 "DEVMEM_RUN .* status=5" -- -- sh -c 'exit 5'
expect "killed" 137 "killed by signal 9" -- -- sh -c 'kill -9 $$'
expect "no_odp" 3 "true registered no ODP memory \(0 registrations" -- -- true
DEVMEM_RUN_PRELOAD=/nonexistent.so expect "preload_missing" 2 "no preload /nonexistent.so" -- -- true

# A pinned registration between the two ends of the RDMA pair
read -r ldev _ _ lgid < <(rdma_ports | awk '$2 == "-"' | head -1)
read -r rdev rns rip rgid < <(rdma_ports | awk '$2 != "-"' | head -1)
if [ -z "$ldev" ] || [ -z "$rdev" ] || ! command -v ib_write_bw >/dev/null; then
	ktap_result "not_odp" 4 "no RDMA pair across namespaces, or no perftest"
	ktap_result "dlopen" 4 "no RDMA pair across namespaces"
	exit 0
fi
perftest_server "$rns" timeout 120 ib_write_bw -d "$rdev" -x "$rgid" -s 8192 -n 20 \
	"${perftest_opts[@]}" >"$out/server" 2>&1
"$DEVMEM_RUN" -- timeout 120 ib_write_bw -d "$ldev" -x "$lgid" -s 8192 -n 20 "${perftest_opts[@]}" "$rip" \
	>"$out/stdout" 2>"$out/stderr"
rc=$?
if [ $rc = 3 ] && grep -q "ibv_reg_mr.* without IBV_ACCESS_ON_DEMAND: left in RAM.*dma-buf" "$out/stderr" &&
   grep -q "^DEVMEM_RUN mrs=0 .* nonodp=1 " "$out/stderr" && grep -q "BW average" "$out/stdout"; then
	ktap_result "not_odp" 0
else
	{ echo "exit $rc, wanted 3, a message, nonodp=1 and a completed run:"; cat "$out/stdout" "$out/stderr"; } | ktap_diag
	ktap_result "not_odp" 1
fi
wait

# libibverbs in a local scope (dlopen-verbs.c): the ODP MR's 32 whole pages
# moved to the device and its data intact, the pinned one passed on and
# counted; before, the preload found no libibverbs and aborted the program.
"$DEVMEM_RUN" -r "$out/report" -- "$(dirname "$DEVMEM_RUN")/dlopen-verbs" "$ldev" \
	>"$out/stdout" 2>"$out/stderr"
rc=$?
if [ $rc = 0 ] && [ "$(report_field "$out/report" mrs)" = 1 ] &&
   [ "$(report_field "$out/report" pages)" = 32 ] &&
   [ "$(report_field "$out/report" placed)" = 32 ] &&
   [ "$(report_field "$out/report" nonodp)" = 1 ] &&
   [ "$(report_field "$out/report" errors)" = 0 ]; then
	ktap_result "dlopen" 0
else
	{ echo "exit $rc, wanted 0, 1 ODP MR of 32 pages all moved, 1 pinned, no error:"
	  cat "$out/stdout" "$out/stderr"; } | ktap_diag
	ktap_result "dlopen" 1
fi
exit $((KTAP_FAIL > 0))
