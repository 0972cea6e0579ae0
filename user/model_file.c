// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Model file writer and loader (layout in model_file.h). The loader trusts
 * nothing: every size is bounded before anything is allocated, the CRC covers
 * the whole file, and a model trained for another encoder (K, feature version,
 * vocabularies) is refused with a message saying which and how to fix it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../shared/features.h"
#include "file_read.h"
#include "model_file.h"

#define KO_MODEL_HDR	136	/* bytes before the text block (version 2) */
#define KO_MODEL_HDR_V1	132
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

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
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

int ko_model_save(const char *path, const struct ko_tcn *m,
		  const struct ko_model_meta *meta, char err[KO_ERR_LEN])
{
	const struct ko_tcn_config *c = &m->cfg;
	size_t tlen = meta->text ? strlen(meta->text) : 0;
	size_t size = KO_MODEL_HDR + tlen + 8 + 4 * m->nparams + 4;
	uint8_t *buf = calloc(1, size), *p;
	uint64_t bits;
	FILE *f = NULL;
	int ret = 0;

	if (!buf) {
		snprintf(err, KO_ERR_LEN, "%s: out of memory for the model", path);
		return -ENOMEM;
	}
	memcpy(buf, KO_MODEL_MAGIC, 8);
	put32(buf + 8, KO_MODEL_VERSION);
	put32(buf + 12, c->nslots);
	put32(buf + 16, KORACLE_FEAT_VERSION);
	put32(buf + 20, c->channels);
	put32(buf + 24, c->blocks);
	put32(buf + 28, c->kernel);
	put32(buf + 32, c->hidden);
	put32(buf + 36, c->nev);
	put32(buf + 40, c->nsf);
	put32(buf + 44, c->mask_feat);
	for (int i = 0; i < c->nev; i++)
		buf[48 + i] = (uint8_t)(c->ev_vocab[i] - 1);	/* 1..256 in a byte */
	for (int i = 0; i < c->nsf; i++)
		buf[64 + i] = (uint8_t)(c->sf_vocab[i] - 1);
	put64(buf + 80, meta->seed);
	put32(buf + 88, meta->epochs);
	put32(buf + 92, meta->best_epoch);
	put32(buf + 96, meta->window);
	put32(buf + 100, meta->batch);
	put32(buf + 104, meta->threads);
	put32(buf + 108, meta->ntrain);
	put32(buf + 112, meta->nval);
	put32(buf + 116, c->ev_ignore);
	memcpy(&bits, &meta->best_val_top1, sizeof(bits));
	put64(buf + 120, bits);
	put32(buf + 128, c->sf_ignore);
	put32(buf + 132, (uint32_t)tlen);
	memcpy(buf + KO_MODEL_HDR, meta->text ? meta->text : "", tlen);
	p = buf + KO_MODEL_HDR + tlen;
	put64(p, m->nparams);
	p += 8;
	for (size_t i = 0; i < m->nparams; i++, p += 4)
		put32(p, f2u(m->params_mem[i]));
	put32(p, (uint32_t)crc32(0L, buf, (uInt)(p - buf)));

	f = fopen(path, "wb");
	if (!f) {
		ret = -errno;
		snprintf(err, KO_ERR_LEN, "%s: cannot create the model file: %s",
			 path, strerror(errno));
		goto out;
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
out:
	free(buf);
	return ret;
}

#define BAD(...) do { snprintf(err, KO_ERR_LEN, __VA_ARGS__); ret = -EINVAL; \
		      goto out; } while (0)

int ko_model_load(const char *path, struct ko_tcn *m, struct ko_model_meta *meta,
		  char err[KO_ERR_LEN])
{
	struct ko_tcn_config c;
	uint8_t *buf = NULL;
	void *raw;
	const uint8_t *p;
	size_t len = 0, tlen, np;
	uint32_t version, k, fv, crc;
	size_t hdr = KO_MODEL_HDR;
	const char *why;
	uint64_t bits;
	int ret;

	memset(m, 0, sizeof(*m));
	memset(meta, 0, sizeof(*meta));
	ret = ko_file_read(path, KO_MODEL_MAX_SIZE, "a model file", &raw, &len,
			   err);
	if (ret)
		return ret;
	buf = raw;
	if (len < 8 || memcmp(buf, KO_MODEL_MAGIC, 8))
		BAD("%s: not a koracle model file (bad magic)", path);
	if (len < KO_MODEL_HDR_V1 + 12)
		BAD("%s: truncated model file (%zu bytes)", path, len);
	version = get32(buf + 8);
	if (version != KO_MODEL_VERSION && version != 1)
		BAD("%s: unknown model file version %u (this koracle reads 1..%d): retrain with this build",
		    path, version, KO_MODEL_VERSION);
	if (version == 1)
		hdr = KO_MODEL_HDR_V1;
	if (len < hdr + 12)
		BAD("%s: truncated model file (%zu bytes)", path, len);
	crc = (uint32_t)crc32(0L, buf, (uInt)(len - 4));
	if (crc != get32(buf + len - 4))
		BAD("%s: CRC mismatch: the model file is corrupt or truncated", path);
	k = get32(buf + 12);
	fv = get32(buf + 16);
	if (k != KORACLE_K)
		BAD("%s: model predicts K=%u slots but this build's encoder has K=%d: retrain the model",
		    path, k, KORACLE_K);
	if (fv != KORACLE_FEAT_VERSION)
		BAD("%s: model was trained on feature version %u, this build encodes version %d: retrain the model",
		    path, fv, KORACLE_FEAT_VERSION);
	memset(&c, 0, sizeof(c));
	c.nslots = (int)k;
	c.channels = (int)get32(buf + 20);
	c.blocks = (int)get32(buf + 24);
	c.kernel = (int)get32(buf + 28);
	c.hidden = (int)get32(buf + 32);
	c.nev = (int)get32(buf + 36);
	c.nsf = (int)get32(buf + 40);
	c.mask_feat = (int)get32(buf + 44);
	c.ev_ignore = get32(buf + 116);
	c.sf_ignore = version == 1 ? 0 : get32(buf + 128);
	if (c.nev != KORACLE_EF_COUNT || c.nsf != KORACLE_SF_COUNT ||
	    c.mask_feat != KORACLE_SF_STATE)
		BAD("%s: model has %d event and %d slot features, the encoder %d and %d: retrain the model",
		    path, c.nev, c.nsf, KORACLE_EF_COUNT, KORACLE_SF_COUNT);
	for (int i = 0; i < c.nev; i++) {
		c.ev_vocab[i] = buf[48 + i] + 1;
		if (c.ev_vocab[i] != koracle_event_vocab[i])
			BAD("%s: event feature %d has %d values in the model, %d in the encoder: retrain the model",
			    path, i, c.ev_vocab[i], koracle_event_vocab[i]);
	}
	for (int i = 0; i < c.nsf; i++) {
		c.sf_vocab[i] = buf[64 + i] + 1;
		if (c.sf_vocab[i] != koracle_slot_vocab[i])
			BAD("%s: slot feature %d has %d values in the model, %d in the encoder: retrain the model",
			    path, i, c.sf_vocab[i], koracle_slot_vocab[i]);
	}
	why = ko_tcn_config_check(&c);
	if (why)
		BAD("%s: bad architecture in the model file: %s", path, why);
	tlen = get32(buf + hdr - 4);
	if (tlen > KO_MODEL_MAX_TEXT || hdr + tlen + 12 > len)
		BAD("%s: text block of %zu bytes does not fit the file", path, tlen);
	np = ko_tcn_num_params(&c);
	p = buf + hdr + tlen;
	if (get64(p) != np)
		BAD("%s: %llu parameters stored, the architecture needs %zu", path,
		    (unsigned long long)get64(p), np);
	if (len != hdr + tlen + 8 + 4 * np + 4)
		BAD("%s: file is %zu bytes, the header implies %zu", path, len,
		    hdr + tlen + 8 + 4 * np + 4);
	ret = ko_tcn_create(m, &c);
	if (ret) {
		snprintf(err, KO_ERR_LEN, "%s: out of memory for the model", path);
		goto out;
	}
	p += 8;
	for (size_t i = 0; i < np; i++, p += 4)
		m->params_mem[i] = u2f(get32(p));
	meta->seed = get64(buf + 80);
	meta->epochs = (int)get32(buf + 88);
	meta->best_epoch = (int)get32(buf + 92);
	meta->window = (int)get32(buf + 96);
	meta->batch = (int)get32(buf + 100);
	meta->threads = (int)get32(buf + 104);
	meta->ntrain = (int)get32(buf + 108);
	meta->nval = (int)get32(buf + 112);
	bits = get64(buf + 120);
	memcpy(&meta->best_val_top1, &bits, sizeof(bits));
	meta->text = malloc(tlen + 1);
	if (!meta->text) {
		ret = -ENOMEM;
		snprintf(err, KO_ERR_LEN, "%s: out of memory", path);
		goto out;
	}
	memcpy(meta->text, buf + hdr, tlen);
	meta->text[tlen] = '\0';
out:
	if (ret) {
		ko_tcn_destroy(m);
		free(meta->text);
		meta->text = NULL;
	}
	free(buf);
	return ret;
}
