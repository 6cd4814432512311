/* Link at XEN_VIRT_START + XEN_LOAD_PHYS, load at XEN_LOAD_PHYS (GRUB uses p_paddr). */
#include <asm/config.h>

OUTPUT_FORMAT("elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
ENTRY(start32)

PHDRS
{
    text PT_LOAD FLAGS(5);
    rodata PT_LOAD FLAGS(4);
    data PT_LOAD FLAGS(6);
}

SECTIONS
{
    . = XEN_VIRT_START + XEN_LOAD_PHYS;
    _start = .;

    .text : AT(ADDR(.text) - XEN_VIRT_START) {
        _stext = .;
        *(.text.boot)
        *(.text .text.*)
        *(.fixup)
        . = ALIGN(PAGE_SIZE);
        _etext = .;
    } :text

    .rodata : AT(ADDR(.rodata) - XEN_VIRT_START) {
        _srodata = .;
        *(.rodata.boot)
        *(.rodata .rodata.*)
        . = ALIGN(8);
        __start_ex_table = .;
        *(.ex_table)
        __stop_ex_table = .;
        . = ALIGN(8);
        __start_boot_params = .;
        *(.boot_params)
        __stop_boot_params = .;
        . = ALIGN(PAGE_SIZE);
        _erodata = .;
    } :rodata

    .data : AT(ADDR(.data) - XEN_VIRT_START) {
        _sdata = .;
        *(.data.page_aligned)
        *(.data .data.*)
        . = ALIGN(PAGE_SIZE);
    } :data

    .bss : AT(ADDR(.bss) - XEN_VIRT_START) {
        __bss_start = .;
        *(.bss.stack)
        *(.bss .bss.* COMMON)
        . = ALIGN(PAGE_SIZE);
        __bss_end = .;
    } :data
    _end = .;

    /DISCARD/ : { *(.note.gnu.property) *(.comment) *(.eh_frame) *(.note.GNU-stack) }
}

ASSERT(_end - XEN_VIRT_START < 0x40000000, "image must fit the 1 GiB boot window")
