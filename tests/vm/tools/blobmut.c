// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ko-blobmut: make one malformed weight blob from a good one, for
 * tests/vm/model-bad-blobs.sh (built on the host by scripts/mkinitramfs.sh).
 *
 *   ko-blobmut IN OUT CASE
 *
 * Each CASE breaks exactly one thing; where the broken field is not the CRC
 * itself, the CRC is recomputed so the module's check for that field, not
 * the CRC check, is the one that refuses the blob:
 *   magic       first magic byte changed
 *   version     format version 99
 *   crc         one payload byte flipped (CRC left stale)
 *   channels    channels = KORACLE_Q_MAX_CHANNELS + 1
 *   offset      last section's offset past the end of the blob
 *   truncated   cut in the middle of the last section, total_size updated
 *   long        8 bytes appended after total_size
 *   short       the last 8 bytes cut, header untouched (the CLI refuses it:
 *               the module would wait for the rest)
 *   deeper      a well-formed blob one residual block deeper (the last
 *               block repeated at twice its dilation): over the module's
 *               per-switch budget when IN is near it (blob a)
 * Prints the name of the module's check that should refuse OUT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"

static u8 *slurp(const char *path, size_t *len)
{
	size_t cap = KORACLE_BLOB_MAX_SIZE + 64;
	u8 *b = malloc(cap);
	FILE *f;

	if (!b)
		return NULL;
	f = fopen(path, "rb");
	if (!f) {
		perror(path);
		free(b);
		return NULL;
	}
	*len = fread(b, 1, cap, f);
	fclose(f);
	return b;
}

/*
 * @b (a blob of @len bytes, room for twice that) rewritten one block deeper:
 * every conv section gets a copy of its last block's two convolutions, the
 * sections are laid out again back to back. Returns the new length, 0 if
 * the blob has no block to repeat or no room.
 */
static size_t deeper(u8 *b, size_t len, size_t cap)
{
	struct koracle_blob_hdr h;
	u8 *out = calloc(1, cap);
	size_t off = KORACLE_BLOB_HDR_SIZE;
	int s, B;

	memcpy(&h, b, sizeof(h));
	B = h.blocks;
	if (!out || B < 1 || B >= KORACLE_Q_MAX_BLOCKS) {
		free(out);
		return 0;
	}
	for (s = 0; s < KORACLE_BS_COUNT; s++) {
		size_t o = koracle_from_le32(h.sect[s].offset);
		size_t n = koracle_from_le32(h.sect[s].length);
		size_t extra = 0;

		if (s >= KORACLE_BS_CONV_W && s <= KORACLE_BS_CONV_S)
			extra = n / B;		/* one block's share */
		off = (off + KORACLE_BLOB_ALIGN - 1) & ~(size_t)(KORACLE_BLOB_ALIGN - 1);
		if (off + n + extra > cap || o + n > len) {
			free(out);
			return 0;
		}
		memcpy(out + off, b + o, n);
		memcpy(out + off + n, b + o + n - extra, extra);
		h.sect[s].offset = koracle_le32((u32)off);
		h.sect[s].length = koracle_le32((u32)(n + extra));
		off += n + extra;
	}
	h.blocks = (u8)(B + 1);
	h.dil[B] = (u8)(2 * h.dil[B - 1]);
	h.res_mult[B] = h.res_mult[B - 1];
	h.res_shift[B] = h.res_shift[B - 1];
	h.total_size = koracle_le32((u32)off);
	memcpy(out, &h, sizeof(h));
	memcpy(b, out, off);
	free(out);
	return off;
}

static void set_crc(u8 *b, size_t len)
{
	struct koracle_blob_hdr h;

	memcpy(&h, b, sizeof(h));
	h.crc = koracle_le32(koracle_crc32(b + KORACLE_BLOB_CRC_FROM, len - KORACLE_BLOB_CRC_FROM));
	memcpy(b, &h, sizeof(h));
}

int main(int argc, char **argv)
{
	struct koracle_blob_hdr h;
	const char *why = NULL;
	int ret = 1, last = KORACLE_BS_COUNT - 1;
	size_t len = 0, off, n;
	u8 *b;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: ko-blobmut IN OUT magic|version|crc|channels|offset|truncated|long|short|deeper\n");
		return 2;
	}
	b = slurp(argv[1], &len);
	if (!b)
		return 1;
	if (len < KORACLE_BLOB_HDR_SIZE + 16) {
		fprintf(stderr, "ko-blobmut: %s: %zu bytes is no blob\n", argv[1], len);
		goto out;
	}
	memcpy(&h, b, sizeof(h));
	/* The last non-empty section: the truncation cuts into it. */
	while (last > 0 && !koracle_from_le32(h.sect[last].length))
		last--;
	off = koracle_from_le32(h.sect[last].offset);
	n = koracle_from_le32(h.sect[last].length);
	if (!strcmp(argv[3], "magic")) {
		b[0] ^= 0x20;
		why = "bad magic";
	} else if (!strcmp(argv[3], "version")) {
		h.version = koracle_le32(99);
		memcpy(b, &h, sizeof(h));
		set_crc(b, len);
		why = "unsupported blob format version";
	} else if (!strcmp(argv[3], "crc")) {
		b[KORACLE_BLOB_HDR_SIZE + (len - KORACLE_BLOB_HDR_SIZE) / 2] ^= 0x01;
		why = "CRC mismatch";
	} else if (!strcmp(argv[3], "channels")) {
		h.channels = koracle_le16(KORACLE_Q_MAX_CHANNELS + 1);
		memcpy(b, &h, sizeof(h));
		set_crc(b, len);
		why = "channel count out of range";
	} else if (!strcmp(argv[3], "offset")) {
		h.sect[last].offset = koracle_le32((u32)((len + 2 * KORACLE_BLOB_ALIGN) &
						  ~(size_t)(KORACLE_BLOB_ALIGN - 1)));
		memcpy(b, &h, sizeof(h));
		set_crc(b, len);
		why = "section extends past the end of the blob";
	} else if (!strcmp(argv[3], "truncated")) {
		if (n < 2) {
			fprintf(stderr, "ko-blobmut: last section has %zu bytes, cannot cut into it\n", n);
			goto out;
		}
		len = off + n / 2;
		h.total_size = koracle_le32((u32)len);
		memcpy(b, &h, sizeof(h));
		set_crc(b, len);
		why = "section extends past the end of the blob";
	} else if (!strcmp(argv[3], "long")) {
		memset(b + len, 0, 8);
		len += 8;
		why = "bytes written, header total_size is";
	} else if (!strcmp(argv[3], "short")) {
		len -= 8;
		why = "(refused by the CLI: truncated)";
	} else if (!strcmp(argv[3], "deeper")) {
		len = deeper(b, len, KORACLE_BLOB_MAX_SIZE + 64);
		if (!len) {
			fprintf(stderr, "ko-blobmut: cannot deepen %s\n", argv[1]);
			goto out;
		}
		set_crc(b, len);
		why = "over the per-switch budget";
	} else {
		fprintf(stderr, "ko-blobmut: unknown case '%s'\n", argv[3]);
		ret = 2;
		goto out;
	}
	f = fopen(argv[2], "wb");
	if (!f || fwrite(b, 1, len, f) != len || fclose(f)) {
		perror(argv[2]);
		goto out;
	}
	printf("%s\n", why);
	ret = 0;
out:
	free(b);
	return ret;
}
