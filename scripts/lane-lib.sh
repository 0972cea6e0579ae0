# Sourced by the kernel lanes (scripts/check-debug.sh, scripts/check-rt.sh):
# run the whole VM suite on the lane's kernel and read back what the guest
# said about itself. Needs $top (the checkout).

# lane_suite DIR: the suite, its logs under DIR/vm-log and DIR/suite.log.
# Sets lane_status (its exit status) and lane_verdict (its last line,
# "N passed, N failed").
lane_suite() {
	lane_dir=$1
	lane_status=0
	KORACLE_VM_LOGDIR=$lane_dir/vm-log "$top/scripts/vm-run-tests.sh" 2>&1 |
		tee "$lane_dir/suite.log" || lane_status=$?
	lane_verdict=$(tail -n 1 "$lane_dir/suite.log")
}

# lane_guest KEY: the first "koracle-vm: KEY VALUE" the guest reported (KEY:
# "uname -r", "uname -v", "config"), VALUE only. One sed, no pipe: under
# pipefail a reader that stops early turns the writer's SIGPIPE into failure.
lane_guest() {
	sed -n "/^koracle-vm: $1 /{s/^koracle-vm: $1 //p;q}" "$lane_dir/vm-log/verdict.txt"
}
