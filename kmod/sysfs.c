// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/koracle: one value per file (Documentation/filesystems/sysfs.rst).
 *
 *   enabled        rw  1: the probes are attached, predictions run and
 *                      collection sessions may run; writing 0 ends a running
 *                      session (END(DISABLED)) and detaches the probes
 *   events         ro  records produced since load, all CPUs
 *   dropped        ro  records lost since load, all CPUs
 *   model          wo  (root, binary) a weight blob: validated, then it
 *                      replaces the running model (model.c)
 *   model_info     ro  "none", or one line: crc, architecture, load time
 *   predictions    ro  scored switches since load or the last upload
 *   hits           ro  the raw model's hits among them (0 without a model)
 *   baseline_hits  ro  the online rule selector's hits among them
 *   published_hits ro  the hits of what next_pid published among them:
 *                      koracle's own accuracy (= baseline_hits, no model)
 *   cpuN/events    ro  records produced into CPU N's stream
 *   cpuN/dropped   ro  records of CPU N's stream lost
 *   cpuN/next_pid  ro  CPU N's predicted next task, formed when read from
 *                      every event of its stream so far: with a model the
 *                      gate's choice of the model's and the selector's
 *                      pick (predict.c), else the selector's; in the
 *                      reader's pid namespace; -1 none, or a task the
 *                      reader may not see (koracle_next_for_reader())
 *   cpuN/next_comm ro  that task's name, looked up now; empty if none
 *   cpuN/{predictions,hits,baseline_hits,published_hits}
 *                  ro  CPU N's share of the totals
 *
 * One cpuN directory per possible CPU, so the set does not change with CPU
 * hotplug.
 */
#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/cred.h>
#include <linux/kobject.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "koracle.h"
#include "blob.h"
#include "predictor.h"

static struct kobject *koracle_kobj;

/* A cpuN directory: the kobject knows its CPU. */
struct koracle_cpu_dir {
	struct kobject kobj;
	unsigned int cpu;
};

static struct koracle_cpu_dir **koracle_cpu_dirs;	/* [nr_cpu_ids] */

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", koracle_genl_enabled());
}

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	bool on;
	int ret;

	ret = kstrtobool(buf, &on);
	if (ret)
		return ret;
	ret = koracle_genl_set_enabled(on);
	return ret ? ret : count;
}

static ssize_t events_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	unsigned int cpu;
	u64 sum = 0;

	for_each_possible_cpu(cpu)
		sum += koracle_ring_events(cpu);
	return sysfs_emit(buf, "%llu\n", sum);
}

static ssize_t dropped_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	unsigned int cpu;
	u64 sum = 0;

	for_each_possible_cpu(cpu)
		sum += koracle_ring_dropped(cpu);
	return sysfs_emit(buf, "%llu\n", sum);
}

/* Sum of every CPU's prediction counters. */
static void koracle_counts_total(struct koracle_pred_counts *t)
{
	struct koracle_pred_counts c;
	unsigned int cpu;

	memset(t, 0, sizeof(*t));
	for_each_possible_cpu(cpu) {
		koracle_predict_counts(cpu, &c);
		t->predictions += c.predictions;
		t->hits += c.hits;
		t->baseline_hits += c.baseline_hits;
		t->published_hits += c.published_hits;
	}
}

static ssize_t predictions_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	struct koracle_pred_counts t;

	koracle_counts_total(&t);
	return sysfs_emit(buf, "%llu\n", t.predictions);
}

static ssize_t hits_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct koracle_pred_counts t;

	koracle_counts_total(&t);
	return sysfs_emit(buf, "%llu\n", t.hits);
}

static ssize_t baseline_hits_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	struct koracle_pred_counts t;

	koracle_counts_total(&t);
	return sysfs_emit(buf, "%llu\n", t.baseline_hits);
}

static ssize_t published_hits_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	struct koracle_pred_counts t;

	koracle_counts_total(&t);
	return sysfs_emit(buf, "%llu\n", t.published_hits);
}

static ssize_t model_info_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return koracle_model_info(buf);
}

static ssize_t model_write(struct file *file, struct kobject *kobj,
			   struct bin_attribute *attr, char *buf, loff_t pos,
			   size_t count)
{
	bool installed;
	ssize_t ret;

	ret = koracle_model_write(file, buf, pos, count, &installed);
	if (installed)
		koracle_stream_new_model();
	return ret;
}

static struct kobj_attribute koracle_attr_enabled = __ATTR_RW_MODE(enabled, 0644);
static struct kobj_attribute koracle_attr_events = __ATTR_RO(events);
static struct kobj_attribute koracle_attr_dropped = __ATTR_RO(dropped);
static struct kobj_attribute koracle_attr_predictions = __ATTR_RO(predictions);
static struct kobj_attribute koracle_attr_hits = __ATTR_RO(hits);
static struct kobj_attribute koracle_attr_baseline_hits =
	__ATTR_RO(baseline_hits);
static struct kobj_attribute koracle_attr_published_hits =
	__ATTR_RO(published_hits);
static struct kobj_attribute koracle_attr_model_info = __ATTR_RO(model_info);
/* Root only, write only: a blob replaces what the scheduler runs. */
static struct bin_attribute koracle_attr_model =
	__BIN_ATTR(model, 0200, NULL, model_write, KORACLE_BLOB_MAX_SIZE);

static struct attribute *koracle_attrs[] = {
	&koracle_attr_enabled.attr,
	&koracle_attr_events.attr,
	&koracle_attr_dropped.attr,
	&koracle_attr_predictions.attr,
	&koracle_attr_hits.attr,
	&koracle_attr_baseline_hits.attr,
	&koracle_attr_published_hits.attr,
	&koracle_attr_model_info.attr,
	NULL,
};

static struct bin_attribute *koracle_bin_attrs[] = {
	&koracle_attr_model,
	NULL,
};

static const struct attribute_group koracle_group = {
	.attrs = koracle_attrs,
	.bin_attrs = koracle_bin_attrs,
};

static unsigned int koracle_dir_cpu(struct kobject *kobj)
{
	return container_of(kobj, struct koracle_cpu_dir, kobj)->cpu;
}

static ssize_t cpu_events_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", koracle_ring_events(koracle_dir_cpu(kobj)));
}

static ssize_t cpu_dropped_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  koracle_ring_dropped(koracle_dir_cpu(kobj)));
}

/*
 * CPU @cpu's prediction as the reader may see it: *@nr its pid in the
 * reader's pid namespace and @comm its name, or -1 and "". A prediction
 * names another user's task and tells when it runs, so only a reader with
 * CAP_PERFMON or CAP_SYS_ADMIN (as perf asks for system-wide tracing) sees
 * every task; any other reader only its own tasks (same real uid), and no
 * one a task outside their pid namespace. pid 0 is the CPU's idle task,
 * which has no struct pid: privileged readers only.
 */
struct koracle_next {
	pid_t nr;
	char comm[TASK_COMM_LEN];
};

static void koracle_next_for_reader(unsigned int cpu,
				    struct koracle_next *n)
{
	s32 pid = koracle_stream_next_pid(cpu);
	bool privileged = perfmon_capable();
	struct task_struct *t;
	struct pid *p;

	n->nr = -1;
	n->comm[0] = '\0';
	if (pid == 0 && privileged) {
		n->nr = 0;
		snprintf(n->comm, sizeof(n->comm), "swapper/%u", cpu);
	}
	if (pid <= 0)
		return;
	rcu_read_lock();
	p = find_pid_ns(pid, &init_pid_ns);
	t = pid_task(p, PIDTYPE_PID);
	if (t && (privileged || uid_eq(task_uid(t), current_uid()))) {
		n->nr = pid_nr_ns(p, task_active_pid_ns(current)) ?: -1;
		if (n->nr > 0)
			get_task_comm(n->comm, t);
	}
	rcu_read_unlock();
}

static ssize_t cpu_next_pid_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	struct koracle_next n;

	koracle_next_for_reader(koracle_dir_cpu(kobj), &n);
	return sysfs_emit(buf, "%d\n", n.nr);
}

/*
 * The predicted task's name, looked up at read time (a second prediction:
 * it may name a later task than a next_pid read just before).
 */
static ssize_t cpu_next_comm_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	struct koracle_next n;

	koracle_next_for_reader(koracle_dir_cpu(kobj), &n);
	return sysfs_emit(buf, "%s\n", n.comm);
}

static ssize_t cpu_predictions_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	struct koracle_pred_counts c;

	koracle_predict_counts(koracle_dir_cpu(kobj), &c);
	return sysfs_emit(buf, "%llu\n", c.predictions);
}

static ssize_t cpu_hits_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct koracle_pred_counts c;

	koracle_predict_counts(koracle_dir_cpu(kobj), &c);
	return sysfs_emit(buf, "%llu\n", c.hits);
}

static ssize_t cpu_baseline_hits_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	struct koracle_pred_counts c;

	koracle_predict_counts(koracle_dir_cpu(kobj), &c);
	return sysfs_emit(buf, "%llu\n", c.baseline_hits);
}

static ssize_t cpu_published_hits_show(struct kobject *kobj,
				       struct kobj_attribute *attr, char *buf)
{
	struct koracle_pred_counts c;

	koracle_predict_counts(koracle_dir_cpu(kobj), &c);
	return sysfs_emit(buf, "%llu\n", c.published_hits);
}

static struct kobj_attribute koracle_cpu_attr_events =
	__ATTR(events, 0444, cpu_events_show, NULL);
static struct kobj_attribute koracle_cpu_attr_dropped =
	__ATTR(dropped, 0444, cpu_dropped_show, NULL);
static struct kobj_attribute koracle_cpu_attr_next_pid =
	__ATTR(next_pid, 0444, cpu_next_pid_show, NULL);
static struct kobj_attribute koracle_cpu_attr_next_comm =
	__ATTR(next_comm, 0444, cpu_next_comm_show, NULL);
static struct kobj_attribute koracle_cpu_attr_predictions =
	__ATTR(predictions, 0444, cpu_predictions_show, NULL);
static struct kobj_attribute koracle_cpu_attr_hits =
	__ATTR(hits, 0444, cpu_hits_show, NULL);
static struct kobj_attribute koracle_cpu_attr_baseline_hits =
	__ATTR(baseline_hits, 0444, cpu_baseline_hits_show, NULL);
static struct kobj_attribute koracle_cpu_attr_published_hits =
	__ATTR(published_hits, 0444, cpu_published_hits_show, NULL);

static struct attribute *koracle_cpu_attrs[] = {
	&koracle_cpu_attr_events.attr,
	&koracle_cpu_attr_dropped.attr,
	&koracle_cpu_attr_next_pid.attr,
	&koracle_cpu_attr_next_comm.attr,
	&koracle_cpu_attr_predictions.attr,
	&koracle_cpu_attr_hits.attr,
	&koracle_cpu_attr_baseline_hits.attr,
	&koracle_cpu_attr_published_hits.attr,
	NULL,
};
ATTRIBUTE_GROUPS(koracle_cpu);

static void koracle_cpu_dir_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct koracle_cpu_dir, kobj));
}

static const struct kobj_type koracle_cpu_ktype = {
	.release = koracle_cpu_dir_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = koracle_cpu_groups,
};

static void koracle_cpu_dirs_remove(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		if (koracle_cpu_dirs[cpu])
			kobject_put(&koracle_cpu_dirs[cpu]->kobj);
		koracle_cpu_dirs[cpu] = NULL;
	}
}

static int koracle_cpu_dirs_add(void)
{
	struct koracle_cpu_dir *d;
	unsigned int cpu;
	int ret;

	for_each_possible_cpu(cpu) {
		d = kzalloc(sizeof(*d), GFP_KERNEL);
		if (!d)
			return -ENOMEM;
		d->cpu = cpu;
		ret = kobject_init_and_add(&d->kobj, &koracle_cpu_ktype,
					   koracle_kobj, "cpu%u", cpu);
		if (ret) {
			/* The kobject owns @d now: put, never kfree. */
			kobject_put(&d->kobj);
			return ret;
		}
		koracle_cpu_dirs[cpu] = d;
	}
	return 0;
}

int koracle_sysfs_init(void)
{
	int ret;

	koracle_cpu_dirs = kcalloc(nr_cpu_ids, sizeof(*koracle_cpu_dirs),
				   GFP_KERNEL);
	if (!koracle_cpu_dirs)
		return -ENOMEM;

	koracle_kobj = kobject_create_and_add("koracle", kernel_kobj);
	if (!koracle_kobj) {
		ret = -ENOMEM;
		goto err_free_dirs;
	}
	ret = sysfs_create_group(koracle_kobj, &koracle_group);
	if (ret)
		goto err_put_kobj;
	ret = koracle_cpu_dirs_add();
	if (ret)
		goto err_remove_cpu_dirs;
	return 0;

err_remove_cpu_dirs:
	koracle_cpu_dirs_remove();
	sysfs_remove_group(koracle_kobj, &koracle_group);
err_put_kobj:
	kobject_put(koracle_kobj);
err_free_dirs:
	kfree(koracle_cpu_dirs);
	return ret;
}

void koracle_sysfs_exit(void)
{
	koracle_cpu_dirs_remove();
	sysfs_remove_group(koracle_kobj, &koracle_group);
	kobject_put(koracle_kobj);
	kfree(koracle_cpu_dirs);
}
