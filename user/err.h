/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The one size of the CLI's error buffers. A library that can fail takes
 * `char err[KO_ERR_LEN]` and leaves there a message naming the operation,
 * the object and the cause ("FILE[:LINE]: cause"); the command prints it
 * after its own "koracle: CMD: " prefix. 512 bytes hold two paths and a
 * sentence of hint without cutting either.
 */
#ifndef KO_ERR_H
#define KO_ERR_H

#define KO_ERR_LEN	512

#endif /* KO_ERR_H */
