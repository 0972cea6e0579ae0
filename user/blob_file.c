// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Weight blob files (blob_file.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob_file.h"
#include "file_read.h"

#define KO_BLOB_HINT	"not a koracle quantize output?"

int ko_blob_file_sniff(const char *path, char err[KO_ERR_LEN])
{
	FILE *f = fopen(path, "rb");
	char magic[8];
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(err, KO_ERR_LEN, "open %s: %s", path, strerror(errno));
		return ret;
	}
	ret = fread(magic, 1, sizeof(magic), f) == sizeof(magic) &&
	      !memcmp(magic, KORACLE_BLOB_MAGIC, sizeof(magic));
	fclose(f);
	return ret;
}

int ko_blob_file_read(const char *path, struct ko_blob_file *b,
		      char err[KO_ERR_LEN])
{
	struct koracle_blob_hdr hdr;
	void *raw;
	int ret;

	memset(b, 0, sizeof(*b));
	ret = ko_file_read(path, KORACLE_BLOB_MAX_SIZE, "a weight blob", &raw,
			   &b->len, err);
	if (ret == -EFBIG) {
		size_t n = strlen(err);

		snprintf(err + n, KO_ERR_LEN - n, ": %s", KO_BLOB_HINT);
	}
	if (ret)
		return ret;
	b->data = raw;
	if (b->len < KORACLE_BLOB_HDR_SIZE) {
		snprintf(err, KO_ERR_LEN,
			 "%s has %zu bytes, fewer than a blob header (%zu): %s",
			 path, b->len, KORACLE_BLOB_HDR_SIZE, KO_BLOB_HINT);
		goto bad;
	}
	memcpy(&hdr, b->data, sizeof(hdr));
	/* a longer file, or a bad total_size, the kernel's validator refuses */
	if (b->len < koracle_from_le32(hdr.total_size)) {
		snprintf(err, KO_ERR_LEN, "%s is truncated: %zu bytes, its header says %u",
			 path, b->len, koracle_from_le32(hdr.total_size));
		goto bad;
	}
	b->crc = koracle_from_le32(hdr.crc);
	return 0;
bad:
	ko_blob_file_free(b);
	return -EINVAL;
}

int ko_blob_file_load(const char *path, struct ko_blob_file *b,
		      struct koracle_qmodel *qm, char err[KO_ERR_LEN])
{
	const char *why;
	int ret;

	ret = ko_blob_file_read(path, b, err);
	if (ret)
		return ret;
	if (koracle_blob_parse(b->data, b->len, qm, &why)) {
		snprintf(err, KO_ERR_LEN, "%s: invalid weight blob: %s", path, why);
		ko_blob_file_free(b);
		return -EINVAL;
	}
	return 0;
}

int ko_blob_file_write(const char *path, const u8 *blob, size_t len,
		       char err[KO_ERR_LEN])
{
	FILE *f = fopen(path, "wb");
	int ret = 0;

	if (!f) {
		ret = -errno;
		snprintf(err, KO_ERR_LEN, "%s: cannot create the blob: %s", path,
			 strerror(errno));
		return ret;
	}
	if (fwrite(blob, 1, len, f) != len)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -EIO;
	if (ret)
		snprintf(err, KO_ERR_LEN, "%s: write failed: %s", path,
			 strerror(errno));
	return ret;
}

void ko_blob_file_free(struct ko_blob_file *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
