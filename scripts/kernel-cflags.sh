#!/bin/sh
# kernel-cflags.sh: the code-generation flags koracle.ko's shared/ objects
# get from Kbuild on x86-64 (Debian 6.1: read off shared/.features.o.cmd),
# less those that only make sense inside the kernel image (-mcmodel=kernel,
# -mfentry, -mrecord-mcount, path maps). The benchmarks compile the probe
# path with these, so stack-protector canaries, zeroed stack arrays
# (-ftrivial-auto-var-init=zero) and return thunks cost what they cost in
# the module; tests/bench/thunks.S supplies the thunks.
echo "-std=gnu11 -O2 -fno-strict-aliasing -fno-strict-overflow" \
	"-fno-delete-null-pointer-checks -fno-common -fno-PIE -fconserve-stack" \
	"-fno-jump-tables -falign-jumps=1 -falign-loops=1" \
	"-fno-asynchronous-unwind-tables -fno-allow-store-data-races" \
	"-fstack-protector-strong -ftrivial-auto-var-init=zero" \
	"-fcf-protection=none -mno-sse -mno-mmx -mno-sse2 -mno-avx -mno-3dnow" \
	"-mno-80387 -mno-fp-ret-in-387 -mno-red-zone" \
	"-mpreferred-stack-boundary=3 -mskip-rax-setup -mtune=generic" \
	"-mfunction-return=thunk-extern -mindirect-branch=thunk-extern" \
	"-mindirect-branch-register -mharden-sls=all"
