#!/bin/bash
# make hosted: hostd and rhttpproxy on one root, in the foreground. hostd
# serves the API on its Unix socket (and plain HTTP on loopback, for
# tools); the proxy owns the TLS and plain ports. Ctrl-C stops both
# (hostd powers every VM off first).
#
# This script is the hosted host's init: when hostd ends with status 75
# (restart management agents, or a configuration restored or reset), it
# stops the proxy, applies a configuration waiting in the boot bank's
# slot (stated --restore, as the appliance's boot does) and starts both
# again; VMs keep running and the new hostd takes them over. Their logs
# go to the terminal and to ROOT/var/log/hostd.log and rhttpproxy.log,
# where the API's DiagnosticManager (and the console's log view) reads.
#
# BASALT_MANAGE_NETWORK=IFACE lets the management network's changes
# apply to IFACE (hostd --manage-network; run it in a network namespace).
#
# Usage: scripts/hosted.sh BUILD_DIR ROOT ADDRESS HOSTD_PORT HTTP_PORT HTTPS_PORT
set -u
build=$1 root=$2 addr=$3 hostd_port=$4 http_port=$5 https_port=$6
restart_status=75
mkdir -p "$root/var/log" || exit 1
hostd="" proxy="" stopping=0

stop() {
	stopping=1
	[ -n "$proxy" ] && kill -TERM "$proxy" 2>/dev/null
	[ -n "$hostd" ] && kill -TERM "$hostd" 2>/dev/null
}
trap stop INT TERM

while :; do
	# A boot starts from an empty /etc/basalt; so does this restore,
	# the old one kept aside until it succeeded.
	if [ -e "$root/bootbank/state/pending.bst" ]; then
		rm -rf "$root/etc/basalt.before-restore"
		mv "$root/etc/basalt" "$root/etc/basalt.before-restore" &&
			mkdir -p "$root/etc/basalt" || exit 1
		if "$build/src/stated/stated" --restore --root "$root"; then
			rm -rf "$root/etc/basalt.before-restore"
		else
			echo "hosted.sh: stated --restore failed (status $?);" \
				"the configuration stays as it was" >&2
			rm -rf "$root/etc/basalt"
			mv "$root/etc/basalt.before-restore" "$root/etc/basalt"
		fi
	fi
	"$build/src/hostd/hostd" --root "$root" --address "$addr" \
		--port "$hostd_port" --supervised \
		${BASALT_MANAGE_NETWORK:+--manage-network "$BASALT_MANAGE_NETWORK"} \
		2> >(tee -a "$root/var/log/hostd.log" >&2) &
	hostd=$!
	# Root's password from the environment is the first start's, as an
	# installer's answer file is the first boot's: a reset after it
	# leaves root's password blank.
	unset BASALT_ROOT_PASSWORD
	# The proxy needs hostd's socket; hostd says "ready" when it is there.
	i=0
	while [ ! -S "$root/var/run/basalt/hostd.sock" ] && [ $i -lt 100 ]; do
		kill -0 "$hostd" 2>/dev/null || { wait "$hostd"; exit 1; }
		sleep 0.1
		i=$((i + 1))
	done
	"$build/src/rhttpproxy/rhttpproxy" --root "$root" --address "$addr" \
		--http-port "$http_port" --https-port "$https_port" \
		2> >(tee -a "$root/var/log/rhttpproxy.log" >&2) &
	proxy=$!
	# Until one of them ends (a trapped signal also ends the wait).
	ended=""
	while [ -z "$ended" ] && [ $stopping -eq 0 ]; do
		wait -n -p ended "$hostd" "$proxy"
		status=$?
	done
	if [ $stopping -eq 0 ] && [ "$ended" = "$hostd" ] &&
		[ $status -eq $restart_status ]; then
		echo "hosted.sh: hostd asked to be started again" >&2
		kill -TERM "$proxy" 2>/dev/null
		wait "$proxy"
		hostd="" proxy=""
		continue
	fi
	stop
	wait
	exit 0
done
