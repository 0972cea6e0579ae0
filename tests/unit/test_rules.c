// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The rule baselines and the online selector (shared/rules.c), driven
 * directly with hand-made candidate lists and labels.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "rules.h"

#define K KORACLE_K
#define NA KORACLE_LABEL_NA

static struct koracle_rules r;
static s32 pid[K];
static u8 fifo = K, lifo = K;	/* oldest and newest runnable slots */
static u8 pick[KORACLE_RULE_COUNT];

/* Every slot i holds pid 100 + i; none runnable. */
static void setup(void)
{
	int i;

	koracle_rules_init(&r);
	for (i = 0; i < K; i++)
		pid[i] = 100 + i;
	fifo = K;
	lifo = K;
}

/* The rules' picks on the list, into @pick; the selector's pick. */
static u8 predict(void)
{
	return koracle_rules_pick(&r, pid, fifo, lifo, pick);
}

/* A switch to @in whose class in the list @pick was made on is @label. */
static void update(u8 label, s32 in)
{
	koracle_rules_update(&r, pick, label, in);
}

TestSuite(rules, .init = setup);

Test(rules, fifo_lifo_slot1_on_a_list)
{
	u8 sel;

	/* runnable: slot 4 oldest, slot 9, slot 2 newest */
	fifo = 4;
	lifo = 2;
	sel = predict();
	cr_assert_eq(pick[KORACLE_RULE_FIFO], 4);
	cr_assert_eq(pick[KORACLE_RULE_LIFO], 2);
	cr_assert_eq(pick[KORACLE_RULE_SLOT1], 1);
	cr_assert_eq(pick[KORACLE_RULE_MARKOV2], K);	/* no context */
	cr_assert_eq(pick[KORACLE_RULE_ADAPTIVE], K);	/* no counts */
	cr_assert_eq(sel, 4);	/* nothing scored: FIFO, the first rule */
	cr_assert_eq(koracle_rules_sel_eighths(&r), 0);

	/* nothing runnable, slot 1 empty: FIFO, LIFO and SLOT1 say none */
	fifo = K;
	lifo = K;
	pid[1] = -1;
	predict();
	cr_assert_eq(pick[KORACLE_RULE_FIFO], K);
	cr_assert_eq(pick[KORACLE_RULE_LIFO], K);
	cr_assert_eq(pick[KORACLE_RULE_SLOT1], K);
}

Test(rules, markov2_learns_what_followed_a_pair)
{
	const s32 seq1[] = { 110, 120, 130, 110, 120 };
	const s32 seq2[] = { 100, 110, 120 };
	u64 i;

	/*
	 * 110 120 130 110 120: learns (110,120)->130, (120,130)->110,
	 * (130,110)->120; context now (110,120) -> 130, which is not in the
	 * list (slot i holds 100 + i) until we put it in slot 13.
	 */
	for (i = 0; i < 5; i++)
		koracle_rules_update(&r, NULL, NA, seq1[i]);
	predict();
	cr_assert_eq(pick[KORACLE_RULE_MARKOV2], K);	/* 130 not listed */
	pid[13] = 130;
	predict();
	cr_assert_eq(pick[KORACLE_RULE_MARKOV2], 13);
	/* 100 110 120: (110,120) is now followed by 100 (slot 0) */
	for (i = 0; i < 3; i++)
		koracle_rules_update(&r, NULL, NA, seq2[i]);
	predict();
	cr_assert_eq(pick[KORACLE_RULE_MARKOV2], 0);
	/* forgetting the context (LOST) leaves no pair to look up */
	koracle_rules_forget(&r);
	predict();
	cr_assert_eq(pick[KORACLE_RULE_MARKOV2], K);
	koracle_rules_update(&r, NULL, NA, 110);
	predict();
	cr_assert_eq(pick[KORACLE_RULE_MARKOV2], K);
	koracle_rules_update(&r, NULL, NA, 120);
	predict();
	cr_assert_eq(pick[KORACLE_RULE_MARKOV2], 0);
}

Test(rules, adaptive_follows_the_most_frequent_slot_and_decays)
{
	int i;

	/* label 7 three times, label 2 twice: ADAPTIVE picks 7 */
	for (i = 0; i < 5; i++) {
		predict();
		update(i < 3 ? 7 : 2, 500 + i);
	}
	cr_assert_eq(r.rank_hits[7], 3);
	cr_assert_eq(r.rank_hits[2], 2);
	predict();
	cr_assert_eq(pick[KORACLE_RULE_ADAPTIVE], 7);
	/* an empty slot is never picked */
	pid[7] = -1;
	predict();
	cr_assert_eq(pick[KORACLE_RULE_ADAPTIVE], K);
	pid[7] = 107;
	/* "none" labels are not counted */
	update(K, 600);
	cr_assert_eq(r.rank_hits[7], 3);
	/*
	 * Decay: slot 2 reaches KORACLE_ADAPT_CAP (256) after 254 more
	 * labels; then every count halves: 256 -> 128, 3 -> 1.
	 */
	for (i = 0; i < 254; i++) {
		predict();
		update(2, 700 + i);
	}
	cr_assert_eq(r.rank_hits[2], 128);
	cr_assert_eq(r.rank_hits[7], 1);
	predict();
	cr_assert_eq(pick[KORACLE_RULE_ADAPTIVE], 2);
}

Test(rules, selector_switches_to_the_rule_that_hits_more, .timeout = 10)
{
	s32 in = 1000;	/* incoming pids never repeat: Markov stays silent */
	int j;

	/* FIFO picks slot 3, LIFO slot 5 */
	fifo = 3;
	lifo = 5;
	predict();
	/*
	 * Phase 1, 100 switches with label 3: FIFO hits all 100; ADAPTIVE
	 * had no counts for the first one, then picks 3: 99.
	 */
	for (j = 0; j < 100; j++) {
		update(3, in++);
		predict();
	}
	cr_assert_eq(r.hits[KORACLE_RULE_FIFO], 100);
	cr_assert_eq(r.hits[KORACLE_RULE_ADAPTIVE], 99);
	cr_assert_eq(r.hits[KORACLE_RULE_LIFO], 0);
	cr_assert_eq(r.hits[KORACLE_RULE_SLOT1], 0);
	cr_assert_eq(r.hits[KORACLE_RULE_MARKOV2], 0);
	cr_assert_eq(r.selected, KORACLE_RULE_FIFO);
	/* 100 hits of a 256-switch window, the rest not yet seen: 3 eighths */
	cr_assert_eq(koracle_rules_sel_eighths(&r), 3);
	/*
	 * Phase 2, label 5: LIFO hits every time. After 100 it ties FIFO
	 * (100 each: FIFO stays, lower number); after 101 it leads. ADAPTIVE
	 * keeps picking 3 until slot 5's count (j) exceeds slot 3's (100).
	 * The window is full after 156 more switches; from then on each
	 * switch pushes one of FIFO's phase-1 hits out: 0 left after 256.
	 */
	for (j = 1; j <= 256; j++) {
		update(5, in++);
		predict();
		if (j == 100) {
			cr_assert_eq(r.hits[KORACLE_RULE_LIFO], 100);
			cr_assert_eq(r.hits[KORACLE_RULE_FIFO], 100);
			cr_assert_eq(r.selected, KORACLE_RULE_FIFO);
			cr_assert_eq(pick[KORACLE_RULE_ADAPTIVE], 3);
		}
		if (j == 101) {
			cr_assert_eq(r.selected, KORACLE_RULE_LIFO);
			cr_assert_eq(pick[KORACLE_RULE_ADAPTIVE], 5);
			/* 101 hits of the window: 808 / 256 = 3 eighths */
			cr_assert_eq(koracle_rules_sel_eighths(&r), 3);
		}
		if (j == 156) {
			cr_assert_eq(r.pos, 0);	/* 256 scored: full */
			cr_assert_eq(r.hits[KORACLE_RULE_FIFO], 100);
		}
		if (j == 157)
			cr_assert_eq(r.hits[KORACLE_RULE_FIFO], 99);
	}
	cr_assert_eq(r.hits[KORACLE_RULE_FIFO], 0);
	cr_assert_eq(r.hits[KORACLE_RULE_LIFO], 256);
	/* ADAPTIVE hit from switch 102 of phase 2 on: 155 */
	cr_assert_eq(r.hits[KORACLE_RULE_ADAPTIVE], 155);
	cr_assert_eq(r.selected, KORACLE_RULE_LIFO);
	cr_assert_eq(koracle_rules_sel_eighths(&r), 8);
}

Test(rules, unscored_switches_leave_the_history_alone)
{
	fifo = 3;
	lifo = 3;
	predict();
	update(NA, 1);				/* label unknown */
	cr_assert_eq(r.pos, 0);
	predict();
	koracle_rules_forget(&r);		/* LOST: no point to score */
	koracle_rules_update(&r, NULL, 3, 2);
	cr_assert_eq(r.pos, 0);
	cr_assert_eq(r.hits[KORACLE_RULE_FIFO], 0);
	/* "none" is scored, as a miss for every rule */
	predict();
	update(K, 3);
	cr_assert_eq(r.pos, 1);
	cr_assert_eq(r.hits[KORACLE_RULE_FIFO], 0);
	predict();
	update(3, 4);
	cr_assert_eq(r.pos, 2);
	cr_assert_eq(r.hits[KORACLE_RULE_FIFO], 1);
	/* 1 hit of the 256-switch window: 8 / 256 rounds down to 0 */
	cr_assert_eq(koracle_rules_sel_eighths(&r), 0);
}

Test(rules, picking_changes_nothing)
{
	struct koracle_rules before;

	fifo = 2;
	lifo = 6;
	update(2, 5);
	update(2, 6);
	memcpy(&before, &r, sizeof(before));
	predict();
	predict();
	cr_assert_eq(memcmp(&before, &r, sizeof(r)), 0);
}
