// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/koracle: one value per file (Documentation/filesystems/sysfs.rst).
 *
 *   enabled        rw  1: collection sessions may run; writing 0 stops the
 *                      producers and ends a running session (END(DISABLED))
 *   events         ro  records produced since load, all CPUs
 *   dropped        ro  records lost since load, all CPUs
 *   cpuN/events    ro  records produced into CPU N's stream
 *   cpuN/dropped   ro  records of CPU N's stream lost
 *
 * One cpuN directory per possible CPU, so the set does not change with CPU
 * hotplug.
 */
#include <linux/cpumask.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "koracle.h"

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
	koracle_genl_set_enabled(on);
	return count;
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

static struct kobj_attribute koracle_attr_enabled = __ATTR_RW_MODE(enabled, 0644);
static struct kobj_attribute koracle_attr_events = __ATTR_RO(events);
static struct kobj_attribute koracle_attr_dropped = __ATTR_RO(dropped);

static struct attribute *koracle_attrs[] = {
	&koracle_attr_enabled.attr,
	&koracle_attr_events.attr,
	&koracle_attr_dropped.attr,
	NULL,
};

static const struct attribute_group koracle_group = {
	.attrs = koracle_attrs,
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

static struct kobj_attribute koracle_cpu_attr_events =
	__ATTR(events, 0444, cpu_events_show, NULL);
static struct kobj_attribute koracle_cpu_attr_dropped =
	__ATTR(dropped, 0444, cpu_dropped_show, NULL);

static struct attribute *koracle_cpu_attrs[] = {
	&koracle_cpu_attr_events.attr,
	&koracle_cpu_attr_dropped.attr,
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
