#!/bin/sh
# Command agent of the L1 machine, on /dev/ttyS1 (stdin and stdout).
# Request:  "<id> <base64 of a shell script> <timeout seconds>\n"
# Answer:   "BEGIN <id>\n" base64 of stdout+stderr "END <id> <status>\n"
stty raw -echo 2>/dev/null
echo "AGENT-READY"
while read -r id b64 secs; do
	[ -n "$id" ] || continue
	echo "$b64" | base64 -d > "/tmp/.cmd.$id"
	# The command runs in a session (and process group) of its own,
	# led by timeout, so that running out of time kills what it started
	# too (a vmx under the script's sh), not only the sh.
	(cd / && exec setsid sh -c 'echo $$ > "/tmp/.pg.$1"
		exec timeout -s KILL "$2" sh "/tmp/.cmd.$1"' sh "$id" \
		"${secs:-60}") > "/tmp/.out.$id" 2>&1 < /dev/null
	rc=$?
	# Background jobs of a command that ended in time stay (tests start
	# servers that way); those of one that timed out go with it.
	[ "$rc" = 137 ] && kill -KILL -- "-$(cat "/tmp/.pg.$id")" 2>/dev/null
	echo "BEGIN $id"
	base64 "/tmp/.out.$id"
	echo "END $id $rc"
	rm -f "/tmp/.cmd.$id" "/tmp/.out.$id" "/tmp/.pg.$id"
done
