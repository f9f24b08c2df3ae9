#!/bin/sh
# Command agent of the L1 machine, on /dev/ttyS1 (stdin and stdout).
# Request:  "<id> <base64 of a shell script> <timeout seconds>\n"
# Answer:   "BEGIN <id>\n" base64 of stdout+stderr "END <id> <status>\n"
stty raw -echo 2>/dev/null
echo "AGENT-READY"
while read -r id b64 secs; do
	[ -n "$id" ] || continue
	echo "$b64" | base64 -d > "/tmp/.cmd.$id"
	(cd / && timeout -s KILL "${secs:-60}" sh "/tmp/.cmd.$id") \
		> "/tmp/.out.$id" 2>&1 < /dev/null
	rc=$?
	echo "BEGIN $id"
	base64 "/tmp/.out.$id"
	echo "END $id $rc"
	rm -f "/tmp/.cmd.$id" "/tmp/.out.$id"
done
