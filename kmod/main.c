// SPDX-License-Identifier: GPL-2.0
/*
 * koracle: scheduler event collection and next-task prediction.
 * Init brings the parts up in dependency order and attaches the probes last,
 * so nothing runs in the scheduler while the rest is missing; exit mirrors
 * it (see koracle_exit()).
 */
#include <linux/init.h>
#include <linux/module.h>

#include "koracle.h"

static int __init koracle_init(void)
{
	int ret;

	ret = koracle_ring_init();
	if (ret)
		return ret;
	ret = koracle_stream_init();
	if (ret)
		return ret;
	ret = koracle_predict_init();
	if (ret)
		goto err_stream;
	ret = koracle_model_init();
	if (ret)
		goto err_predict;
	ret = koracle_latency_init();
	if (ret)
		goto err_model;
	ret = koracle_hooks_init();
	if (ret)
		goto err_latency;
	ret = koracle_genl_init();
	if (ret)
		goto err_hooks;
	ret = koracle_sysfs_init();
	if (ret)
		goto err_genl;
	ret = koracle_genl_start();
	if (ret)
		goto err_sysfs;

	pr_info("loaded: %u records per CPU ring while collecting, %s\n",
		koracle_ring_records,
		koracle_genl_enabled() ? "enabled" : "disabled");
	return 0;

err_sysfs:
	koracle_sysfs_exit();
err_genl:
	koracle_genl_exit();
err_hooks:
	koracle_hooks_exit();
err_latency:
	koracle_latency_exit();
err_model:
	koracle_model_exit();
err_predict:
	koracle_predict_exit();
err_stream:
	koracle_stream_exit();
	return ret;
}

/*
 * sysfs goes first, so that no write to "enabled" can attach the probes
 * again; then the probes, so nothing runs in the scheduler while the rest
 * goes.
 */
static void __exit koracle_exit(void)
{
	koracle_sysfs_exit();
	koracle_hooks_exit();
	koracle_genl_exit();
	koracle_latency_exit();
	koracle_model_exit();
	koracle_predict_exit();
	koracle_stream_exit();
}

module_init(koracle_init);
module_exit(koracle_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Learned next-task prediction from the scheduler's tracepoints");
MODULE_AUTHOR("The koracle project");
MODULE_VERSION(KORACLE_VERSION);
