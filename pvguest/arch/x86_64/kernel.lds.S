/*
 * Both images: linked in the direct map at DIRECT_MAP_BASE + LOAD_PHYS, with
 * p_paddr = vaddr - DIRECT_MAP_BASE (GRUB loads native at 2 MiB; a PV builder
 * maps PV at VIRT_BASE with pfn 0 first). Preprocessed with -DLOAD_PHYS=...
 * and, for the PV image, -DXEN_PV.
 */
OUTPUT_FORMAT("elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
ENTRY(ENTRY_POINT)

VIRT_BASE = 0xffffffff80000000;

PHDRS
{
    text PT_LOAD FLAGS(5);
    data PT_LOAD FLAGS(6);
#ifdef XEN_PV
    note PT_NOTE FLAGS(4);
#endif
}

SECTIONS
{
    . = VIRT_BASE + LOAD_PHYS;
    __image_start = .;
    .text : AT(ADDR(.text) - VIRT_BASE) {
        *(.text.boot)
        *(.text.hypercall_page)
        *(.text .text.*)
        *(.fixup)
    } :text
    .rodata : AT(ADDR(.rodata) - VIRT_BASE) {
        *(.rodata .rodata.*)
        . = ALIGN(8);
        __start_ex_table = .;
        *(.ex_table)
        __stop_ex_table = .;
        . = ALIGN(8);
        __start_kernel_options = .;
        KEEP(*(.kernel_options))
        __stop_kernel_options = .;
    } :text
#ifdef XEN_PV
    .note : AT(ADDR(.note) - VIRT_BASE) {
        *(.note.Xen)
    } :text :note
#endif
    . = ALIGN(4096);
    .data : AT(ADDR(.data) - VIRT_BASE) {
        *(.data.page_aligned)
        *(.data .data.*)
    } :data
    .bss : AT(ADDR(.bss) - VIRT_BASE) {
        *(.bss.page_aligned)
        *(.bss .bss.* COMMON)
        . = ALIGN(4096);
    } :data
    _end = .;
    /DISCARD/ : { *(.comment) *(.eh_frame) *(.note.gnu.property) *(.note.GNU-stack) }
}

ASSERT(_end - VIRT_BASE < 0x3fe00000, "the image must fit the direct map")
