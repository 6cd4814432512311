/* QEMU's fw_cfg device, for zeroing frames by DMA (fw_cfg.c; arch_clear_frames). */
#ifndef ASM_FW_CFG_H
#define ASM_FW_CFG_H

#include <stdbool.h>
#include <stdint.h>

/* Probes fw_cfg and its DMA, and tries it on one frame; boot CPU, after memory_init. */
void fw_cfg_init(void);
/* Whether arch_clear_frames uses the DMA (selftest.c checks it does under QEMU). */
bool fw_cfg_clears_frames(void);
/* arch_clear_frames without the device: rep stosq, what other machines get (and the fallback). */
void clear_frames_stosq(uint64_t pfn, uint64_t count);

#endif
