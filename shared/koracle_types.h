/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The one place that switches shared/ between the kernel and userspace.
 * shared/ code uses u8..u64/s8..s64 for computation and the __le* types
 * for anything that crosses a wire or a file.
 */
#ifndef KORACLE_TYPES_H
#define KORACLE_TYPES_H

#ifdef __KERNEL__
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/types.h>
#include <linux/string.h>
#include <linux/kernel.h>
#include <linux/crc32.h>
#include <linux/errno.h>
#include <asm/byteorder.h>
#define koracle_le16(x) cpu_to_le16(x)
#define koracle_le32(x) cpu_to_le32(x)
#define koracle_le64(x) cpu_to_le64(x)
#define koracle_from_le16(x) le16_to_cpu(x)
#define koracle_from_le32(x) le32_to_cpu(x)
#define koracle_from_le64(x) le64_to_cpu(x)
/* A store that lockless readers (READ_ONCE) may watch. */
#define KORACLE_WRITE_ONCE(x, v) WRITE_ONCE(x, v)
#define koracle_barrier() barrier()
/* CRC-32 (IEEE 802.3, zlib's crc32()) of @n bytes at @p. */
static inline u32 koracle_crc32(const void *p, size_t n)
{
	return crc32_le(~0U, p, n) ^ ~0U;
}
#else
#include <linux/types.h>
#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
/* The kernel's attribute shorthands, so shared structs read the same. */
#ifndef __packed
#define __packed __attribute__((packed))
#endif
#ifndef __aligned
#define __aligned(x) __attribute__((aligned(x)))
#endif
#ifndef noinline
#define noinline __attribute__((__noinline__))
#endif
#ifndef __cold
#define __cold __attribute__((__cold__))
#endif
#define koracle_le16(x) ((__le16)htole16(x))
#define koracle_le32(x) ((__le32)htole32(x))
#define koracle_le64(x) ((__le64)htole64(x))
#define koracle_from_le16(x) le16toh(x)
#define koracle_from_le32(x) le32toh(x)
#define koracle_from_le64(x) le64toh(x)
#define KORACLE_WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
/* The kernel's barrier(): the compiler may not move memory accesses across. */
static inline void koracle_barrier(void)
{
	__asm__ __volatile__("" : : : "memory");
}

#include <zlib.h>
/* CRC-32 (IEEE 802.3, zlib's crc32()) of @n bytes at @p. */
static inline u32 koracle_crc32(const void *p, size_t n)
{
	const u8 *b = p;
	unsigned long crc = crc32(0L, Z_NULL, 0);

	/* zlib takes uInt lengths: feed huge buffers in pieces */
	while (n > 0x40000000) {
		crc = crc32(crc, b, 0x40000000);
		b += 0x40000000;
		n -= 0x40000000;
	}
	return (u32)crc32(crc, b, (unsigned int)n);
}
#endif

#endif /* KORACLE_TYPES_H */
