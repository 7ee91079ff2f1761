#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unmodified perftest (ib_write_bw, ib_read_bw, ib_send_bw --odp) between
# the RDMA pair of the machine (a device whose netdev is in this namespace
# as the client, one in another namespace as the server), with the buffers
# in test_hmm device memory through devmem-run on the server side, the
# client side or both.  Each run must complete with every page of its MRs
# on the device, with a DMA alias, when traffic starts.  With ib_core
# odp_p2p_alias on (the default), every page must still be on the device
# at the end; with it off, the pages the NIC touched must have migrated
# back to RAM.
#
#   perftest.sh [-s SIZES] [-t TESTS] [-w SIDES] [-k on|off] [-l LOGDIR]
#
# -k sets odp_p2p_alias for the runs (and restores it); LOGDIR keeps each
# run's perftest output and report.  Prints KTAP.
#
# Last, send_bw.clock_stall reproduces what made send_bw fail at random
# here: perftest exits 1 when its clock calibration fails (lib.sh,
# perftest_opts).  clock-stall.so stalls the server once in the middle of
# it; the run must still complete on both sides, and the server must say
# that its calibration failed, so that the reproducer cannot pass unseen.
. "$(dirname "$0")/lib.sh"

sizes="4096 65536 1048576" tests="write read send" sides="server client both"
knob= logs=
while getopts s:t:w:k:l: o; do
	case $o in
	s) sizes=$OPTARG ;;
	t) tests=$OPTARG ;;
	w) sides=$OPTARG ;;
	k) knob=$OPTARG ;;
	l) logs=$OPTARG ;;
	*) exit 2 ;;
	esac
done
logs=${logs:-$(mktemp -d)}
mkdir -p "$logs"
param=/sys/module/ib_core/parameters/odp_p2p_alias
dev=/dev/hmm_dmirror0

ktap_plan $(($(wc -w <<< "$tests") * $(wc -w <<< "$sides") * $(wc -w <<< "$sizes") + 1))
skip_all()
{
	local t w s

	for t in $tests; do for w in $sides; do for s in $sizes; do
		ktap_result "${t}_bw.$w.$s" 4 "$1"
	done; done; done
	ktap_result send_bw.clock_stall 4 "$1"
	exit 0
}
read -r ldev _ _ lgid < <(rdma_ports | awk '$2 == "-"' | head -1)
read -r rdev rns rip rgid < <(rdma_ports | awk '$2 != "-"' | head -1)
[ -n "$ldev" ] && [ -n "$rdev" ] || skip_all "no RDMA pair across network namespaces"
command -v ib_write_bw >/dev/null || skip_all "no perftest"
[ -c "$dev" ] || skip_all "no $dev (CONFIG_TEST_HMM)"
[ -f "$param" ] || skip_all "kernel without ODP P2PDMA aliases"
provider=$(p2p_provider)
[ -n "$provider" ] || skip_all "no PCI function with published p2pmem"

old_knob=$(cat "$param")
trap 'echo "$old_knob" > "$param"' EXIT
case $knob in
on) echo Y > "$param" ;;
off) echo N > "$param" ;;
esac
# Where the pages must be at the end: rxe uses aliases whenever it may
if [ "$(cat "$param")" = Y ]; then want=device; else want=ram; fi
echo "# $ldev (client) -> $rdev (server, netns $rns, $rip); $dev on $provider; odp_p2p_alias=$(cat "$param")"
# Set the provider once, with no pages on the device
"$DEVMEM_RUN" -q -p "$provider" -- true 2>/dev/null

# check REPORT: the MRs' pages, all where they must be; prints a summary.
# Every page on the device, with a DMA alias, when traffic starts; at the
# end, with aliases, every page still there, else some back in RAM (pages
# the NIC never touched stay on the device either way).
check()
{
	local r=$1 mrs pages placed aliased device ram

	mrs=$(report_field "$r" mrs) pages=$(report_field "$r" pages)
	placed=$(report_field "$r" placed) aliased=$(report_field "$r" aliased)
	device=$(report_field "$r" device) ram=$(report_field "$r" ram)
	echo "${r##*/}: mrs=$mrs pages=$pages placed=$placed aliased=$aliased device=$device ram=$ram"
	[ "${mrs:-0}" -gt 0 ] && [ "$placed" = "$pages" ] && [ "$aliased" = "$pages" ] || return 1
	if [ $want = device ]; then
		[ "$device" = "$pages" ]
	else
		[ "$ram" -gt 0 ]
	fi
}

for t in $tests; do for w in $sides; do for s in $sizes; do
	name=${t}_bw.$w.$s log=$logs/$name
	sx=() cx=()
	case $w in server|both) sx=("$DEVMEM_RUN" -r "$log.server.report" --) ;; esac
	case $w in client|both) cx=("$DEVMEM_RUN" -r "$log.client.report" --) ;; esac
	# Few iterations: rxe under emulation moves some MB/s
	n=$((s >= 1048576 ? 8 : s >= 65536 ? 64 : 256))
	args=(--odp -s "$s" -n "$n" "${perftest_opts[@]}")
	perftest_server "$rns" timeout 300 "${sx[@]}" "ib_${t}_bw" -d "$rdev" \
		-x "$rgid" "${args[@]}" >"$log.server" 2>&1
	spid=$!
	timeout 300 "${cx[@]}" "ib_${t}_bw" -d "$ldev" -x "$lgid" "${args[@]}" \
		"$rip" >"$log.client" 2>&1
	crc=$? rc=0
	wait $spid
	src=$?
	[ $crc = 0 ] && [ $src = 0 ] && grep -q "BW average" "$log.client" || rc=1
	(
		bad=0
		for side in server client; do
			! perftest_no_figure "$log.$side" ||
				echo "$side: perftest's clock calibration failed: no bandwidth figure"
			[ -f "$log.$side.report" ] || continue
			check "$log.$side.report" || bad=1
		done
		exit $bad
	) 2>&1 | ktap_diag
	[ "${PIPESTATUS[0]}" = 0 ] || rc=1
	if [ $rc != 0 ]; then
		{ echo "client exit $crc, server exit $src"; tail -n 5 "$log.client" "$log.server"; } | ktap_diag
	fi
	grep -A1 "BW average" "$log.client" | tail -n 1 | ktap_diag
	ktap_result "$name" $rc
done; done; done

name=send_bw.clock_stall log=$logs/$name
stall=$(dirname "$DEVMEM_RUN")/clock-stall.so
if [ -f "$stall" ]; then
	args=(--odp -s 4096 -n 64 "${perftest_opts[@]}")
	perftest_server "$rns" timeout 300 env LD_PRELOAD="$stall" ib_send_bw \
		-d "$rdev" -x "$rgid" "${args[@]}" >"$log.server" 2>&1
	spid=$!
	timeout 300 ib_send_bw -d "$ldev" -x "$lgid" "${args[@]}" "$rip" >"$log.client" 2>&1
	crc=$?
	wait $spid
	src=$?
	if [ $crc = 0 ] && [ $src = 0 ] && grep -q "^clock-stall: " "$log.server" &&
	   perftest_no_figure "$log.server" && grep -q "BW average" "$log.client"; then
		ktap_result $name 0
	else
		{ echo "client exit $crc, server exit $src (wanted 0 and 0, and a stalled and failed calibration on the server)"
		  grep -h "^clock-stall: \|r^2" "$log.server"
		  tail -n 5 "$log.client" "$log.server"; } | ktap_diag
		ktap_result $name 1
	fi
else
	ktap_result $name 4 "no $stall"
fi
exit $((KTAP_FAIL > 0))
