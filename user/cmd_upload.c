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

#include "blob.h"
#include "commands.h"
#include "sysfs_util.h"

struct up_blob {
	u8 *data;
	size_t len;		/* bytes */
	u32 crc;		/* the header's crc field */
};

static void up_usage(FILE *f)
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

/* Reads the whole file; the size must fit a header and the kernel's bound. */
static int up_read_blob(const char *path, struct up_blob *b)
{
	size_t cap = KORACLE_BLOB_MAX_SIZE + 1;	/* one more: detect oversize */
	struct koracle_blob_hdr hdr;
	int ret = -1, fd;
	ssize_t n;

	b->data = NULL;
	b->len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "koracle: upload: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	b->data = malloc(cap);
	if (!b->data) {
		fprintf(stderr, "koracle: upload: read %s: allocate %zu bytes: %s\n", path, cap,
			strerror(ENOMEM));
		goto out;
	}
	while (b->len < cap) {
		n = read(fd, b->data + b->len, cap - b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "koracle: upload: read %s: %s\n", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	if (b->len > KORACLE_BLOB_MAX_SIZE) {
		fprintf(stderr, "koracle: upload: %s is larger than a blob can be (%u bytes at most): not a koracle quantize output?\n",
			path, KORACLE_BLOB_MAX_SIZE);
		goto out;
	}
	if (b->len < KORACLE_BLOB_HDR_SIZE) {
		fprintf(stderr, "koracle: upload: %s has %zu bytes, fewer than a blob header (%zu): not a koracle quantize output?\n",
			path, b->len, KORACLE_BLOB_HDR_SIZE);
		goto out;
	}
	memcpy(&hdr, b->data, sizeof(hdr));
	/*
	 * The module installs a blob once it has received total_size bytes, so
	 * it cannot tell a short file from a slow writer: catch that here. A
	 * longer file, or a bad total_size, the module refuses itself.
	 */
	if (b->len < koracle_from_le32(hdr.total_size)) {
		fprintf(stderr, "koracle: upload: %s is truncated: %zu bytes, its header says %u\n",
			path, b->len, koracle_from_le32(hdr.total_size));
		goto out;
	}
	b->crc = koracle_from_le32(hdr.crc);
	ret = 0;
out:
	close(fd);
	if (ret) {
		free(b->data);
		b->data = NULL;
	}
	return ret;
}

/* Explains a failed open/write/close of the model file by its errno. */
static void up_sysfs_error(const char *op, const char *path, const char *blob, int err)
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
static int up_write(const struct up_blob *b, const char *blob)
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
		up_sysfs_error("open", path, blob, errno);
		return -1;
	}
	while (done < b->len) {
		n = write(fd, b->data + done, b->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			up_sysfs_error("write", path, blob, errno);
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
		up_sysfs_error("close", path, blob, errno);
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
	struct up_blob b = { 0 };
	struct ko_model_info mi;
	int ret = KO_EXIT_FAIL;
	const char *path;
	int c, err;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c == 'h') {
			up_usage(stdout);
			return KO_EXIT_OK;
		}
		fprintf(stderr, "koracle: upload: unknown option '%s'\n", argv[optind - 1]);
		up_usage(stderr);
		return KO_EXIT_USAGE;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "koracle: upload: expected one BLOB, got %d arguments\n",
			argc - optind);
		up_usage(stderr);
		return KO_EXIT_USAGE;
	}
	path = argv[optind];
	if (up_read_blob(path, &b))
		return KO_EXIT_FAIL;
	if (up_write(&b, path))
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
	free(b.data);
	return ret;
}
