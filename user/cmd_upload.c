// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * koracle upload: install a weight blob (koracle quantize, shared/blob.h) in
 * koracle.ko through /sys/kernel/koracle/model, then confirm it took.
 *
 * The CLI checks only that the size is plausible: the kernel validates every
 * field and is the one judge (a refused blob gets -EINVAL and one kernel log
 * line naming the failed check; the running model stays). The whole blob goes
 * out as one write() on one open file; sysfs hands a bin attribute at most a
 * page per call, so a short write is continued from where it stopped, on the
 * same descriptor (the module stages the pieces until the blob is complete).
 * Afterwards model_info must show the blob's CRC: anything else means the
 * kernel did not install it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob_file.h"
#include "commands.h"
#include "sysfs_client.h"

static void upload_usage(FILE *f)
{
	fprintf(f,
		"usage: koracle upload BLOB\n"
		"\n"
		"Install a weight blob (koracle quantize) in koracle.ko: write it to\n"
		"%s/model (root only), then check that model_info shows the\n"
		"blob's CRC. On success prints\n"
		"  upload: crc=0x... channels=C blocks=B kernel=k hidden=H slots=K macs=N bytes=S file=BLOB\n"
		"The kernel validates the blob; if it refuses it, the running model stays\n"
		"and the kernel log (dmesg) names the failed check.\n"
		"\n"
		"  -h, --help   this help\n"
		"\n"
		"Env: %s=DIR writes DIR/model and reads DIR/model_info instead.\n",
		KO_SYSFS_DEFAULT, KO_SYSFS_ENV);
}

/* Explains a failed open/write/close of the model file by its errno. */
static void upload_sysfs_error(const char *op, const char *path, const char *blob, int err)
{
	switch (err) {
	case ENOENT:
		if (access(ko_sysfs_dir(), F_OK))
			fprintf(stderr, "koracle: upload: %s not found: is the module loaded? try: sudo insmod koracle.ko\n",
				ko_sysfs_dir());
		else
			fprintf(stderr, "koracle: upload: %s %s: %s (module and CLI from different versions?)\n",
				op, path, strerror(err));
		break;
	case EACCES:
	case EPERM:
		fprintf(stderr, "koracle: upload: %s %s: %s: uploading a model needs root; try: sudo koracle upload %s\n",
			op, path, strerror(err), blob);
		break;
	case EINVAL:
		fprintf(stderr, "koracle: upload: the kernel refused %s (%s %s: %s): a check on the blob failed and the running model stays; the kernel log names the check: dmesg | tail\n",
			blob, op, path, strerror(err));
		break;
	case EBUSY:
		fprintf(stderr, "koracle: upload: another upload to %s is under way (%s: %s); try again when it is done\n",
			path, op, strerror(err));
		break;
	case EFBIG:
	case E2BIG:
	case ENOSPC:
		fprintf(stderr, "koracle: upload: the kernel refused %s as too large (%s %s: %s)\n",
			blob, op, path, strerror(err));
		break;
	default:
		fprintf(stderr, "koracle: upload: %s %s: %s\n", op, path, strerror(err));
		break;
	}
}

/* One open, one write() of the blob (continued after short writes), close. */
static int upload_write(const struct ko_blob_file *b, const char *blob)
{
	char path[KO_SYSFS_PATH_MAX];
	size_t done = 0;
	int fd, ret = -1;
	ssize_t n;

	if (ko_sysfs_path(path, sizeof(path), "model")) {
		fprintf(stderr, "koracle: upload: %s/model: path too long\n", ko_sysfs_dir());
		return -1;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		upload_sysfs_error("open", path, blob, errno);
		return -1;
	}
	while (done < b->len) {
		n = write(fd, b->data + done, b->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			upload_sysfs_error("write", path, blob, errno);
			goto out;
		}
		if (n == 0) {
			fprintf(stderr, "koracle: upload: write %s: the kernel took 0 of the %zu bytes left of %s\n",
				path, b->len - done, blob);
			goto out;
		}
		done += (size_t)n;
	}
	ret = 0;
out:
	if (close(fd) && ret == 0) {
		upload_sysfs_error("close", path, blob, errno);
		ret = -1;
	}
	return ret;
}

int cmd_upload(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ko_blob_file b = { 0 };
	struct ko_model_info mi;
	int ret = KO_EXIT_FAIL;
	char msg[KO_ERR_LEN];
	const char *path;
	int c, err;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c == 'h') {
			upload_usage(stdout);
			return KO_EXIT_OK;
		}
		fprintf(stderr, "koracle: upload: unknown option '%s'\n", argv[optind - 1]);
		upload_usage(stderr);
		return KO_EXIT_USAGE;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "koracle: upload: expected one BLOB, got %d arguments\n",
			argc - optind);
		upload_usage(stderr);
		return KO_EXIT_USAGE;
	}
	path = argv[optind];
	if (ko_blob_file_read(path, &b, msg)) {
		fprintf(stderr, "koracle: upload: %s\n", msg);
		return KO_EXIT_FAIL;
	}
	if (upload_write(&b, path))
		goto out;
	err = ko_model_info_read(&mi);
	if (err) {
		fprintf(stderr, "koracle: upload: wrote %s, then read %s/model_info: %s\n", path,
			ko_sysfs_dir(), err == -EINVAL ? "unexpected contents" : strerror(-err));
		goto out;
	}
	if (!mi.loaded || mi.crc != b.crc) {
		char shown[32];

		if (mi.loaded)
			snprintf(shown, sizeof(shown), "crc=0x%08x", mi.crc);
		else
			snprintf(shown, sizeof(shown), "none");
		fprintf(stderr, "koracle: upload: wrote %s (%zu bytes, crc=0x%08x) but model_info shows %s: the kernel did not install it (see dmesg)\n",
			path, b.len, b.crc, shown);
		goto out;
	}
	printf("upload: crc=0x%08x channels=%u blocks=%u kernel=%u hidden=%u slots=%u macs=%llu bytes=%zu file=%s\n",
	       mi.crc, mi.channels, mi.blocks, mi.kernel, mi.hidden, mi.slots,
	       (unsigned long long)mi.macs, b.len, path);
	ret = KO_EXIT_OK;
out:
	ko_blob_file_free(&b);
	return ret;
}
