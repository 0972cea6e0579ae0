/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The weight blob: what `koracle quantize` writes, `koracle upload` sends to
 * /sys/kernel/koracle/model and koracle_blob_parse() (shared/blob.c)
 * validates before the module uses a byte of it. Little endian throughout.
 *
 *   struct koracle_blob_hdr (KORACLE_BLOB_HDR_SIZE bytes), then the sections
 *   in enum koracle_blob_sect order, each at an 8-byte aligned offset given
 *   by the header's section table, with exactly the length the architecture
 *   implies (padding between sections is zero and unused).
 *
 * CRC: @crc is the CRC-32 (IEEE, zlib's crc32()) of every byte from offset
 * 12 (the field after @crc) to the end of the blob, so it covers the header
 * (architecture, quantization parameters, section table) and the payload.
 * It is the blob's identity: model_info prints it.
 *
 * Sections (shapes in elements; s16/s32 little endian):
 *   EMB_EV    s16 (sum ev_vocab, C)      event tables summed into x0
 *   CONV_W    s8  (B, 2, C, k*C)         conv weights, see struct koracle_qconv
 *   CONV_B    s32 (B, 2, C)              biases, acc units
 *   CONV_M    s32 (B, 2, C)              requant multipliers
 *   CONV_S    s8  (B, 2, C)              requant shifts
 *   HEAD_W    s8  (H, C)                 head projection h -> hz
 *   HEAD_B    s32 (H)
 *   HEAD_M    s32 (H)
 *   HEAD_S    s8  (H)
 *   EMB_SLOT  s16 (group rows, H)        slot tables in hz's scale: group g's
 *                                        table (prod of its features'
 *                                        vocabularies rows, first feature
 *                                        slowest) after group g-1's
 *   HEAD_V    s8  (H)                    slot score weights
 * (sections of a model with B = 0 have length 0 for the CONV_* ones.)
 */
#ifndef KORACLE_BLOB_H
#define KORACLE_BLOB_H

#include "koracle_types.h"
#include "tcn_q.h"

#define KORACLE_BLOB_MAGIC	"KORQBLOB"
#define KORACLE_BLOB_VERSION	1
#define KORACLE_BLOB_MAX_SIZE	0x200000	/* 2 MiB; the largest legal
						 * model is ~1.2 MiB
						 */
#define KORACLE_BLOB_ALIGN	8
#define KORACLE_BLOB_MAX_FEAT	16	/* vocabulary array entries */
#define KORACLE_BLOB_CRC_FROM	12	/* first byte the CRC covers */

enum koracle_blob_sect {
	KORACLE_BS_EMB_EV,
	KORACLE_BS_CONV_W,
	KORACLE_BS_CONV_B,
	KORACLE_BS_CONV_M,
	KORACLE_BS_CONV_S,
	KORACLE_BS_HEAD_W,
	KORACLE_BS_HEAD_B,
	KORACLE_BS_HEAD_M,
	KORACLE_BS_HEAD_S,
	KORACLE_BS_EMB_SLOT,
	KORACLE_BS_HEAD_V,
	KORACLE_BS_COUNT,
};

struct koracle_blob_sect_ent {
	__le32 offset;		/* bytes from the blob's start */
	__le32 length;		/* bytes */
} __packed;

struct koracle_blob_hdr {
	char magic[8];		/* KORACLE_BLOB_MAGIC, no NUL */
	__le32 crc;		/* CRC-32 of bytes [12, total_size) */
	__le32 version;		/* KORACLE_BLOB_VERSION */
	__le32 hdr_size;	/* sizeof(struct koracle_blob_hdr) */
	__le32 total_size;	/* bytes of the whole blob */
	/* architecture (must match the running encoder: features.h) */
	__le16 feat_version;	/* KORACLE_FEAT_VERSION */
	u8 nslots;		/* K (KORACLE_K) */
	u8 nev;			/* F (KORACLE_EF_COUNT) */
	u8 nsf;			/* G (KORACLE_SF_COUNT) */
	u8 mask_feat;		/* KORACLE_SF_STATE */
	u8 kernel;		/* k, 1..KORACLE_Q_MAX_KERNEL */
	u8 blocks;		/* B, 0..KORACLE_Q_MAX_BLOCKS */
	__le16 channels;	/* C, 1..KORACLE_Q_MAX_CHANNELS */
	__le16 hidden;		/* H, 1..KORACLE_Q_MAX_HIDDEN */
	__le32 ev_ignore;	/* bit f: event feature f unused */
	__le32 sf_ignore;	/* bit g: slot feature g unused */
	u8 ev_vocab[KORACLE_BLOB_MAX_FEAT];	/* values per event feature; 0 past F */
	u8 sf_vocab[KORACLE_BLOB_MAX_FEAT];	/* per slot feature; 0 past G */
	u8 dil[KORACLE_Q_MAX_BLOCKS];	/* block b's dilation (2^b); 0 past B */
	/* quantization: residual rescale of block b's input to its output */
	s8 res_shift[KORACLE_Q_MAX_BLOCKS];
	__le32 res_mult[KORACLE_Q_MAX_BLOCKS];
	__le32 reserved[4];	/* zero */
	/*
	 * Slot table groups (tcn_q.h): group g merges features group_feat[g][],
	 * 0xff-terminated; groups past ngroups all 0xff. Every slot feature not
	 * in sf_ignore is in exactly one group, an ignored one in none.
	 */
	u8 ngroups;		/* 1..KORACLE_Q_HEAD_GROUPS */
	u8 group_feat[KORACLE_Q_MAX_GROUPS][KORACLE_Q_GROUP_FEATS];
	u8 pad[7];		/* zero */
	struct koracle_blob_sect_ent sect[KORACLE_BS_COUNT];
} __packed;

#define KORACLE_BLOB_HDR_SIZE	sizeof(struct koracle_blob_hdr)

/* CRC a blob's header field must hold (no checks: call on >= 12 bytes). */
u32 koracle_blob_crc(const void *blob, size_t len);

#endif /* KORACLE_BLOB_H */
