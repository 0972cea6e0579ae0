// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The rule baselines and the online selector (rules.h).
 *
 * Hit history: a ring of KORACLE_SEL_WINDOW bytes, one per scored switch,
 * bit r saying whether rule r's pick was right. hits[r] is kept equal to
 * bit r's count in the ring by adding the new bit and subtracting the one it
 * overwrites, so re-choosing the selected rule is O(rules), not O(window).
 * ADAPTIVE's argmax is kept the same way, so no pick scans the counts.
 */
#include "rules.h"

void koracle_rules_init(struct koracle_rules *r)
{
	int i;

	memset(r, 0, sizeof(*r));
	r->prev_in[0] = -1;
	r->prev_in[1] = -1;
	for (i = 0; i < KORACLE_MARKOV_ENTRIES; i++) {
		r->markov[i].a = -1;
		r->markov[i].b = -1;
		r->markov[i].next = -1;
	}
}

/* Direct-mapped slot of the pid pair (a, b): multiplicative hashing. */
static u32 koracle_markov_index(s32 a, s32 b)
{
	u32 h = (u32)a * 0x9e3779b1u ^ ((u32)b + 0x7f4a7c15u) * 0x85ebca77u;

	return (h ^ (h >> 16)) & (KORACLE_MARKOV_ENTRIES - 1);
}

static void koracle_rules_score(struct koracle_rules *r,
				const u8 pick[KORACLE_RULE_COUNT], u8 label)
{
	u8 old = r->hist[r->pos], hit = 0;
	int i, best = 0;

	if (label < KORACLE_K) {
#pragma GCC unroll 8
		for (i = 0; i < KORACLE_RULE_COUNT; i++)
			hit |= (pick[i] == label) << i;
	}
	/* a history not yet full holds zeros: nothing to subtract */
#pragma GCC unroll 8
	for (i = 0; i < KORACLE_RULE_COUNT; i++)
		r->hits[i] += (hit >> i & 1) - (old >> i & 1);
	r->hist[r->pos] = hit;
	r->pos = (r->pos + 1) % KORACLE_SEL_WINDOW;
	/* Most hits wins; ties go to the lower rule number. */
#pragma GCC unroll 8
	for (i = 1; i < KORACLE_RULE_COUNT; i++)
		if (r->hits[i] > r->hits[best])
			best = i;
	r->selected = (u8)best;
}

/* Index of the largest count, lowest index on ties. */
static u8 koracle_adapt_argmax(const struct koracle_rules *r)
{
	u8 i, best = 0;

	for (i = 1; i < KORACLE_K; i++)
		if (r->rank_hits[i] > r->rank_hits[best])
			best = i;
	return best;
}

/*
 * Counts one label; the argmax moves only to the label just counted, except
 * after the rare halving, which can create ties and is followed by a scan.
 */
static void koracle_rules_adapt(struct koracle_rules *r, u8 label)
{
	u8 best = r->adapt_best;
	int i;

	if (label >= KORACLE_K)
		return;
	if (++r->rank_hits[label] >= KORACLE_ADAPT_CAP) {
		for (i = 0; i < KORACLE_K; i++)
			r->rank_hits[i] /= 2;
		r->adapt_best = koracle_adapt_argmax(r);
		return;
	}
	if (r->rank_hits[label] > r->rank_hits[best] ||
	    (r->rank_hits[label] == r->rank_hits[best] && label < best))
		r->adapt_best = label;
}

/*
 * The pair's entry now names @in_pid, whatever it held: written without
 * comparing it first, which would only be a branch on whether the sequence
 * repeated.
 */
static void koracle_markov_learn(struct koracle_rules *r, s32 in_pid)
{
	struct koracle_markov_entry *e;

	if (r->prev_in[0] < 0 || r->prev_in[1] < 0)
		return;
	e = &r->markov[koracle_markov_index(r->prev_in[0], r->prev_in[1])];
	e->a = r->prev_in[0];
	e->b = r->prev_in[1];
	e->next = in_pid;
}

void koracle_rules_update(struct koracle_rules *r,
			  const u8 pick[KORACLE_RULE_COUNT], u8 label,
			  s32 in_pid)
{
	if (pick && label != KORACLE_LABEL_NA) {
		koracle_rules_score(r, pick, label);
		koracle_rules_adapt(r, label);
	}
	koracle_markov_learn(r, in_pid);
	r->prev_in[0] = r->prev_in[1];
	r->prev_in[1] = in_pid;
}

static u8 koracle_slot_of(const s32 pid[KORACLE_K], s32 p)
{
	u8 i;

	if (p < 0)
		return KORACLE_K;
	for (i = 0; i < KORACLE_K; i++)
		if (pid[i] == p)
			return i;
	return KORACLE_K;
}

static u8 koracle_markov_pick(const struct koracle_rules *r,
			      const s32 pid[KORACLE_K])
{
	const struct koracle_markov_entry *e;

	if (r->prev_in[0] < 0 || r->prev_in[1] < 0)
		return KORACLE_K;
	e = &r->markov[koracle_markov_index(r->prev_in[0], r->prev_in[1])];
	if (e->a != r->prev_in[0] || e->b != r->prev_in[1])
		return KORACLE_K;
	return koracle_slot_of(pid, e->next);
}

static u8 koracle_adaptive_pick(const struct koracle_rules *r,
				const s32 pid[KORACLE_K])
{
	u8 best = r->adapt_best;

	if (!r->rank_hits[best] || pid[best] < 0)
		return KORACLE_K;
	return best;
}

u8 koracle_rules_pick(const struct koracle_rules *r, const s32 pid[KORACLE_K],
		      u8 fifo, u8 lifo, u8 pick[KORACLE_RULE_COUNT])
{
	pick[KORACLE_RULE_FIFO] = fifo;
	pick[KORACLE_RULE_LIFO] = lifo;
	pick[KORACLE_RULE_SLOT1] = pid[1] >= 0 ? 1 : KORACLE_K;
	pick[KORACLE_RULE_MARKOV2] = koracle_markov_pick(r, pid);
	pick[KORACLE_RULE_ADAPTIVE] = koracle_adaptive_pick(r, pid);
	return pick[r->selected];
}

void koracle_rules_forget(struct koracle_rules *r)
{
	r->prev_in[0] = -1;
	r->prev_in[1] = -1;
}
