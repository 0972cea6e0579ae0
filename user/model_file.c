// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Model file writer and loader (layout in model_file.h). The loader trusts
 * nothing: every size is bounded before anything is allocated, the CRC covers
 * the whole file, and a model trained for another encoder (K, feature version,
 * vocabularies) is refused with a message saying which and how to fix it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../shared/features.h"
#include "file_read.h"
#include "model_file.h"

/*
 * The header before the text block (version 2; model_file.h has the table).
 * Version 1 has no sf_ignore: its text_len sits where sf_ignore is here,
 * and its header ends 4 bytes earlier.
 */
struct ko_model_hdr {
	char magic[8];			/* KO_MODEL_MAGIC */
	__le32 version;			/* KO_MODEL_VERSION */
	__le32 nslots;			/* K */
	__le32 feat_version;		/* KORACLE_FEAT_VERSION */
	__le32 channels, blocks, kernel, hidden, nev, nsf, mask_feat;
	u8 ev_vocab[16];		/* vocabulary size - 1, nev used */
	u8 sf_vocab[16];		/* vocabulary size - 1, nsf used */
	__le64 seed;
	__le32 epochs, best_epoch, window, batch, threads, ntrain, nval;
	__le32 ev_ignore;		/* bit f: event feature f unused */
	__le64 best_val_top1;		/* the double's bits */
	__le32 sf_ignore;		/* bit g: slot feature g unused */
	__le32 text_len;		/* bytes of the text block */
} __packed;

#define KO_MODEL_HDR	sizeof(struct ko_model_hdr)
#define KO_MODEL_HDR_V1	(KO_MODEL_HDR - 4)
_Static_assert(sizeof(struct ko_model_hdr) == 136, "model header size");
_Static_assert(offsetof(struct ko_model_hdr, channels) == 20, "model header");
_Static_assert(offsetof(struct ko_model_hdr, ev_vocab) == 48, "model header");
_Static_assert(offsetof(struct ko_model_hdr, sf_vocab) == 64, "model header");
_Static_assert(offsetof(struct ko_model_hdr, seed) == 80, "model header");
_Static_assert(offsetof(struct ko_model_hdr, ev_ignore) == 116, "model header");
_Static_assert(offsetof(struct ko_model_hdr, best_val_top1) == 120, "model header");
_Static_assert(offsetof(struct ko_model_hdr, sf_ignore) == 128, "model header");

#define KO_MODEL_MAX_SIZE	((size_t)1 << 30)	/* bytes */

void ko_model_default_config(struct ko_tcn_config *cfg, int channels,
			     int blocks, int kernel, int hidden)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->channels = channels;
	cfg->blocks = blocks;
	cfg->kernel = kernel;
	cfg->hidden = hidden;
	cfg->nslots = KORACLE_K;
	cfg->nev = KORACLE_EF_COUNT;
	cfg->nsf = KORACLE_SF_COUNT;
	cfg->mask_feat = KORACLE_SF_STATE;
	for (int f = 0; f < KORACLE_EF_COUNT; f++)
		cfg->ev_vocab[f] = koracle_event_vocab[f];
	for (int g = 0; g < KORACLE_SF_COUNT; g++)
		cfg->sf_vocab[g] = koracle_slot_vocab[g];
}

/* A little-endian u32 / u64 at @p (any alignment). */
static void put_le32(uint8_t *p, uint32_t v)
{
	__le32 le = koracle_le32(v);

	memcpy(p, &le, sizeof(le));
}

static uint32_t get_le32(const uint8_t *p)
{
	__le32 le;

	memcpy(&le, p, sizeof(le));
	return koracle_from_le32(le);
}

static uint64_t get_le64(const uint8_t *p)
{
	__le64 le;

	memcpy(&le, p, sizeof(le));
	return koracle_from_le64(le);
}

static uint32_t f2u(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

static float u2f(uint32_t u)
{
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

/* The header of @m and @meta, with a text block of @tlen bytes. */
static void fill_header(struct ko_model_hdr *h, const struct ko_tcn *m,
			const struct ko_model_meta *meta, size_t tlen)
{
	const struct ko_tcn_config *c = &m->cfg;
	uint64_t bits;

	memset(h, 0, sizeof(*h));
	memcpy(h->magic, KO_MODEL_MAGIC, sizeof(h->magic));
	h->version = koracle_le32(KO_MODEL_VERSION);
	h->nslots = koracle_le32(c->nslots);
	h->feat_version = koracle_le32(KORACLE_FEAT_VERSION);
	h->channels = koracle_le32(c->channels);
	h->blocks = koracle_le32(c->blocks);
	h->kernel = koracle_le32(c->kernel);
	h->hidden = koracle_le32(c->hidden);
	h->nev = koracle_le32(c->nev);
	h->nsf = koracle_le32(c->nsf);
	h->mask_feat = koracle_le32(c->mask_feat);
	for (int i = 0; i < c->nev; i++)
		h->ev_vocab[i] = (uint8_t)(c->ev_vocab[i] - 1);	/* 1..256 in a byte */
	for (int i = 0; i < c->nsf; i++)
		h->sf_vocab[i] = (uint8_t)(c->sf_vocab[i] - 1);
	h->seed = koracle_le64(meta->seed);
	h->epochs = koracle_le32(meta->epochs);
	h->best_epoch = koracle_le32(meta->best_epoch);
	h->window = koracle_le32(meta->window);
	h->batch = koracle_le32(meta->batch);
	h->threads = koracle_le32(meta->threads);
	h->ntrain = koracle_le32(meta->ntrain);
	h->nval = koracle_le32(meta->nval);
	h->ev_ignore = koracle_le32(c->ev_ignore);
	memcpy(&bits, &meta->best_val_top1, sizeof(bits));
	h->best_val_top1 = koracle_le64(bits);
	h->sf_ignore = koracle_le32(c->sf_ignore);
	h->text_len = koracle_le32((uint32_t)tlen);
}

/* Writes @size bytes of @buf to @path; 0 or -errno with a message. */
static int write_file(const char *path, const uint8_t *buf, size_t size,
		      char err[KO_ERR_LEN])
{
	FILE *f = fopen(path, "wb");
	int ret = 0;

	if (!f) {
		ret = -errno;
		snprintf(err, KO_ERR_LEN, "%s: cannot create the model file: %s",
			 path, strerror(errno));
		return ret;
	}
	if (fwrite(buf, 1, size, f) != size) {
		ret = -EIO;
		snprintf(err, KO_ERR_LEN, "%s: write failed: %s", path,
			 strerror(errno));
	}
	if (fclose(f) && !ret) {
		ret = -errno;
		snprintf(err, KO_ERR_LEN, "%s: write failed: %s", path,
			 strerror(errno));
	}
	return ret;
}

int ko_model_save(const char *path, const struct ko_tcn *m,
		  const struct ko_model_meta *meta, char err[KO_ERR_LEN])
{
	size_t tlen = meta->text ? strlen(meta->text) : 0;
	size_t size = KO_MODEL_HDR + tlen + 8 + 4 * m->nparams + 4;
	uint8_t *buf = calloc(1, size), *p;
	struct ko_model_hdr h;
	__le64 np;
	int ret;

	if (!buf) {
		snprintf(err, KO_ERR_LEN, "%s: out of memory for the model", path);
		return -ENOMEM;
	}
	fill_header(&h, m, meta, tlen);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + KO_MODEL_HDR, meta->text ? meta->text : "", tlen);
	p = buf + KO_MODEL_HDR + tlen;
	np = koracle_le64(m->nparams);
	memcpy(p, &np, sizeof(np));
	p += 8;
	for (size_t i = 0; i < m->nparams; i++, p += 4)
		put_le32(p, f2u(m->params_mem[i]));
	put_le32(p, (uint32_t)crc32(0L, buf, (uInt)(p - buf)));
	ret = write_file(path, buf, size, err);
	free(buf);
	return ret;
}

#define BAD(...) do { snprintf(err, KO_ERR_LEN, __VA_ARGS__); \
		      return -EINVAL; } while (0)

/*
 * Checks the file's frame (magic, version, length, CRC) and copies its
 * header into @h (@len bytes at @buf); sets *@hdr to the header's size.
 */
static int check_frame(const char *path, const uint8_t *buf, size_t len,
		       struct ko_model_hdr *h, size_t *hdr, char err[KO_ERR_LEN])
{
	uint32_t version;

	if (len < 8 || memcmp(buf, KO_MODEL_MAGIC, 8))
		BAD("%s: not a koracle model file (bad magic)", path);
	if (len < KO_MODEL_HDR_V1 + 12)
		BAD("%s: truncated model file (%zu bytes)", path, len);
	memcpy(h, buf, sizeof(*h));	/* len >= 144 > sizeof(*h) */
	version = koracle_from_le32(h->version);
	if (version != KO_MODEL_VERSION && version != 1)
		BAD("%s: unknown model file version %u (this koracle reads 1..%d): retrain with this build",
		    path, version, KO_MODEL_VERSION);
	*hdr = version == 1 ? KO_MODEL_HDR_V1 : KO_MODEL_HDR;
	if (version == 1) {
		h->text_len = h->sf_ignore;	/* the v1 field at that offset */
		h->sf_ignore = 0;
	}
	if (len < *hdr + 12)
		BAD("%s: truncated model file (%zu bytes)", path, len);
	if ((uint32_t)crc32(0L, buf, (uInt)(len - 4)) != get_le32(buf + len - 4))
		BAD("%s: CRC mismatch: the model file is corrupt or truncated", path);
	return 0;
}

/* The architecture in @h, checked against this build's encoder, into @c. */
static int check_arch(const char *path, const struct ko_model_hdr *h,
		      struct ko_tcn_config *c, char err[KO_ERR_LEN])
{
	uint32_t k = koracle_from_le32(h->nslots);
	uint32_t fv = koracle_from_le32(h->feat_version);
	const char *why;

	if (k != KORACLE_K)
		BAD("%s: model predicts K=%u slots but this build's encoder has K=%d: retrain the model",
		    path, k, KORACLE_K);
	if (fv != KORACLE_FEAT_VERSION)
		BAD("%s: model was trained on feature version %u, this build encodes version %d: retrain the model",
		    path, fv, KORACLE_FEAT_VERSION);
	memset(c, 0, sizeof(*c));
	c->nslots = (int)k;
	c->channels = (int)koracle_from_le32(h->channels);
	c->blocks = (int)koracle_from_le32(h->blocks);
	c->kernel = (int)koracle_from_le32(h->kernel);
	c->hidden = (int)koracle_from_le32(h->hidden);
	c->nev = (int)koracle_from_le32(h->nev);
	c->nsf = (int)koracle_from_le32(h->nsf);
	c->mask_feat = (int)koracle_from_le32(h->mask_feat);
	c->ev_ignore = koracle_from_le32(h->ev_ignore);
	c->sf_ignore = koracle_from_le32(h->sf_ignore);
	if (c->nev != KORACLE_EF_COUNT || c->nsf != KORACLE_SF_COUNT ||
	    c->mask_feat != KORACLE_SF_STATE)
		BAD("%s: model has %d event and %d slot features, the encoder %d and %d: retrain the model",
		    path, c->nev, c->nsf, KORACLE_EF_COUNT, KORACLE_SF_COUNT);
	for (int i = 0; i < c->nev; i++) {
		c->ev_vocab[i] = h->ev_vocab[i] + 1;
		if (c->ev_vocab[i] != koracle_event_vocab[i])
			BAD("%s: event feature %d has %d values in the model, %d in the encoder: retrain the model",
			    path, i, c->ev_vocab[i], koracle_event_vocab[i]);
	}
	for (int i = 0; i < c->nsf; i++) {
		c->sf_vocab[i] = h->sf_vocab[i] + 1;
		if (c->sf_vocab[i] != koracle_slot_vocab[i])
			BAD("%s: slot feature %d has %d values in the model, %d in the encoder: retrain the model",
			    path, i, c->sf_vocab[i], koracle_slot_vocab[i]);
	}
	why = ko_tcn_config_check(c);
	if (why)
		BAD("%s: bad architecture in the model file: %s", path, why);
	return 0;
}

/* The sizes after the header agree with @c: text, parameter count, total. */
static int check_sizes(const char *path, const uint8_t *buf, size_t len,
		       size_t hdr, size_t tlen, const struct ko_tcn_config *c,
		       char err[KO_ERR_LEN])
{
	size_t np = ko_tcn_num_params(c);
	uint64_t stored;

	if (tlen > KO_MODEL_MAX_TEXT || hdr + tlen + 12 > len)
		BAD("%s: text block of %zu bytes does not fit the file", path, tlen);
	stored = get_le64(buf + hdr + tlen);
	if (stored != np)
		BAD("%s: %llu parameters stored, the architecture needs %zu", path,
		    (unsigned long long)stored, np);
	if (len != hdr + tlen + 8 + 4 * np + 4)
		BAD("%s: file is %zu bytes, the header implies %zu", path, len,
		    hdr + tlen + 8 + 4 * np + 4);
	return 0;
}

#undef BAD

/* The training metadata of @h and the @tlen-byte text at @text. */
static int read_meta(const struct ko_model_hdr *h, const uint8_t *text,
		     size_t tlen, struct ko_model_meta *meta)
{
	uint64_t bits = koracle_from_le64(h->best_val_top1);

	meta->seed = koracle_from_le64(h->seed);
	meta->epochs = (int)koracle_from_le32(h->epochs);
	meta->best_epoch = (int)koracle_from_le32(h->best_epoch);
	meta->window = (int)koracle_from_le32(h->window);
	meta->batch = (int)koracle_from_le32(h->batch);
	meta->threads = (int)koracle_from_le32(h->threads);
	meta->ntrain = (int)koracle_from_le32(h->ntrain);
	meta->nval = (int)koracle_from_le32(h->nval);
	memcpy(&meta->best_val_top1, &bits, sizeof(bits));
	meta->text = malloc(tlen + 1);
	if (!meta->text)
		return -ENOMEM;
	memcpy(meta->text, text, tlen);
	meta->text[tlen] = '\0';
	return 0;
}

int ko_model_load(const char *path, struct ko_tcn *m, struct ko_model_meta *meta,
		  char err[KO_ERR_LEN])
{
	struct ko_model_hdr h;
	struct ko_tcn_config c;
	uint8_t *buf = NULL;
	const uint8_t *p;
	size_t len = 0, tlen, hdr;
	void *raw;
	int ret;

	memset(m, 0, sizeof(*m));
	memset(meta, 0, sizeof(*meta));
	ret = ko_file_read(path, KO_MODEL_MAX_SIZE, "a model file", &raw, &len,
			   err);
	if (ret)
		return ret;
	buf = raw;
	ret = check_frame(path, buf, len, &h, &hdr, err);
	if (!ret)
		ret = check_arch(path, &h, &c, err);
	if (ret)
		goto out;
	tlen = koracle_from_le32(h.text_len);
	ret = check_sizes(path, buf, len, hdr, tlen, &c, err);
	if (ret)
		goto out;
	ret = ko_tcn_create(m, &c);
	if (ret) {
		snprintf(err, KO_ERR_LEN, "%s: out of memory for the model", path);
		goto out;
	}
	p = buf + hdr + tlen + 8;
	for (size_t i = 0; i < m->nparams; i++, p += 4)
		m->params_mem[i] = u2f(get_le32(p));
	ret = read_meta(&h, buf + hdr, tlen, meta);
	if (ret)
		snprintf(err, KO_ERR_LEN, "%s: out of memory", path);
out:
	if (ret) {
		ko_tcn_destroy(m);
		free(meta->text);
		meta->text = NULL;
	}
	free(buf);
	return ret;
}
