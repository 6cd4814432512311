/* Bit numbers shared by the 32-bit boot code and C (as masks). */
#ifndef ASM_CPU_BITS_H
#define ASM_CPU_BITS_H

#define X86_CR0_PE_BIT   0x00000001
#define X86_CR0_WP_BIT   0x00010000
#define X86_CR0_PG_BIT   0x80000000
#define X86_CR4_PAE_BIT  0x00000020
#define MSR_EFER_NUM     0xc0000080
#define EFER_LME_BIT     0x00000100
#define EFER_NXE_BIT     0x00000800

#endif
