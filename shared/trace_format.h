/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * koracle trace file: a fixed header, then struct koracle_rec records until
 * end of file, in the order they were received. Records of one CPU's stream
 * (rec.cpu) appear in that stream's order; streams are interleaved by batch,
 * so readers that need time order per CPU split by rec.cpu.
 *
 * A file ends on a record boundary; a trailing partial record means the file
 * was truncated and readers report it. The collector writes the header first
 * with @flags & KORACLE_TF_OPEN and clears the flag when it closes the file
 * cleanly; records before a crash are still readable.
 *
 * Layout (little endian, 256 bytes):
 */
#ifndef KORACLE_TRACE_FORMAT_H
#define KORACLE_TRACE_FORMAT_H

#include "koracle_types.h"

#define KORACLE_TRACE_MAGIC	"KORTRACE"	/* 8 bytes, no NUL */
#define KORACLE_TRACE_VERSION	1
#define KORACLE_TRACE_HDR_SIZE	256
#define KORACLE_TRACE_LABEL_LEN	64
#define KORACLE_TRACE_KREL_LEN	64
#define KORACLE_TRACE_SRC_LEN	64

/* @source */
enum koracle_trace_source {
	KORACLE_SRC_MODULE	= 1,	/* koracle collect (netlink) */
	KORACLE_SRC_FTRACE	= 2,	/* koracle import --format ftrace */
	KORACLE_SRC_KO2CSV	= 3,	/* koracle import --format ko2csv */
};

/* @flags */
#define KORACLE_TF_OPEN		0x1	/* writer did not finish cleanly */

struct koracle_trace_hdr {
	char magic[8];
	__le32 version;		/* KORACLE_TRACE_VERSION */
	__le32 hdr_size;	/* KORACLE_TRACE_HDR_SIZE; records start here */
	__le32 rec_size;	/* KORACLE_REC_SIZE */
	__le32 rec_version;	/* KORACLE_REC_VERSION */
	__le32 source;		/* enum koracle_trace_source */
	__le32 flags;		/* KORACLE_TF_* */
	__le32 ncpus;		/* highest rec.cpu + 1 the writer knew of */
	__le32 reserved0;
	__le64 start_ns;	/* CLOCK_REALTIME at start, ns since the epoch */
	char kernel[KORACLE_TRACE_KREL_LEN];	/* uname -r of the traced kernel */
	char label[KORACLE_TRACE_LABEL_LEN];	/* workload label, e.g. "hackbench-pipe" */
	char origin[KORACLE_TRACE_SRC_LEN];	/* free text: importer input name */
	__u8 reserved[16];
};

static_assert(sizeof(struct koracle_trace_hdr) == KORACLE_TRACE_HDR_SIZE,
	      "struct koracle_trace_hdr is part of the file format");

#endif /* KORACLE_TRACE_FORMAT_H */
