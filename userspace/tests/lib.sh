# SPDX-License-Identifier: GPL-2.0
# Sourced by the devmem-run tests: KTAP output, and the machine's RDMA
# pair and P2PDMA providers, read from netlink and sysfs.

KTAP_N=0 KTAP_FAIL=0
ktap_plan() { echo "TAP version 13"; echo "1..$1"; }
# ktap_result NAME STATUS [SKIP REASON]: STATUS 0 passes, 4 skips
ktap_result()
{
	KTAP_N=$((KTAP_N + 1))
	case $2 in
	0) echo "ok $KTAP_N $1" ;;
	4) echo "ok $KTAP_N $1 # SKIP ${3:-}" ;;
	*) echo "not ok $KTAP_N $1"; KTAP_FAIL=$((KTAP_FAIL + 1)) ;;
	esac
}
ktap_diag() { sed 's/^/# /'; }

# devmem-run and its preload: next to the tests' directory, or $DEVMEM_RUN
DEVMEM_RUN=${DEVMEM_RUN:-$(dirname "$0")/../devmem-run}

# "DEV NETNS IPV4 GIDINDEX" of each RDMA device whose netdev has an IPv4
# address, in this namespace ("-") or a named one.  rdma link shows a
# device's netdev only in the netdev's own namespace.
rdma_ports()
{
	local ns dev ndev ip g

	for ns in - $(ip netns list | awk '{print $1}'); do
		local nsx=()
		[ "$ns" = - ] || nsx=(ip netns exec "$ns")
		"${nsx[@]}" rdma link show 2>/dev/null |
		sed -n 's|^link \([^/]*\)/1 .* netdev \([^ ]*\).*|\1 \2|p' |
		while read -r dev ndev; do
			ip=$("${nsx[@]}" ip -4 -o addr show dev "$ndev" |
			     awk '{sub("/.*", "", $4); print $4; exit}')
			[ -n "$ip" ] || continue
			for g in /sys/class/infiniband/"$dev"/ports/1/gids/*; do
				[ "$(cat "$g")" = "$(ipv4_gid "$ip")" ] || continue
				echo "$dev $ns $ip ${g##*/}"
				break
			done
		done
	done
}
ipv4_gid() { printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x\n' ${1//./ }; }

# The PCI function with the most published P2PDMA memory, "" if none
p2p_provider()
{
	local d best= max=0 size

	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/p2pmem/published" 2>/dev/null)" = 1 ] || continue
		size=$(cat "$d/p2pmem/size")
		[ "$size" -gt "$max" ] && max=$size best=${d##*/}
	done
	echo "$best"
}

# A PCI function without P2PDMA memory, "" if none
not_p2p_provider()
{
	local d

	for d in /sys/bus/pci/devices/*; do
		[ -e "$d/p2pmem" ] || { echo "${d##*/}"; return; }
	done
}

# Options for every perftest run here.  At the end of a run perftest
# calibrates the TSC against gettimeofday() (get_clock.c: 200 samples; a
# linear fit must reach r^2 >= 0.9).  If it does not, perftest prints
# "Can't produce a report" and exits 1 before the closing handshake, and
# its peer fails that handshake ("ethernet_read_keys: Couldn't read remote
# address").  Under QEMU, a vCPU stalled between the TSC read and the clock
# read of one sample is enough: ib_send_bw is hit most, both of its sides
# calibrating at the same moment.  The bug is perftest's, in 4.5 and
# upstream alike: get_cpu_mhz() returns 0 on a poor fit even where
# /proc/cpuinfo has the frequency, and print_report_bw() then exits without
# closing the connection.  --CPU-freq lets the run finish with a bandwidth
# of 0 instead: every check of the run stays; only its figure is lost,
# which perftest_no_figure tells.
perftest_opts=(--CPU-freq)
# perftest_no_figure LOG: the run of LOG could not calibrate its clock
perftest_no_figure() { grep -qF "Correlation coefficient r^2" "$1"; }

# perftest_server NETNS COMMAND...: start a perftest server (COMMAND) in
# NETNS in the background ($! is its PID), and return once it listens on
# perftest's port, or after 20 s
perftest_server()
{
	local ns=$1 i

	shift
	ip netns exec "$ns" "$@" &
	for i in $(seq 100); do
		ip netns exec "$ns" ss -ltn | grep -q ':18515 ' && return 0
		sleep 0.2
	done
	return 1
}

# Field KEY of the DEVMEM_RUN total line in report file $1
report_field() { sed -n "/^DEVMEM_RUN /s/.* $2=\([0-9]*\).*/\1/p" "$1"; }
