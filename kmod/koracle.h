/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal API between the module's files. Each file owns one concern and
 * exposes koracle_<file>_init()/koracle_<file>_exit(); main.c calls them in
 * order (ring, stream, predict, model, latency, hooks, genl, sysfs), then
 * attaches the probes if enabled, and unwinds in reverse. Calls go one way:
 * genl and sysfs use stream, which uses ring, predict and latency; predict
 * uses model and latency.
 */
#ifndef KORACLE_KMOD_H
#define KORACLE_KMOD_H

#include <linux/compiler.h>
#include <linux/types.h>

#include "record.h"

/* The module's version: MODULE_VERSION, dkms.conf's PACKAGE_VERSION. */
#define KORACLE_VERSION	"0.3.0"

/*
 * stream.c: per-CPU event streams: the stream lock, timestamps, the
 * predictor and, while a session runs, the ring, per event
 */
int koracle_stream_init(void);
void koracle_stream_exit(void);
void koracle_stream_put(unsigned int cpu, struct koracle_event *e);
void koracle_stream_call(unsigned int cpu, void (*fn)(unsigned int, void *),
			 void *arg);
/* Under @cpu's stream lock: the stream's clock now, ns (never decreases). */
u64 koracle_stream_now(unsigned int cpu);
int koracle_stream_open(void);
void koracle_stream_close(void);
void koracle_stream_free(void);
void koracle_stream_discard(unsigned int cpu, bool count_as_dropped);
void koracle_stream_reset_all(void);
void koracle_stream_new_model(void);
s32 koracle_stream_next_pid(unsigned int cpu);

/*
 * ring.c: per-CPU rings of fixed-size records, drops counted. Producer
 * calls under the CPU's stream lock; consumer and counter reads lockless.
 */
extern unsigned int koracle_ring_records;	/* records per CPU, power of 2 */

int koracle_ring_init(void);
void koracle_ring_append(unsigned int cpu, const struct koracle_event *e);
void koracle_ring_reset(unsigned int cpu);
void koracle_ring_set_open(unsigned int cpu, bool open);
void koracle_ring_discard(unsigned int cpu, bool count_as_dropped);
bool koracle_ring_allocated(unsigned int cpu);
int koracle_ring_alloc(unsigned int cpu);
void koracle_ring_free(unsigned int cpu);
unsigned int koracle_ring_avail(unsigned int cpu);
void koracle_ring_copy(unsigned int cpu, struct koracle_rec *dst,
		       unsigned int n);
void koracle_ring_consume(unsigned int cpu, unsigned int n);
u64 koracle_ring_events(unsigned int cpu);
u64 koracle_ring_dropped(unsigned int cpu);

/*
 * predict.c: per-CPU predictor (shared/predictor.h) and its counters.
 * All but _counts run under the CPU's stream lock.
 */
struct koracle_pred_counts;
struct koracle_feat;

int koracle_predict_init(void);
void koracle_predict_exit(void);
void koracle_predict_event(unsigned int cpu, struct koracle_event *e);
void koracle_predict_reset(unsigned int cpu);
void koracle_predict_zero(unsigned int cpu);
s32 koracle_predict_peek(unsigned int cpu, u64 now_ns,
			 struct koracle_feat *snap);
void koracle_predict_counts(unsigned int cpu, struct koracle_pred_counts *c);

/*
 * hooks.c: scheduler tracepoint probes, attached while enabled (genl.c
 * serializes attach and detach under its session lock)
 */
int koracle_hooks_init(void);
void koracle_hooks_exit(void);
int koracle_hooks_attach(void);
void koracle_hooks_detach(void);

/* genl.c: generic netlink family, collection sessions, the drain worker */
int koracle_genl_init(void);
void koracle_genl_exit(void);
bool koracle_genl_enabled(void);
int koracle_genl_set_enabled(bool on);
int koracle_genl_start(void);

/*
 * model.c: the uploaded model (RCU-published), its per-CPU streaming state
 * and the upload path behind /sys/kernel/koracle/model.
 */
struct koracle_qmodel;

int koracle_model_init(void);
void koracle_model_exit(void);
/*
 * Under @cpu's stream lock (irqs off: an RCU-sched read side): the running
 * model and @cpu's streaming state in *@state, or NULL without a model.
 */
const struct koracle_qmodel *koracle_model_get(unsigned int cpu,
					       void **state);
void koracle_model_reset_state(unsigned int cpu);
struct file;
ssize_t koracle_model_write(struct file *file, const char *buf,
			    loff_t pos, size_t count, bool *installed);
ssize_t koracle_model_info(char *buf);

/*
 * latency.c: per-CPU log2 histograms of the probe's costs, in debugfs; one
 * switch in 16 is timed (predict.c)
 */
enum koracle_lat {
	KORACLE_LAT_STEP,	/* model alone (score + advance), ns */
	KORACLE_LAT_SWITCH,	/* encoder, rules, selector and model, ns */
	KORACLE_LAT_COUNT,
};

int koracle_latency_init(void);
void koracle_latency_exit(void);
/* both under @cpu's stream lock */
void koracle_latency_add(unsigned int cpu, enum koracle_lat which, u64 ns);
void koracle_latency_zero(unsigned int cpu, enum koracle_lat which);

/* sysfs.c: /sys/kernel/koracle */
int koracle_sysfs_init(void);
void koracle_sysfs_exit(void);

#endif /* KORACLE_KMOD_H */
