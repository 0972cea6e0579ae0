#!/bin/bash
# bench-stack.sh: the worst-case stack depth of koracle.ko's probe chain, as
# the compiler sees it. Prints "bench: probe_stack_bytes N bytes", and the
# deepest path per probe on "bench: #" lines (stderr).
#
# Method: a copy of Kbuild, kmod/, shared/ and include/ is built against the same
# kernel tree with KCFLAGS="-fstack-usage -fcallgraph-info=su" (GCC >= 12),
# in a temporary directory, so the normal build is untouched. Every
# object's .ci file is the call graph GCC emitted after inlining: one node
# per function actually emitted, with its frame size in bytes (on x86-64 the
# frame includes the return address the call pushed), and one edge per call
# left in the code. The roots are the tracepoint probes, the .probe entries
# of koracle_tps[] in kmod/hooks.c. The figure is the largest sum of frame
# sizes along any call path from a root through the module's own functions
# (the ring/stream put, predictor, encoder, rules, model step): calls that
# leave the module (spinlocks, local_clock(), memcpy, ...) are listed but
# not counted, since their frames are the kernel's. The figure is what the
# probes add on top of the tracepoint's caller (__schedule(),
# try_to_wake_up(), ...).
#
# The result is only as good as the graph: an indirect call reachable from a
# probe, a function of dynamic stack size (alloca, VLA) or recursion makes
# the bound incomplete; each is reported on stderr and makes the script
# fail, rather than print a figure that silently ignores it.
#
# Env: KDIR (default: the Makefile's), KCC (compiler, default gcc).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
KDIR=${KDIR:-/lib/modules/$("$top/scripts/kernel-version.sh")/build}
[ -d "$KDIR" ] || { echo "bench-stack: no kernel build tree at $KDIR; run scripts/install-deps.sh" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/koracle-stack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
cp "$top/Kbuild" "$tmp/"
mkdir "$tmp/kmod" "$tmp/shared" "$tmp/include"
cp "$top"/kmod/*.[ch] "$tmp/kmod/"
cp "$top"/shared/*.[ch] "$tmp/shared/"
cp "$top"/include/*.h "$tmp/include/"

if ! make -C "$KDIR" M="$tmp" ${KCC:+CC="$KCC"} \
	KCFLAGS="-fstack-usage -fcallgraph-info=su" modules >"$tmp/build.log" 2>&1; then
	echo "bench-stack: building the module with -fstack-usage failed:" >&2
	tail -n 20 "$tmp/build.log" >&2
	exit 1
fi

# The probes: koracle_tps[] = { { .name = "...", .probe = FN }, ... }.
roots=$(sed -n 's/.*\.probe *= *\([A-Za-z_][A-Za-z0-9_]*\).*/\1/p' "$top/kmod/hooks.c" | tr '\n' ' ')
[ -n "$roots" ] || { echo "bench-stack: no .probe = FN entries in kmod/hooks.c" >&2; exit 1; }

cis=$(find "$tmp/kmod" "$tmp/shared" -name '*.ci' | sort)
[ -n "$cis" ] || { echo "bench-stack: the compiler wrote no .ci files (GCC < 12?)" >&2; exit 1; }

# shellcheck disable=SC2086 # $cis is a list of paths without spaces
awk -v roots="$roots" -v tmp="$tmp/" '
# node: { title: "f" label: "f\nfile:l:c\nN bytes (static)" }   (module function)
# node: { title: "g" label: "g\nfile:l:c" shape : ellipse }        (declared only)
# edge: { sourcename: "f" targetname: "g" label: "file:l:c" }
function field(s, key,    i, r) {
	i = index(s, key ": \"")
	if (!i) return ""
	r = substr(s, i + length(key) + 3)
	return substr(r, 1, index(r, "\"") - 1)
}
/^node:/ {
	t = field($0, "title")
	if (match($0, /[0-9]+ bytes \([a-z,]+\)/)) {
		split(substr($0, RSTART, RLENGTH), p, " ")
		if (t in frame && file[t] != FILENAME)
			dup[t] = 1	# defined twice (should not link)
		frame[t] = p[1] + 0
		kind[t] = p[3]
		gsub(/[()]/, "", kind[t])
		# A static function is titled "file.c:name"; the probes are static.
		short = t
		sub(/^.*:/, "", short)
		# (two steps: awk may create title_of[short] before the right side)
		v = (short in title_of && title_of[short] != t) ? "?" : t
		title_of[short] = v
		file[t] = FILENAME
	}
	next
}
/^edge:/ {
	s = field($0, "sourcename"); d = field($0, "targetname")
	key = s SUBSEP d
	if (!(key in seen)) {
		seen[key] = 1
		ncallee[s]++
		callee[s, ncallee[s]] = d
	}
}
# Deepest frame sum from f (memoized); sets best_next[f]. Recursion is a
# failure: the depth would be unbounded.
function depth(f,    i, g, d, m) {
	if (f in memo) return memo[f]
	if (onpath[f]) {
		print "bench-stack: recursion through " f ": no static bound" > "/dev/stderr"
		bad = 1
		return 0
	}
	onpath[f] = 1
	if (f in dup) {
		print "bench-stack: " f " is defined in two objects: the graph is ambiguous" > "/dev/stderr"
		bad = 1
	}
	m = 0
	for (i = 1; i <= ncallee[f]; i++) {
		g = callee[f, i]
		if (g == "__indirect_call") {
			indirect[f] = 1
			continue
		}
		if (!(g in frame)) {
			external[g] = 1
			continue
		}
		d = depth(g)
		if (d > m) { m = d; best_next[f] = g }
	}
	onpath[f] = 0
	if (kind[f] != "static") {
		print "bench-stack: " f " has a " kind[f] " frame (alloca or VLA)" > "/dev/stderr"
		bad = 1
	}
	memo[f] = frame[f] + m
	return memo[f]
}
END {
	n = split(roots, r, " ")
	worst = 0
	for (i = 1; i <= n; i++) {
		name = r[i]
		if (!(r[i] in frame) && (r[i] in title_of) && title_of[r[i]] != "?")
			r[i] = title_of[r[i]]
		if (!(r[i] in frame)) {
			print "bench-stack: probe " r[i] " not in the call graph" > "/dev/stderr"
			bad = 1
			continue
		}
		d = depth(r[i])
		path = ""
		for (f = r[i]; f != ""; f = best_next[f])
			path = path (path == "" ? "" : " -> ") f " " frame[f]
		gsub(tmp, "", path)	# static functions: kmod/hooks.c:name
		printf "bench: # probe stack %s: %d bytes: %s\n", name, d, path > "/dev/stderr"
		if (d > worst) worst = d
	}
	for (f in indirect) {
		print "bench-stack: " f " (reachable from a probe) makes an indirect call: the bound is incomplete" > "/dev/stderr"
		bad = 1
	}
	ext = ""
	for (g in external) ext = ext " " g
	print "bench: # probe stack: calls leaving the module, not counted:" ext > "/dev/stderr"
	if (bad) exit 1
	printf "bench: probe_stack_bytes %d bytes\n", worst
}' $cis
