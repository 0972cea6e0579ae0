/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The return and indirect-branch thunks that code built with the kernel's
 * -mfunction-return=thunk-extern -mindirect-branch=thunk-extern calls, in
 * their cheapest form (a CPU that needs no mitigation): the benchmarks pay
 * the extra jump per return that the module pays, and no more.
 */
	.text
	.globl __x86_return_thunk
__x86_return_thunk:
	ret
	int3

	.macro THUNK reg
	.globl __x86_indirect_thunk_\reg
__x86_indirect_thunk_\reg:
	jmp *%\reg
	int3
	.endm

	THUNK rax
	THUNK rbx
	THUNK rcx
	THUNK rdx
	THUNK rsi
	THUNK rdi
	THUNK rbp
	THUNK r8
	THUNK r9
	THUNK r10
	THUNK r11
	THUNK r12
	THUNK r13
	THUNK r14
	THUNK r15

	.section .note.GNU-stack,"",@progbits
