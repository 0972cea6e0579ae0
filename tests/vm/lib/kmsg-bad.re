BUG:
WARNING:
Oops
Call Trace
general protection fault
Kernel panic
soft lockup
hard LOCKUP
rcu.*detected stall
rcu_sched self-detected stall
blocked for more than [0-9]+ seconds
UBSAN:
kmemleak:
turning off the locking correctness validator
INFO: trying to register non-static key
