/* QEMU's fw_cfg device, for zeroing frames by DMA (fw_cfg.c; arch_clear_frames). */
#ifndef ASM_FW_CFG_H
#define ASM_FW_CFG_H

/* Probes fw_cfg and its DMA, and tries it on one frame; boot CPU, after memory_init. */
void fw_cfg_init(void);

#endif
