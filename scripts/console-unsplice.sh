#!/bin/sh
# Filter a guest's serial console log (stdin to stdout) so that every line is
# whole again. The kernel writes its records to the serial port at once,
# while what userspace wrote may still wait in the tty's buffer, so a kernel
# record can land in the middle of a userspace line, even one of the
# harness's "=== koracle-vm: BEGIN NAME" markers:
#
#   === koracle-vm: [   54.585661] koracle-vm: mark selftest/atomic-sleep
#   BEGIN selftest/atomic-sleep
#
# Each record found past the start of a line ("[ SECONDS.MICROS] " up to the
# line's end) goes on a line of its own, and the text before it is put back
# in front of the line that follows, possibly across several records:
#
#   [   54.585661] koracle-vm: mark selftest/atomic-sleep
#   === koracle-vm: BEGIN selftest/atomic-sleep
#
# The firmware's last line, cut by the kernel's first record (time 0, before
# any userspace), only goes on a line of its own.
exec awk '{
	line = carry $0
	carry = ""
	if (match(line, /\[ *[0-9]+\.[0-9]+\] /) && RSTART > 1) {
		cut = substr(line, 1, RSTART - 1)
		line = substr(line, RSTART)
		if (line ~ /^\[ *0\.0+\] /)
			print cut
		else
			carry = cut
	}
	print line
}
END { if (carry != "") print carry }'
