// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Trace file reader and writer (format: shared/trace_format.h).
 *
 * Reader: the header is checked field by field on open, so a foreign or
 * newer file is refused with a message that names the file and the field,
 * instead of being misread as records. Records are decoded one at a time;
 * a partial record at the end is an error (the file was cut short), never a
 * silent end of file.
 *
 * Writer: the header goes out first with KORACLE_TF_OPEN set, records follow
 * through a large stdio buffer, and ko_trace_finish() rewrites the header
 * without the flag (and with the final CPU count). A crashed writer therefore
 * leaves a readable file that says it is incomplete.
 *
 * Path "-" means stdin (reader) or stdout (writer). When stdout is not a
 * seekable regular file (a pipe), the header cannot be rewritten: it is
 * written once, without KORACLE_TF_OPEN and with the CPU count given to
 * ko_trace_create(); the reader's end-of-record check is then the only guard
 * against truncation. ko_trace_finish() behaves like fclose(): it always
 * releases the writer and returns 0 or -errno; the caller names the path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace_io.h"

/* Record I/O goes through this much stdio buffering (bytes). */
#define KO_TRACE_BUF_SIZE	(1 << 20)

struct ko_trace_reader {
	FILE *f;
	bool close_f;		/* false for stdin */
	char *path;
	u64 index;		/* records returned so far */
	struct ko_trace_info info;
	char err[KO_ERR_LEN];
};

struct ko_trace_writer {
	FILE *f;
	bool close_f;		/* false for stdout */
	bool rewrite;		/* header can be rewritten at @hdr_off */
	off_t hdr_off;		/* byte offset of the header in @f */
	char *path;
	u64 written;		/* records written */
	struct koracle_trace_hdr hdr;
	char err[KO_ERR_LEN];
};

static const char *ko_name(const char *path)
{
	return strcmp(path, "-") ? path : "<stdio>";
}

/* Copies a fixed, possibly unterminated header string into a C string. */
static void ko_copy_field(char *dst, const char *src, size_t len)
{
	size_t n = strnlen(src, len);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int ko_check_hdr(const struct koracle_trace_hdr *h, const char *name,
			struct ko_trace_info *info, char err[KO_ERR_LEN])
{
	u32 version = koracle_from_le32(h->version);
	u32 hdr_size = koracle_from_le32(h->hdr_size);
	u32 rec_size = koracle_from_le32(h->rec_size);
	u32 rec_version = koracle_from_le32(h->rec_version);
	u32 source = koracle_from_le32(h->source);
	u32 ncpus = koracle_from_le32(h->ncpus);

	if (memcmp(h->magic, KORACLE_TRACE_MAGIC, sizeof(h->magic))) {
		snprintf(err, KO_ERR_LEN,
			 "%s: not a koracle trace file (bad magic; convert ftrace or CSV input with 'koracle import')",
			 name);
		return -EINVAL;
	}
	if (version != KORACLE_TRACE_VERSION) {
		snprintf(err, KO_ERR_LEN,
			 "%s: trace format version %u is not supported (this koracle reads version %d)",
			 name, version, KORACLE_TRACE_VERSION);
		return -EINVAL;
	}
	if (hdr_size != KORACLE_TRACE_HDR_SIZE) {
		snprintf(err, KO_ERR_LEN,
			 "%s: header size %u, expected %d for format version %d",
			 name, hdr_size, KORACLE_TRACE_HDR_SIZE, KORACLE_TRACE_VERSION);
		return -EINVAL;
	}
	if (rec_size != KORACLE_REC_SIZE || rec_version != KORACLE_REC_VERSION) {
		snprintf(err, KO_ERR_LEN,
			 "%s: record size %u version %u is not supported (this koracle reads size %d version %d)",
			 name, rec_size, rec_version, KORACLE_REC_SIZE, KORACLE_REC_VERSION);
		return -EINVAL;
	}
	if (source < KORACLE_SRC_MODULE || source > KORACLE_SRC_KO2CSV) {
		snprintf(err, KO_ERR_LEN, "%s: unknown trace source %u in the header",
			 name, source);
		return -EINVAL;
	}
	if (ncpus > 65536) {
		snprintf(err, KO_ERR_LEN, "%s: implausible CPU count %u in the header",
			 name, ncpus);
		return -EINVAL;
	}
	memset(info, 0, sizeof(*info));
	info->version = (int)version;
	info->source = (int)source;
	info->ncpus = (int)ncpus;
	info->unclean = koracle_from_le32(h->flags) & KORACLE_TF_OPEN;
	info->start_ns = koracle_from_le64(h->start_ns);
	ko_copy_field(info->kernel, h->kernel, sizeof(h->kernel));
	ko_copy_field(info->label, h->label, sizeof(h->label));
	ko_copy_field(info->origin, h->origin, sizeof(h->origin));
	return 0;
}

int ko_trace_open(const char *path, struct ko_trace_reader **out,
		  char err[KO_ERR_LEN])
{
	struct koracle_trace_hdr hdr;
	struct ko_trace_reader *r;
	size_t n;
	int ret;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, KO_ERR_LEN, "%s: cannot allocate a reader: %s",
			 ko_name(path), strerror(ENOMEM));
		return -ENOMEM;
	}
	r->path = strdup(ko_name(path));
	if (!r->path) {
		ret = -ENOMEM;
		snprintf(err, KO_ERR_LEN, "%s: cannot allocate a reader: %s",
			 ko_name(path), strerror(ENOMEM));
		goto err_free;
	}
	if (!strcmp(path, "-")) {
		r->f = stdin;
	} else {
		r->f = fopen(path, "rbe");
		r->close_f = true;
	}
	if (!r->f) {
		ret = -errno;
		snprintf(err, KO_ERR_LEN, "cannot open trace %s: %s", path,
			 strerror(errno));
		goto err_free;
	}
	errno = 0;
	n = fread(&hdr, 1, sizeof(hdr), r->f);
	if (n != sizeof(hdr)) {
		if (ferror(r->f)) {
			/* the real cause, e.g. EISDIR for a directory */
			ret = errno ? -errno : -EIO;
			snprintf(err, KO_ERR_LEN, "%s: reading the header: %s",
				 r->path, strerror(-ret));
		} else {
			ret = -EINVAL;
			snprintf(err, KO_ERR_LEN,
				 "%s: not a koracle trace file (%zu bytes, shorter than the %d-byte header)",
				 r->path, n, KORACLE_TRACE_HDR_SIZE);
		}
		goto err_close;
	}
	ret = ko_check_hdr(&hdr, r->path, &r->info, err);
	if (ret)
		goto err_close;
	*out = r;
	return 0;

err_close:
	if (r->close_f)
		fclose(r->f);
err_free:
	free(r->path);
	free(r);
	return ret;
}

const struct ko_trace_info *ko_trace_info(const struct ko_trace_reader *r)
{
	return &r->info;
}

int ko_trace_next(struct ko_trace_reader *r, struct koracle_event *ev)
{
	struct koracle_rec rec;
	size_t n;

	n = fread(&rec, 1, sizeof(rec), r->f);
	if (n == 0 && !ferror(r->f))
		return 0;
	if (ferror(r->f)) {
		snprintf(r->err, sizeof(r->err), "%s: reading record %llu: %s",
			 r->path, (unsigned long long)r->index, strerror(EIO));
		return -EIO;
	}
	if (n != sizeof(rec)) {
		snprintf(r->err, sizeof(r->err),
			 "%s: truncated: %zu trailing bytes after record %llu are not a whole %d-byte record (file cut short?)",
			 r->path, n, (unsigned long long)r->index, KORACLE_REC_SIZE);
		return -EINVAL;
	}
	koracle_rec_decode(ev, &rec);
	if (ev->type < KORACLE_EV_SWITCH || ev->type > KORACLE_EV_MAX) {
		snprintf(r->err, sizeof(r->err),
			 "%s: record %llu (byte offset %llu) has unknown event type %u",
			 r->path, (unsigned long long)r->index,
			 (unsigned long long)(KORACLE_TRACE_HDR_SIZE +
					      r->index * KORACLE_REC_SIZE), ev->type);
		return -EINVAL;
	}
	r->index++;
	return 1;
}

int ko_trace_rewind(struct ko_trace_reader *r)
{
	if (fseeko(r->f, KORACLE_TRACE_HDR_SIZE, SEEK_SET)) {
		int ret = -errno;

		snprintf(r->err, sizeof(r->err), "%s: cannot rewind: %s",
			 r->path, strerror(errno));
		return ret;
	}
	r->index = 0;
	return 0;
}

const char *ko_trace_error(const struct ko_trace_reader *r)
{
	return r->err;
}

void ko_trace_close(struct ko_trace_reader *r)
{
	if (!r)
		return;
	if (r->close_f)
		fclose(r->f);
	free(r->path);
	free(r);
}

static void ko_put_field(char *dst, size_t len, const char *src)
{
	memset(dst, 0, len);
	if (src)
		memcpy(dst, src, strnlen(src, len));
}

static void ko_fill_hdr(struct koracle_trace_hdr *h,
			const struct ko_trace_info *info, u32 flags)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, KORACLE_TRACE_MAGIC, sizeof(h->magic));
	h->version = koracle_le32(KORACLE_TRACE_VERSION);
	h->hdr_size = koracle_le32(KORACLE_TRACE_HDR_SIZE);
	h->rec_size = koracle_le32(KORACLE_REC_SIZE);
	h->rec_version = koracle_le32(KORACLE_REC_VERSION);
	h->source = koracle_le32((u32)info->source);
	h->flags = koracle_le32(flags);
	h->ncpus = koracle_le32(info->ncpus > 0 ? (u32)info->ncpus : 0);
	h->start_ns = koracle_le64(info->start_ns);
	ko_put_field(h->kernel, sizeof(h->kernel), info->kernel);
	ko_put_field(h->label, sizeof(h->label), info->label);
	ko_put_field(h->origin, sizeof(h->origin), info->origin);
}

/* True when @f is a regular file we can seek back into. */
static bool ko_seekable(FILE *f)
{
	struct stat st;

	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode))
		return false;
	return ftello(f) >= 0;
}

int ko_trace_create(const char *path, const struct ko_trace_info *info,
		    struct ko_trace_writer **out, char err[KO_ERR_LEN])
{
	struct ko_trace_writer *w;
	int ret;

	*out = NULL;
	if (info->source < KORACLE_SRC_MODULE || info->source > KORACLE_SRC_KO2CSV) {
		snprintf(err, KO_ERR_LEN, "%s: cannot create a trace with unknown source %d",
			 ko_name(path), info->source);
		return -EINVAL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, KO_ERR_LEN, "%s: cannot allocate a writer: %s",
			 ko_name(path), strerror(ENOMEM));
		return -ENOMEM;
	}
	w->path = strdup(ko_name(path));
	if (!w->path) {
		ret = -ENOMEM;
		snprintf(err, KO_ERR_LEN, "%s: cannot allocate a writer: %s",
			 ko_name(path), strerror(ENOMEM));
		goto err_free;
	}
	if (!strcmp(path, "-")) {
		w->f = stdout;
	} else {
		w->f = fopen(path, "wbe");
		w->close_f = true;
	}
	if (!w->f) {
		ret = -errno;
		snprintf(err, KO_ERR_LEN, "cannot create trace %s: %s", path,
			 strerror(errno));
		goto err_free;
	}
	/* Must precede the first write; a failure only costs speed. */
	setvbuf(w->f, NULL, _IOFBF, KO_TRACE_BUF_SIZE);
	w->rewrite = ko_seekable(w->f);
	if (w->rewrite)
		w->hdr_off = ftello(w->f);
	ko_fill_hdr(&w->hdr, info, w->rewrite ? KORACLE_TF_OPEN : 0);
	errno = 0;
	if (fwrite(&w->hdr, sizeof(w->hdr), 1, w->f) != 1) {
		ret = errno ? -errno : -EIO;
		snprintf(err, KO_ERR_LEN, "%s: writing the header: %s", w->path,
			 strerror(-ret));
		goto err_close;
	}
	*out = w;
	return 0;

err_close:
	if (w->close_f)
		fclose(w->f);
err_free:
	free(w->path);
	free(w);
	return ret;
}

static int ko_write_failed(struct ko_trace_writer *w)
{
	int e = errno ? errno : EIO;

	snprintf(w->err, sizeof(w->err), "%s: writing record %llu: %s", w->path,
		 (unsigned long long)w->written, strerror(e));
	return -e;
}

int ko_trace_write(struct ko_trace_writer *w, const struct koracle_event *ev)
{
	struct koracle_rec rec;

	koracle_rec_encode(&rec, ev);
	errno = 0;
	if (fwrite(&rec, sizeof(rec), 1, w->f) != 1)
		return ko_write_failed(w);
	w->written++;
	return 0;
}

int ko_trace_write_raw(struct ko_trace_writer *w, const struct koracle_rec *recs,
		       size_t n)
{
	errno = 0;
	if (n && fwrite(recs, sizeof(*recs), n, w->f) != n)
		return ko_write_failed(w);
	w->written += n;
	return 0;
}

void ko_trace_set_ncpus(struct ko_trace_writer *w, int ncpus)
{
	w->hdr.ncpus = koracle_le32(ncpus > 0 ? (u32)ncpus : 0);
}

int ko_trace_finish(struct ko_trace_writer *w)
{
	int ret = 0;

	errno = 0;
	if (fflush(w->f))
		ret = errno ? -errno : -EIO;
	if (!ret && w->rewrite) {
		w->hdr.flags = koracle_le32(koracle_from_le32(w->hdr.flags) &
					    ~(u32)KORACLE_TF_OPEN);
		if (fseeko(w->f, w->hdr_off, SEEK_SET) ||
		    fwrite(&w->hdr, sizeof(w->hdr), 1, w->f) != 1 ||
		    fflush(w->f))
			ret = errno ? -errno : -EIO;
		else if (fseeko(w->f, 0, SEEK_END))
			ret = -errno;
	}
	if (w->close_f && fclose(w->f) && !ret)
		ret = errno ? -errno : -EIO;
	free(w->path);
	free(w);
	return ret;
}

const char *ko_trace_writer_error(const struct ko_trace_writer *w)
{
	return w->err;
}
