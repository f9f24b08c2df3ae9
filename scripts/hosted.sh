#!/bin/sh
# make hosted: hostd and rhttpproxy on one root, in the foreground. hostd
# serves the API on its Unix socket (and plain HTTP on loopback, for
# tools); the proxy owns the TLS and plain ports. Ctrl-C stops both
# (hostd powers every VM off first).
# Usage: scripts/hosted.sh BUILD_DIR ROOT ADDRESS HOSTD_PORT HTTP_PORT HTTPS_PORT
set -eu
build=$1 root=$2 addr=$3 hostd_port=$4 http_port=$5 https_port=$6
mkdir -p "$root"
"$build/src/hostd/hostd" --root "$root" --address "$addr" \
	--port "$hostd_port" &
hostd=$!
proxy=""
stop() {
	[ -n "$proxy" ] && kill -TERM "$proxy" 2>/dev/null || true
	kill -TERM "$hostd" 2>/dev/null || true
	wait
}
trap stop INT TERM
# The proxy needs hostd's socket; hostd says "ready" when it is there.
i=0
while [ ! -S "$root/var/run/basalt/hostd.sock" ] && [ $i -lt 100 ]; do
	kill -0 "$hostd" 2>/dev/null || { wait "$hostd"; exit 1; }
	sleep 0.1
	i=$((i + 1))
done
"$build/src/rhttpproxy/rhttpproxy" --root "$root" --address "$addr" \
	--http-port "$http_port" --https-port "$https_port" &
proxy=$!
wait "$proxy" || true
stop
