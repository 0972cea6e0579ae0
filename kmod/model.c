// SPDX-License-Identifier: GPL-2.0
/*
 * The uploaded model: /sys/kernel/koracle/model takes a weight blob
 * (shared/blob.h), this file validates it, builds the model object off the
 * hot path and publishes it with RCU; the probes advance it once per switch
 * and score the list with it just before each switch (shared/predictor.h).
 *
 * Upload. Only CAP_SYS_ADMIN may replace what the scheduler runs, whatever
 * the file's mode. sysfs hands a write() to the bin attribute in pieces of
 * at most a page, each with its file offset, so the blob is staged: a write
 * at offset 0 starts a staging buffer owned by that open file, every further
 * write must come through the same file and continue exactly where the
 * previous one ended. While one file's upload is under way, any other
 * writer gets -EBUSY. Once the header's total_size is known it bounds the
 * upload; when that many bytes have arrived the blob is checked by
 * koracle_blob_parse() (every field against hard bounds, the CRC, the
 * section table), and only then the model object is allocated: the parsed
 * struct, a copy of the blob and the per-CPU streaming states in one piece.
 * Any failure returns -EINVAL from the write that completed the blob and
 * logs one line naming the failed check; the running model is untouched.
 * sysfs tells no one when a file is closed, so the staging holds a
 * reference to its file: when that is the last one, the opener has closed
 * it short of total_size (a truncated blob, a writer that went away) and
 * the upload is abandoned. It installs nothing (the CLI checks
 * model_info's CRC after); its buffer is freed by the next writer or, at
 * the latest, KORACLE_STAGE_CHECK_MS after its last piece.
 *
 * Publication. The model object (blob copy, the parsed struct koracle_qmodel
 * pointing into it, one zeroed streaming state per possible CPU) is complete
 * before rcu_assign_pointer() makes it visible; its states start fresh, and
 * the old object is freed after a grace period. The caller then restarts
 * the prediction counters (koracle_stream_new_model()), so model and
 * selector are compared on the same switches.
 *
 * Why synchronize_rcu() covers the probes: tracepoint probes run with
 * preemption disabled (__DO_TRACE), and additionally under a raw spinlock
 * with irqs off here, so they read the pointer with rcu_dereference_sched().
 * Since v4.20 the RCU flavours are consolidated: a normal RCU grace period
 * also waits for every preempt-disabled and irq-disabled region, so after
 * synchronize_rcu() no probe can still hold the old pointer.
 *
 * Per-CPU state: CPU c's state is only touched under c's stream lock (the
 * SWITCH that steps it, or a reset), so the steps of different CPUs never
 * share a byte; states are cache-line aligned apart.
 */
#include <linux/cache.h>
#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>

#include "koracle.h"
#include "blob.h"
#include "tcn_q.h"

/*
 * One allocation: this struct, then the blob copy, then the CPUs' states, so
 * that a step, which reads all three, touches as few pages as it can (each
 * costs a TLB refill after a process switch).
 */
struct koracle_model {
	struct koracle_qmodel q;	/* validated; points into @blob */
	void *blob;			/* private copy, @size bytes */
	size_t size;			/* bytes */
	size_t stride;			/* bytes between two CPUs' states */
	void *states;			/* [nr_cpu_ids][stride] streaming states */
	time64_t loaded;		/* s since the epoch, at upload */
};

static struct koracle_model __rcu *koracle_model;

/* How often an unfinished upload is checked for a closed file. */
#define KORACLE_STAGE_CHECK_MS	1000

/* Serializes uploads (staging and publication) and model_info. */
static DEFINE_MUTEX(koracle_model_lock);
static u8 *koracle_stage;		/* [KORACLE_BLOB_MAX_SIZE] or NULL */
static size_t koracle_stage_len;	/* bytes staged so far */
static size_t koracle_stage_total;	/* header's total_size, 0 unknown */
static struct file *koracle_stage_owner;	/* uploading file, referenced */

static void koracle_stage_reap_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(koracle_stage_reaper, koracle_stage_reap_fn);

/* Bytes of the header needed to read total_size. */
#define KORACLE_STAGE_TOTAL_END	(offsetof(struct koracle_blob_hdr, total_size) + \
				 sizeof(__le32))

static void *koracle_model_state(const struct koracle_model *m,
				 unsigned int cpu)
{
	return (u8 *)m->states + cpu * m->stride;
}

const struct koracle_qmodel *koracle_model_get(unsigned int cpu,
					       void **state)
{
	const struct koracle_model *m = rcu_dereference_sched(koracle_model);

	if (!m)
		return NULL;
	*state = koracle_model_state(m, cpu);
	return &m->q;
}

/* Restart @cpu's streaming state. Caller holds @cpu's stream lock. */
void koracle_model_reset_state(unsigned int cpu)
{
	const struct koracle_model *m = rcu_dereference_sched(koracle_model);

	if (m)
		koracle_qstate_reset(&m->q, koracle_model_state(m, cpu));
}

static void koracle_model_free(struct koracle_model *m)
{
	kvfree(m);
}

/* Build a model from the @len bytes at @data; NULL and *ret on failure. */
static struct koracle_model *koracle_model_build(const u8 *data, size_t len,
						 int *ret)
{
	struct koracle_qmodel q;
	struct koracle_model *m;
	size_t blob_off, states_off, stride;
	const char *why = NULL;
	unsigned int cpu;

	/* the states' size comes from the parsed blob, so parse it first */
	if (koracle_blob_parse(data, len, &q, &why)) {
		pr_warn("model upload refused: %s\n", why ?: "invalid blob");
		*ret = -EINVAL;
		return NULL;
	}
	stride = ALIGN(max_t(size_t, koracle_qstate_size(&q), 1),
		       SMP_CACHE_BYTES);
	blob_off = ALIGN(sizeof(*m), KORACLE_BLOB_ALIGN);
	states_off = ALIGN(blob_off + len, SMP_CACHE_BYTES);
	*ret = -ENOMEM;
	m = kvzalloc(size_add(states_off, array_size(nr_cpu_ids, stride)),
		     GFP_KERNEL);
	if (!m)
		return NULL;
	m->blob = (u8 *)m + blob_off;
	memcpy(m->blob, data, len);
	m->size = len;
	m->stride = stride;
	m->states = (u8 *)m + states_off;
	/* the model points into its own copy: parse that (the same bytes) */
	if (WARN_ON_ONCE(koracle_blob_parse(m->blob, len, &m->q, &why))) {
		*ret = -EINVAL;
		goto err_free;
	}
	for_each_possible_cpu(cpu)
		koracle_qstate_reset(&m->q, koracle_model_state(m, cpu));
	m->loaded = ktime_get_real_seconds();
	*ret = 0;
	return m;

err_free:
	koracle_model_free(m);
	return NULL;
}

/* Publish @m (never NULL); the old model goes after a grace period. */
static void koracle_model_publish(struct koracle_model *m)
{
	struct koracle_model *old;

	lockdep_assert_held(&koracle_model_lock);
	old = rcu_replace_pointer(koracle_model, m,
				  lockdep_is_held(&koracle_model_lock));
	pr_info("model loaded: crc=0x%08x channels=%u blocks=%u macs=%u\n",
		m->q.crc, m->q.channels, m->q.blocks, m->q.macs);
	synchronize_rcu();	/* see the top comment */
	koracle_model_free(old);
}

static void koracle_stage_drop(void)
{
	kvfree(koracle_stage);
	koracle_stage = NULL;
	koracle_stage_len = 0;
	koracle_stage_total = 0;
	if (koracle_stage_owner)
		fput(koracle_stage_owner);
	koracle_stage_owner = NULL;
}

/* Ours is the last reference to the uploading file: its opener closed it. */
static bool koracle_stage_abandoned(void)
{
	return file_count(koracle_stage_owner) == 1;
}

/* Frees an abandoned upload; checks again later while one is under way. */
static void koracle_stage_reap_fn(struct work_struct *work)
{
	mutex_lock(&koracle_model_lock);
	if (koracle_stage && koracle_stage_abandoned()) {
		pr_info("model upload abandoned after %zu of %zu bytes\n",
			koracle_stage_len, koracle_stage_total);
		koracle_stage_drop();
	} else if (koracle_stage) {
		schedule_delayed_work(&koracle_stage_reaper,
				      msecs_to_jiffies(KORACLE_STAGE_CHECK_MS));
	}
	mutex_unlock(&koracle_model_lock);
}

/*
 * The next piece of an upload through @file: @count bytes at file offset
 * @pos. Returns @count, or -errno (the staging is then dropped, unless the
 * error is that another file's upload runs).
 */
ssize_t koracle_model_write(struct file *file, const char *buf,
			    loff_t pos, size_t count, bool *installed)
{
	const struct koracle_blob_hdr *hdr;
	struct koracle_model *m;
	ssize_t ret = count;
	int err;

	*installed = false;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	mutex_lock(&koracle_model_lock);
	if (koracle_stage && koracle_stage_owner != file) {
		if (!koracle_stage_abandoned()) {
			ret = -EBUSY;
			goto out_unlock;
		}
		pr_info("model upload abandoned after %zu of %zu bytes\n",
			koracle_stage_len, koracle_stage_total);
		koracle_stage_drop();
	}
	if (pos == 0) {
		koracle_stage_drop();
		koracle_stage = kvmalloc(KORACLE_BLOB_MAX_SIZE, GFP_KERNEL);
		if (!koracle_stage) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		koracle_stage_owner = get_file(file);
	} else if (!koracle_stage || pos != koracle_stage_len) {
		pr_warn("model upload refused: write at offset %lld, expected %zu (write the blob sequentially from offset 0)\n",
			pos, koracle_stage ? koracle_stage_len : 0);
		ret = -EINVAL;
		goto out_drop;
	}
	if (count > KORACLE_BLOB_MAX_SIZE - koracle_stage_len) {
		pr_warn("model upload refused: larger than %u bytes\n",
			KORACLE_BLOB_MAX_SIZE);
		ret = -EFBIG;
		goto out_drop;
	}
	memcpy(koracle_stage + koracle_stage_len, buf, count);
	koracle_stage_len += count;

	hdr = (const struct koracle_blob_hdr *)koracle_stage;
	if (!koracle_stage_total &&
	    koracle_stage_len >= KORACLE_STAGE_TOTAL_END) {
		koracle_stage_total = koracle_from_le32(hdr->total_size);
		if (koracle_stage_total < KORACLE_BLOB_HDR_SIZE ||
		    koracle_stage_total > KORACLE_BLOB_MAX_SIZE) {
			pr_warn("model upload refused: header total_size %zu outside [%zu, %u]\n",
				koracle_stage_total, KORACLE_BLOB_HDR_SIZE,
				KORACLE_BLOB_MAX_SIZE);
			ret = -EINVAL;
			goto out_drop;
		}
	}
	if (!koracle_stage_total || koracle_stage_len < koracle_stage_total) {
		/* more to come, or an abandoned upload to free */
		mod_delayed_work(system_wq, &koracle_stage_reaper,
				 msecs_to_jiffies(KORACLE_STAGE_CHECK_MS));
		goto out_unlock;
	}
	if (koracle_stage_len > koracle_stage_total) {
		pr_warn("model upload refused: %zu bytes written, header total_size is %zu\n",
			koracle_stage_len, koracle_stage_total);
		ret = -EINVAL;
		goto out_drop;
	}

	m = koracle_model_build(koracle_stage, koracle_stage_len, &err);
	if (!m) {
		ret = err;
		goto out_drop;
	}
	koracle_model_publish(m);
	*installed = true;
out_drop:
	koracle_stage_drop();
out_unlock:
	mutex_unlock(&koracle_model_lock);
	return ret;
}

/* model_info: "none", or one line describing the running model. */
#define KORACLE_MODEL_INFO_FMT \
	"crc=0x%08x channels=%u blocks=%u kernel=%u hidden=%u slots=%u macs=%u loaded=%lld\n"

ssize_t koracle_model_info(char *buf)
{
	const struct koracle_model *m;
	ssize_t ret;

	mutex_lock(&koracle_model_lock);
	m = rcu_dereference_protected(koracle_model,
				      lockdep_is_held(&koracle_model_lock));
	if (!m)
		ret = sysfs_emit(buf, "none\n");
	else
		ret = sysfs_emit(buf, KORACLE_MODEL_INFO_FMT, m->q.crc,
				 m->q.channels, m->q.blocks, m->q.kernel,
				 m->q.hidden, m->q.nslots, m->q.macs,
				 (long long)m->loaded);
	mutex_unlock(&koracle_model_lock);
	return ret;
}

int koracle_model_init(void)
{
	RCU_INIT_POINTER(koracle_model, NULL);
	koracle_stage = NULL;
	koracle_stage_len = 0;
	koracle_stage_total = 0;
	koracle_stage_owner = NULL;
	return 0;
}

/* After the probes are detached and the sysfs files removed. */
void koracle_model_exit(void)
{
	struct koracle_model *m;

	cancel_delayed_work_sync(&koracle_stage_reaper);
	mutex_lock(&koracle_model_lock);
	koracle_stage_drop();
	m = rcu_replace_pointer(koracle_model, NULL,
				lockdep_is_held(&koracle_model_lock));
	mutex_unlock(&koracle_model_lock);
	/* tracepoint_synchronize_unregister() ran: no reader is left */
	koracle_model_free(m);
}
