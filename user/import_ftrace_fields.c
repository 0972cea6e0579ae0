// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The fields of the five sched events in ftrace text, after "EVENT: ".
 *
 * They come in two spellings. The kernel's own ("prev_comm=... prev_pid=
 * ..."): values are found from the right, each key being the last " key="
 * left of the next one, so a comm with spaces stays whole and extra fields
 * of other kernel versions ("group_dead=true", "success=1") trail a number
 * harmlessly. trace-cmd's sched plugin ("comm:pid [prio] S ==> comm:pid
 * [prio]", "comm:pid [prio] CPU:001") is parsed from the right too. The
 * plugin prints prev_state with the letters "SDTtZXxW" for bits 0..7, the
 * layout of old kernels: on current ones bit 4 is X (dead) and bit 5 Z, so
 * the plugin's "Z" is a dead task. It maps letter i back to bit i, which is
 * exactly KORACLE_PS_* (the kernel's report bits), and cannot show "R+":
 * preemption is lost in that format.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "import_ftrace_fields.h"

const char *ko_ft_skip_sp(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

bool ko_ft_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Decimal digits at @p into @v; false on no digit or overflow. */
bool ko_ft_dec(const char *p, const char **end, u64 *v)
{
	u64 x = 0;

	if (!ko_ft_is_digit(*p))
		return false;
	for (; ko_ft_is_digit(*p); p++) {
		if (x > (UINT64_MAX - 9) / 10)
			return false;
		x = x * 10 + (u64)(*p - '0');
	}
	*v = x;
	*end = p;
	return true;
}

/* A value found in "key=value" fields: [s, s + len). */
struct span {
	const char *s;
	size_t len;
};

/*
 * Finds @n keys that appear in this order in @f, each as the last " key="
 * left of the next one. Values run up to the next key, trailing spaces cut.
 */
static int kv_split(const char *f, const char *const keys[], int n,
		    struct span out[], char *why, size_t whylen)
{
	const char *end = f + strlen(f);
	int i;

	for (i = n - 1; i >= 0; i--) {
		size_t klen = strlen(keys[i]);
		const char *pos = NULL, *p;

		for (p = f; p + klen < end + 1; p++) {
			p = strstr(p, keys[i]);
			if (!p || p + klen > end)
				break;
			if ((p == f || p[-1] == ' ') && p[klen] == '=')
				pos = p;
		}
		if (!pos) {
			snprintf(why, whylen, "no %s= field", keys[i]);
			return -EINVAL;
		}
		out[i].s = pos + klen + 1;
		p = end;
		while (p > out[i].s && p[-1] == ' ')
			p--;
		out[i].len = (size_t)(p - out[i].s);
		end = pos;
	}
	return 0;
}

/*
 * A decimal integer that fills the span, or is followed by fields of other
 * kernel versions (" key=value"): "120" or "120 group_dead=true".
 */
static bool span_int(const struct span *v, long long lo, long long hi,
		     long long *out)
{
	const char *p = v->s, *end = v->s + v->len;
	bool neg = false;
	u64 x;

	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	if (!ko_ft_dec(p, &p, &x) || x > (u64)INT64_MAX || p > end)
		return false;
	if (p < end) {
		const char *eq = memchr(p, '=', (size_t)(end - p));

		if (*p != ' ' || !eq)
			return false;
	}
	*out = neg ? -(long long)x : (long long)x;
	return *out >= lo && *out <= hi;
}

/* Kernel prio -1 (SCHED_DEADLINE) outranks every RT prio: store 0. */
static u16 prio_of(long long prio)
{
	return prio < 0 ? 0 : (u16)prio;
}

/* Puts the cause of a malformed line in @why; returns -EINVAL. */
__attribute__((format(printf, 3, 4)))
static int bad(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int get_int(const struct span *v, const char *key, long long lo,
		   long long hi, long long *out, char *why, size_t whylen)
{
	if (!span_int(v, lo, hi, out))
		return bad(why, whylen, "%s=%.*s is not a number in [%lld, %lld]", key,
		    (int)(v->len > 24 ? 24 : v->len), v->s, lo, hi);
	return 0;
}

/* "comm:pid [prio]" of trace-cmd's sched plugin, at [s, e). */
static int plugin_task(const char *s, const char *e, struct span *comm,
		       long long *pid, long long *prio, char *why, size_t whylen)
{
	const char *lb = e, *colon;
	struct span v;

	while (e > s && e[-1] == ' ')
		e--;
	if (e == s || e[-1] != ']')
		return bad(why, whylen, "expected \"comm:pid [prio]\"");
	for (lb = e - 1; lb > s && *lb != '['; lb--)
		;
	if (*lb != '[' || lb == s || lb[-1] != ' ')
		return bad(why, whylen, "expected \"comm:pid [prio]\"");
	v.s = lb + 1;
	v.len = (size_t)(e - 1 - v.s);
	if (get_int(&v, "prio", -1, 139, prio, why, whylen))
		return -EINVAL;
	for (colon = lb - 1; colon > s && *colon != ':'; colon--)
		;
	if (*colon != ':')
		return bad(why, whylen, "expected \"comm:pid\"");
	v.s = colon + 1;
	v.len = (size_t)(lb - 1 - v.s);
	if (get_int(&v, "pid", 0, INT32_MAX, pid, why, whylen))
		return -EINVAL;
	comm->s = s;
	comm->len = (size_t)(colon - s);
	return 0;
}

/* trace-cmd plugin state letters: letter i stands for bit i. */
static int plugin_state(const char *s, size_t len, u32 *state, u8 *flags)
{
	static const char letters[] = "SDTtZXxW";
	size_t i;

	*state = 0;
	*flags = 0;
	if (len && s[len - 1] == '+') {
		*flags = KORACLE_RF_PREEMPT;
		len--;
	}
	if (len == 1 && s[0] == 'R')
		return 0;
	for (i = 0; i < len; i++) {
		const char *l;

		if (i % 2 == 1) {
			if (s[i] != '|')
				return -EINVAL;
			continue;
		}
		l = memchr(letters, s[i], sizeof(letters) - 1);
		if (!l)
			return -EINVAL;
		*state |= 1u << (l - letters);
	}
	return len ? 0 : -EINVAL;
}

int ko_ft_switch(const struct ko_ft_head *h, struct koracle_event *ev,
			char *why, size_t whylen)
{
	static const char *const keys[] = { "prev_comm", "prev_pid", "prev_prio",
		"prev_state", "next_comm", "next_pid", "next_prio" };
	struct span v[7], ncomm;
	long long prev_pid, next_pid, next_prio, prio;
	int ret;

	ev->type = KORACLE_EV_SWITCH;
	ev->cpu = h->cpu;
	if (strstr(h->fields, "prev_comm=")) {
		ret = kv_split(h->fields, keys, 7, v, why, whylen);
		if (ret)
			return ret;
		if (get_int(&v[1], "prev_pid", 0, INT32_MAX, &prev_pid, why, whylen) ||
		    get_int(&v[2], "prev_prio", -1, 139, &prio, why, whylen) ||
		    get_int(&v[5], "next_pid", 0, INT32_MAX, &next_pid, why, whylen) ||
		    get_int(&v[6], "next_prio", -1, 139, &next_prio, why, whylen))
			return -EINVAL;
		/* "R+ ==>": the arrow belongs to the format, not the state */
		if (v[3].len >= 3 && !memcmp(v[3].s + v[3].len - 3, "==>", 3)) {
			v[3].len -= 3;
			while (v[3].len && v[3].s[v[3].len - 1] == ' ')
				v[3].len--;
		}
		if (ko_parse_prev_state(v[3].s, v[3].len, &ev->prev_state,
					&ev->flags))
			return bad(why, whylen, "prev_state=%.*s is not a task state",
			    (int)(v[3].len > 16 ? 16 : v[3].len), v[3].s);
		ncomm = v[4];
	} else {
		const char *arrow = NULL, *p, *rb;

		for (p = strstr(h->fields, " ==> "); p; p = strstr(p + 1, " ==> "))
			arrow = p;
		if (!arrow)
			return bad(why, whylen, "no \"==>\" between the two tasks");
		rb = arrow;
		while (rb > h->fields && rb[-1] != ']')
			rb--;
		if (rb == h->fields)
			return bad(why, whylen, "expected \"comm:pid [prio] STATE ==>\"");
		ret = plugin_task(h->fields, rb, &v[0], &prev_pid, &prio, why, whylen);
		if (ret)
			return ret;
		p = ko_ft_skip_sp(rb);
		if (p > arrow)	/* "[prio] ==>": the spaces ran into the arrow */
			return bad(why, whylen, "no task state before \"==>\"");
		if (plugin_state(p, (size_t)(arrow - p), &ev->prev_state, &ev->flags))
			return bad(why, whylen, "\"%.*s\" is not a task state",
			    (int)((arrow - p) > 16 ? 16 : arrow - p), p);
		p = arrow + 5;
		ret = plugin_task(p, p + strlen(p), &ncomm, &next_pid,
				  &next_prio, why, whylen);
		if (ret)
			return ret;
	}
	ev->prev_pid = (s32)prev_pid;
	ev->next_pid = (s32)next_pid;
	ev->prio = prio_of(next_prio);
	ko_set_comm(ev->comm, ncomm.s, ncomm.len);
	return 0;
}

int ko_ft_wakeup(const struct ko_ft_head *h, bool is_new,
			struct koracle_event *ev, char *why, size_t whylen)
{
	static const char *const keys[] = { "comm", "pid", "prio", "target_cpu" };
	struct span v[4];
	long long pid, prio, target;
	int ret;

	ev->type = is_new ? KORACLE_EV_WAKEUP_NEW : KORACLE_EV_WAKEUP;
	if (!strncmp(h->fields, "comm=", 5)) {
		ret = kv_split(h->fields, keys, 4, v, why, whylen);
		if (ret)
			return ret;
		if (get_int(&v[1], "pid", 0, INT32_MAX, &pid, why, whylen) ||
		    get_int(&v[2], "prio", -1, 139, &prio, why, whylen) ||
		    get_int(&v[3], "target_cpu", 0, FT_MAX_CPU, &target, why, whylen))
			return -EINVAL;
	} else {
		const char *cpu = NULL, *p, *rb;

		for (p = strstr(h->fields, " CPU:"); p; p = strstr(p + 1, " CPU:"))
			cpu = p;
		if (!cpu)
			return bad(why, whylen, "no target CPU (\" CPU:\")");
		v[3].s = cpu + 5;
		v[3].len = strlen(v[3].s);
		if (get_int(&v[3], "CPU", 0, FT_MAX_CPU, &target, why, whylen))
			return -EINVAL;
		/* anything between "[prio]" and " CPU:" ("success=1") is noise */
		for (rb = cpu; rb > h->fields && rb[-1] != ']'; rb--)
			;
		ret = plugin_task(h->fields, rb, &v[0], &pid, &prio, why, whylen);
		if (ret)
			return ret;
	}
	ev->cpu = (u16)target;
	ev->dest_cpu = (u16)target;
	ev->orig_cpu = h->cpu;
	ev->prev_pid = h->pid;
	ev->next_pid = (s32)pid;
	ev->prio = prio_of(prio);
	ko_set_comm(ev->comm, v[0].s, v[0].len);
	return 0;
}

int ko_ft_migrate(const struct ko_ft_head *h, struct ko_ftrace_line *out,
			 char *why, size_t whylen)
{
	static const char *const keys[] = { "comm", "pid", "prio", "orig_cpu",
					    "dest_cpu" };
	struct koracle_event *ev = &out->ev[0];
	struct span v[5];
	long long pid, prio, orig, dest;
	int ret;

	ret = kv_split(h->fields, keys, 5, v, why, whylen);
	if (ret)
		return ret;
	if (get_int(&v[1], "pid", 0, INT32_MAX, &pid, why, whylen) ||
	    get_int(&v[2], "prio", -1, 139, &prio, why, whylen) ||
	    get_int(&v[3], "orig_cpu", 0, FT_MAX_CPU, &orig, why, whylen) ||
	    get_int(&v[4], "dest_cpu", 0, FT_MAX_CPU, &dest, why, whylen))
		return -EINVAL;
	ev->type = KORACLE_EV_MIGRATE;
	ev->next_pid = (s32)pid;
	ev->prio = prio_of(prio);
	ev->orig_cpu = (u16)orig;
	ev->dest_cpu = (u16)dest;
	ko_set_comm(ev->comm, v[0].s, v[0].len);
	/* One record in each stream whose candidate list changes. */
	ev->cpu = (u16)orig;
	out->nev = 1;
	if (orig != dest) {
		out->ev[1] = *ev;
		out->ev[1].cpu = (u16)dest;
		out->nev = 2;
	}
	return 0;
}

int ko_ft_exit(const struct ko_ft_head *h, struct koracle_event *ev,
		      char *why, size_t whylen)
{
	static const char *const keys[] = { "comm", "pid", "prio" };
	struct span v[3];
	long long pid, prio;
	int ret;

	ret = kv_split(h->fields, keys, 3, v, why, whylen);
	if (ret)
		return ret;
	if (get_int(&v[1], "pid", 0, INT32_MAX, &pid, why, whylen) ||
	    get_int(&v[2], "prio", -1, 139, &prio, why, whylen))
		return -EINVAL;
	ev->type = KORACLE_EV_EXIT;
	ev->cpu = h->cpu;
	ev->next_pid = (s32)pid;
	ko_set_comm(ev->comm, v[0].s, v[0].len);
	return 0;
}
