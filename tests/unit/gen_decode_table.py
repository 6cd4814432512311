#!/usr/bin/env python3
"""Writes tests/unit/decode_table.inc: expected decodings for test_decode.c, from GNU as and objdump.

Each instruction below is assembled by `as` at its own label; `objdump -d -M
intel64` (Intel's 64-bit rules: E8/E9/Jcc keep rel32 under 0x66) gives its
bytes and length, and its operand text gives the expected fields: whether it
has a ModRM/moffs memory operand and that operand's linear address under the
register values below, the immediate, a branch's target, the operand size (from
a suffix or the last general register named), whether LOCK is legal (a
lockable mnemonic whose destination is memory) and, for MOV to or from a
control or debug register, that register and the general one. The sweep entries run every
opcode of each map under a few ModRM/SIB shapes and prefixes and keep only
objdump's length of the first instruction.

Regenerate after changing the lists: `make decode-table` (needs binutils).
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "decode_table.inc")

# Register values the effective addresses are computed with: high bits set so
# 32-bit address wrapping shows, all different so a wrong register shows.
GPR = [(0x9E3779B97F4A7C15 * (i + 1)) & (2**64 - 1) for i in range(16)]
RIP_BASE = 0xFFFF8000FFFFFF00       # entry addresses are offsets from it; EIP wraps past 0x100
FS_BASE = 0x00007F0000001000
GS_BASE = 0xFFFF888000000000
MASK64 = 2**64 - 1

REGS64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"] + ["r%d" % i for i in range(8, 16)]
REGS32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"] + ["r%dd" % i for i in range(8, 16)]
REGS16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"] + ["r%dw" % i for i in range(8, 16)]
REGS8 = ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "ah", "ch", "dh", "bh"] + \
        ["r%db" % i for i in range(8, 16)]
GPR_SIZE = {**{r: 8 for r in REGS64}, **{r: 4 for r in REGS32}, **{r: 2 for r in REGS16},
            **{r: 1 for r in REGS8}}
ADDR_REG = {**{r: (i, 8) for i, r in enumerate(REGS64)}, **{r: (i, 4) for i, r in enumerate(REGS32)}}

LOCKABLE = {"add", "adc", "and", "btc", "btr", "bts", "cmpxchg", "cmpxchg8b", "cmpxchg16b", "dec",
            "inc", "neg", "not", "or", "sbb", "sub", "xor", "xadd", "xchg"}
# Mnemonics objdump may suffix with b/w/l/q when no register gives the size.
SUFFIXED = LOCKABLE | {"cmp", "mov", "test", "mul", "imul", "div", "idiv", "rol", "ror", "rcl", "rcr",
                       "shl", "sal", "shr", "sar", "push", "pop", "bt", "shld", "shrd", "nop", "lea",
                       "movs", "cmps", "stos", "lods", "scas", "ins", "outs"}
STRING = re.compile(r"^(movs|cmps|stos|lods|scas|ins|outs)[bwlq]?$|^xlat")
# Immediates that are a port, vector, count or selector: compared zero-extended.
UNSIGNED_IMM = {"in", "out", "int", "ret", "lret", "enter", "shl", "shr", "sar", "sal", "rol", "ror",
                "rcl", "rcr", "shld", "shrd", "bt", "bts", "btr", "btc", "xabort"}
# objdump's line for prefixes it could not attach (a REX before an undefined opcode).
PREFIX_ONLY = re.compile(r"^((rex(\.\w+)?|data16|addr32|lock|repz?|repnz|[c-gs]s)\s*)+$")
BRANCH = re.compile(r"^(j\w+|call|loop\w*|xbegin\w*)$")

# ---- the instructions ------------------------------------------------------------
# One per line; "# nosize" after it skips the operand-size check (objdump names
# registers whose size is not the general operand size the decoder reports).


def addressing_forms():
    """Every ModRM/SIB shape: each base with no, 8- and 32-bit displacements; SIB with
    every index and scale; no base; RIP; 32-bit addressing."""
    out = []
    for b in REGS64:
        out += ["mov %%ecx,(%%%s)" % b, "mov %%ecx,0x7f(%%%s)" % b, "mov %%ecx,-0x80(%%%s)" % b,
                "mov %%ecx,0x12345678(%%%s)" % b, "mov %%ecx,-0x12345678(%%%s)" % b]
    for i, x in enumerate(REGS64):
        if x == "rsp":
            continue
        for s in (1, 2, 4, 8):
            out.append("mov %%r9,0x10(%%%s,%%%s,%d)" % (REGS64[(i + 3) % 16], x, s))
        out.append("mov %%ecx,(%%rbp,%%%s,1)" % x)
        out.append("mov %%ecx,(%%r13,%%%s,2)" % x)
        out.append("mov %%ecx,0x44(,%%%s,8)" % x)
        out.append("mov %%ecx,-0x1000(%%%s,%%%s,4)" % (x, x))
    out += ["mov %ecx,0x12345678", "mov %ecx,-0x4", "mov %ecx,(%rsp)", "mov %ecx,(%r12)",
            ".byte 0x89,0x0c,0x20", ".byte 0x89,0x4c,0xa0,0x10", ".byte 0x89,0x0c,0x25,0,0,0,0x80",
            ".byte 0x42,0x89,0x0c,0x24", ".byte 0x43,0x89,0x4c,0xe5,0x80",
            "mov %ecx,0x1234(%rip)", "mov %ecx,-0x80(%rip)", "mov 0x10(%rip),%al",
            "movl $0x12345678,0x100(%rip)", "cmpb $0x1,-0x10(%rip)", "movq $-1,0x7ffffff0(%rip)",
            "mov %ecx,0x10(%eip)", "mov %ecx,-0x10(%eip)", "movw $0x1234,0x10(%eip)",
            "mov %ecx,(%eax)", "mov %ecx,(%ebp)", "mov %ecx,0x10(%esp)", "mov %ecx,(%r8d,%r9d,8)",
            "mov %ecx,0x7fffffff(%eax,%ebx,8)", "mov %ecx,-0x10(%eax,%ebx,2)", "mov %ecx,0x10(,%esi,4)",
            "mov %ecx,(%r13d)", "mov %ecx,(%r12d)", "mov %ecx,0x12345678(%r15d,%r14d,1)",
            "mov %fs:(%rax),%ecx", "mov %gs:0x10(%rax,%rbx,4),%rdx", "mov %fs:0x28,%rax",
            "mov %gs:0x10(%rip),%eax", "mov %fs:0x10(%eax),%ecx", "mov %gs:0x10(%eip),%ecx",
            "mov %es:(%rax),%ecx", "mov %cs:0x10(%rbx),%ecx", "mov %ss:(%rsp),%ecx", "mov %ds:(%rbp),%ecx",
            "movabs 0x1122334455667788,%al", "movabs 0x1122334455667788,%eax", "movabs %rax,0x1122334455667788",
            "movabs %ax,0xfffffffffffffff0", "movabs %fs:0x10,%eax", "movabs %al,%gs:0x8",
            ".byte 0x67,0xa0,1,2,3,0x84", ".byte 0x67,0x48,0xa3,0x10,0,0,0", ".byte 0x64,0x67,0xa1,4,3,2,1",
            "lea 0x10(%rax,%rbx,2),%rcx", "lea 0x10(%rip),%rsi", "lea (%eax,%ebx,1),%ecx",
            ]
    return out


PREFIXES = [
    ".byte 0x66,0x66,0x90", ".byte 0xf3,0xf3,0xa4", ".byte 0xf2,0xf3,0xa5", ".byte 0xf3,0xf2,0xa5",
    ".byte 0x2e,0x3e,0x64,0x8b,0x00", ".byte 0x65,0x65,0x65,0x8b,0x00", ".byte 0x26,0x8b,0x00",
    ".byte 0x36,0x8b,0x00", ".byte 0x3e,0x3e,0x8b,0x45,0x08", ".byte 0x66,0x67,0x66,0x67,0x89,0x08",
    ".byte 0xf0,0xf0,0x01,0x08", ".byte 0x67,0x66,0xf3,0xab", ".byte 0xf3,0x48,0xab", ".byte 0x66,0x48,0x01,0xc8",
    ".byte 0x40,0x88,0xf0", ".byte 0x88,0xf0", ".byte 0x41,0x88,0xc0",
    ".byte 0x66,0x2e,0x0f,0x1f,0x84,0,0,0,0,0", ".byte 0x66,0x66,0x2e,0x0f,0x1f,0x84,0,0,0,0,0",
    ".byte 0x66,0x66,0x66,0x66,0x66,0x66,0x2e,0x0f,0x1f,0x84,0,0,0,0,0",
    ".byte 0x66,0xf0,0x66,0x83,0x00,0x01", "lock addl $0x1,(%rax)", "rep movsb", "repne scasb", "rep stosq",
    # immediates under 0x66 / 0x67 / REX.W
    "add $0x1234,%ax", "add $0x12345678,%eax", "add $-2,%rax", "add $0x7f,%rax", "add $-0x80000000,%rax",
    "add $0x12,%al", "add $-1,%al", "addw $0x1234,(%rax)", "addl $0x12345678,(%rax)", "addq $-5,(%rax)",
    "addw $-1,(%rax)", "adcl $0x7f,(%rax)", "sbbw $-0x80,(%rax)", "andq $0x7fffffff,(%rax)",
    "mov $0x1234,%ax", "mov $0x12345678,%eax", "mov $0xffffffff,%ecx", "movabs $0x1122334455667788,%rax",
    "movabs $0x8000000000000000,%r15", "mov $-1,%rax", "mov $0x12345678,%r8d", "mov $0x12,%r9b", "mov $0xfe,%ah",
    ".byte 0x66,0x48,0xb8,1,2,3,4,5,6,7,8",
    "movb $0x80,(%rax)", "movw $0x8000,(%rax)", "movl $0x80000000,(%rax)", "movq $-0x80000000,(%rax)",
    "push $0x12", "push $-1", "push $0x12345678", "pushw $0x1234", "pushw $-1", "imul $0x12,%eax,%ecx",
    "imul $0x1234,%ax,%cx", "imul $-0x12345678,%rax,%rcx", "imul $-2,(%rax),%rdx",
    "testb $0x12,(%rax)", "testw $0x1234,(%rax)", "testl $0x12345678,(%rax)", "testq $-1,(%rax)",
    "test $0x80,%al", "test $0x8000,%ax", "test $0x80000000,%eax", "test $-2,%rax", "test %eax,(%rbx)",
    "notl (%rax)", "negq (%rax)", "mulb (%rax)", "imulw (%rax)", "divl (%rax)", "idivq (%rax)",
    "notb %cl", "negw %dx",
    "shl $0x3,%eax", "shrb $0x7,(%rax)", "sarq $0x3f,(%rax)", "rolw $0x1,(%rax)", "shl %eax", "shll (%rax)",
    "shl %cl,%eax", "shll %cl,(%rax)", "rcr %cl,%r8b", "shld $0x4,%eax,(%rbx)", "shrd %cl,%rax,%rbx",
    "enter $0x10,$0x1", "enter $0xffff,$0xff", "ret $0x8", "ret", "lretq $0x10", "lretq", "int $0x80",
    "int3", "int1", "leave", "pushf", "popf", "pushw %ax", "push %rax", "pop %r12", "push (%rax)",
    "pushw (%rax)", "popq 0x8(%rsp)", "push %fs", "pop %gs", "cltq", "cwtl", "cqto", "cltd", "cbtw", "lahf",
    ".byte 0xe8,0,0,0,0", ".byte 0xe9,0xfb,0xff,0xff,0xff", ".byte 0x66,0xe8,0x10,0,0,0",
    ".byte 0x66,0xe9,0xf0,0xff,0xff,0xff", ".byte 0xeb,0x7f", ".byte 0x74,0x80", ".byte 0x0f,0x85,0,0,0,0x80",
    ".byte 0x66,0x0f,0x8c,1,0,0,0", ".byte 0xe3,0x10", ".byte 0x67,0xe3,0x10", ".byte 0xe2,0xfe",
    ".byte 0xe0,0x01", ".byte 0xe1,0x01", ".byte 0x48,0xe8,4,0,0,0",
    "call *%rax", "call *(%rax)", "jmp *%r11", "jmp *0x10(%rip)", "lcall *(%rax)", "ljmp *(%rbx)",
    "xbegin .+6", "xabort $0x7", ".byte 0x66,0xc7,0xf8,0x10,0", "xend", "xtest",
    "sete %al", "setne (%rax)", "cmove (%rax),%ecx", "cmovl %r8w,%r9w", "movzbl (%rax),%ecx",
    "movzwq %ax,%rcx", "movsbw %al,%cx", "movslq (%rax),%rcx", "bswap %eax", "bswap %r9",
    "bt %eax,(%rbx)", "btl $0x5,(%rax)", "btsq $0x3f,(%rax)", "btr %rax,(%rbx)", "btcw $0x1,(%rax)",
    "bsf (%rax),%ecx", "bsr %rax,%rcx", "popcnt (%rax),%eax", "lzcnt %ax,%cx", "tzcnt %rax,%rcx",
    "xlat", "nop", "pause", "nopw 0x0(%rax,%rax,1)", "nopl (%rax)", "cmc", "clc", "stc", "cld", "std",
    "flds (%rax)", "fadd %st(1),%st", "fnstsw %ax # nosize", "fldz", "fistpll 0x10(%rbp)", "fwait",
    "movbe (%rax),%eax # nosize", "movbe %rcx,(%rax) # nosize", "crc32b %al,%eax # nosize", "crc32q (%rax),%rax # nosize",
    "pshufb %xmm1,%xmm0", "pextrd $1,%xmm0,(%rax)", "palignr $3,%xmm1,%xmm0", "roundsd $4,0x10(%rip),%xmm1",
    "movdqa 0x10(%rip),%xmm0", "movups (%rax),%xmm1", "pxor %xmm0,%xmm1", "pshufd $0x1b,%xmm0,%xmm1",
    "cmpltps %xmm1,%xmm0", "psrlq $0x3,%mm1", "psllw $0x2,%xmm5", "pfadd %mm1,%mm0", "femms", "emms",
    ".byte 0x66,0x0f,0x78,0xc0,1,2", ".byte 0xf2,0x0f,0x78,0xc1,3,4", ".byte 0x66,0x0f,0x79,0xc1",
    "vmread %rax,(%rbx) # nosize", "vmwrite (%rax),%rbx # nosize", "vmcall", "ud2", "ud1 %eax,%ecx # nosize", "ud0 (%rax),%ecx # nosize",
    "prefetcht0 (%rax)", "prefetchw (%rax)", "clflush (%rax)", "lfence", "mfence", "sfence",
    "fxsave (%rax)", "xsave (%rax)", "rdfsbase %rax # nosize", "wrgsbase %rcx # nosize", "movnti %eax,(%rbx)",
    "syscall", "sysretq", "sysenter", "sysexitq", "rdpmc", "rdrand %eax # nosize", "rdseed %rcx # nosize", "rdpid %rax # nosize",
    "xgetbv", "monitor # nosize", "mwait # nosize", "getsec", "rsm", "clac", "stac",
]

PRIVILEGED = [
    "mov %cr0,%rax", "mov %rax,%cr0", "mov %cr2,%rdx", "mov %cr3,%r15", "mov %r8,%cr3", "mov %cr4,%rax",
    "mov %rax,%cr4", "mov %cr8,%rax", "mov %rcx,%cr8", ".byte 0x0f,0x20,0x00", ".byte 0x0f,0x22,0x58",
    ".byte 0x0f,0x20,0x45", ".byte 0x66,0x0f,0x20,0xc0", ".byte 0xf0,0x0f,0x20,0xc0",
    "mov %db0,%rax", "mov %rcx,%db7", "mov %db6,%r9", "mov %r10,%db3", ".byte 0x0f,0x21,0x3f",
    "clts", "wbinvd", "invd", "lmsw %ax # nosize", "lmsw (%rax)", "smsw %eax # nosize", "smsw (%rbx)", "hlt",
    "rdmsr", "wrmsr", "rdtsc", "rdtscp", "cpuid", "invlpg (%rax)", "invlpg 0x10(%rip)", "swapgs",
    "lgdt (%rax)", "sgdt 0x8(%rsp)", "lidt (%rax)", "sidt (%rax)", "ltr %ax # nosize", "str %eax # nosize",
    "lldt (%rax)", "sldt %eax # nosize", "verr %ax # nosize", "lar %ax,%cx", "lsl (%rax),%ecx",
    "sti", "cli", "iretq", "iretl", "mov %eax,%ds # nosize", "mov %ds,%eax # nosize", "mov (%rax),%es",
    "mov %fs,(%rax)",
    "in $0x80,%al", "in $0x80,%ax", "in $0x80,%eax", "in (%dx),%al", "in (%dx),%ax", "in (%dx),%eax",
    "out %al,$0x80", "out %ax,$0xf4", "out %eax,$0xff", "out %al,(%dx)", "out %ax,(%dx)", "out %eax,(%dx)",
    "insb (%dx),%es:(%rdi)", "insw (%dx),%es:(%rdi)", "insl (%dx),%es:(%rdi)",
    "outsb %ds:(%rsi),(%dx)", "outsw %ds:(%rsi),(%dx)", "outsl %ds:(%rsi),(%dx)",
    "rep insb (%dx),%es:(%rdi)", "rep insl (%dx),%es:(%rdi)", "rep outsw %ds:(%rsi),(%dx)",
    "rep outsb %ds:(%rsi),(%dx)", ".byte 0x67,0xf3,0x6c", ".byte 0x48,0xed", ".byte 0x48,0xe5,0x10",
    ".byte 0x66,0x48,0xef", ".byte 0x64,0xf3,0x6f", ".byte 0x66,0xe7,0xcf",
    "mov %rax,(%rdi)", "mov %eax,0x8(%rdi)", "mov (%rdi),%rax", "movq $0x1,(%rdi)", "mov %r11,0x8(%rdi,%rsi,8)",
    "xchg %rax,(%rdi)", "xchg (%rdi),%rcx", "xchg %al,(%rbx)", "xchg %ax,%cx", "xchg %r8,%rax",
    "cmpxchg %rcx,(%rdi)", "cmpxchg %cl,(%rdi)", "cmpxchg %cx,(%rdi)", "cmpxchg %ecx,%edx",
    "lock cmpxchg %rcx,(%rdi)", "lock cmpxchg %ecx,0x4(%rdi)", "cmpxchg8b (%rdi)", "lock cmpxchg8b (%rdi)",
    "cmpxchg16b (%rdi)", "lock cmpxchg16b 0x8(%rdi,%rsi,8)", "lock xadd %eax,(%rbx)", "lock xaddb %al,(%rbx)",
    "lock addl $1,(%rax)", "lock add %rax,(%rbx)", "lock incl (%rax)", "lock decq 0x10(%rax)",
    "lock incb (%rax)", "lock decw (%rax)", "lock btsl $3,(%rax)", "lock btr %eax,(%rbx)",
    "lock btcq $0x3f,(%rax)", "lock orb $0x1,(%rax)", "lock andw $0x1,(%rax)", "lock xorq $-1,(%rax)",
    "lock sbb %eax,(%rbx)", "lock adc %al,(%rbx)", "lock sub %eax,(%rbx)", "lock notl (%rax)",
    "lock negw (%rax)", "lock xchg %eax,(%rbx)", "lock or %eax,(%rbx)",
    ".byte 0xf0,0x01,0xc3", ".byte 0xf0,0x89,0x03", ".byte 0xf0,0x03,0x03", ".byte 0xf0,0x83,0x38,0x01",
    ".byte 0xf0,0x0f,0xa3,0x03", ".byte 0xf0,0xf6,0x00,0x01", ".byte 0xf0,0xfe,0xc0", ".byte 0xf0,0x0f,0xba,0x20,1",
    ".byte 0xf0,0x90", ".byte 0xf0,0x87,0xc3", ".byte 0xf0,0x8f,0x00",
]


def sweep_sources():
    """Every opcode of each map under a few ModRM/SIB shapes and prefixes, in bytes."""
    tail = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb]
    shapes = [[0x05], [0x4c, 0x88], [0xc1], [0x04, 0x25], [0x94, 0x24], [0x3c, 0x24], [0xf8], [0x30]]
    out = []
    skip1 = {0x0f, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0xc4, 0xc5, 0x62, 0x8f} | \
        set(range(0x40, 0x50))
    for op in range(256):
        if op in skip1:
            continue
        for pfx in ([], [0x66], [0x67], [0x48], [0x66, 0x48]):
            for sh in (shapes if not pfx else shapes[:3]):
                out.append(pfx + [op] + sh + tail)
    for op in range(256):
        if op in (0x38, 0x3a):
            continue
        for pfx in ([], [0x66], [0xf3], [0xf2]):
            for sh in (shapes[:4] if not pfx else shapes[:2]):
                out.append(pfx + [0x0f, op] + sh + tail)
    for esc in (0x38, 0x3a):
        for op in range(256):
            for pfx in ([], [0x66]):
                for sh in shapes[:2]:
                    out.append(pfx + [0x0f, esc, op] + sh + tail)
    return out


# ---- objdump --------------------------------------------------------------------


def objdump(lines):
    """Assembles lines (one entry each, at labels e0, e1, ...); returns per entry a list of
    (address, bytes, text) for the instructions objdump saw there."""
    with tempfile.TemporaryDirectory() as tmp:
        src, obj = os.path.join(tmp, "t.s"), os.path.join(tmp, "t.o")
        with open(src, "w") as f:
            f.write(".text\n.code64\n")
            for i, line in enumerate(lines):
                f.write("e%d:\n\t%s\n" % (i, line))
        subprocess.run(["as", "--64", "-o", obj, src], check=True)
        dump = subprocess.run(["objdump", "-d", "-z", "-M", "intel64", "--insn-width=16", obj],
                              check=True, capture_output=True, text=True).stdout
    entries, cur = {}, None
    for line in dump.splitlines():
        m = re.match(r"^[0-9a-f]+ <e(\d+)>:", line)
        if m:
            cur = int(m.group(1))
            entries[cur] = []
            continue
        m = re.match(r"^\s+([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$", line)
        if m and cur is not None:
            entries[cur].append((int(m.group(1), 16), bytes.fromhex(m.group(2)), m.group(3).strip()))
    return [entries.get(i, []) for i in range(len(lines))]


def split_operands(s):
    out, depth, cur = [], 0, ""
    for c in s:
        if c == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        depth += c == "("
        depth -= c == ")"
        cur += c
    return out + [cur] if cur else out


def parse(text):
    """objdump's text -> (prefix words, mnemonic, operands)."""
    text = re.sub(r"<[^>]*>", "", text.split("#")[0]).strip()
    words = text.split()
    ops = []
    if len(words) > 1 and (re.match(r"^[%$*(\-0-9]", words[-1]) or "," in words[-1]):
        ops = split_operands(words.pop())
    return words[:-1], words[-1], ops


def mem_address(op, addr, length):
    """The linear address of an AT&T memory operand, or None when it is not one."""
    seg = None
    m = re.match(r"^%([a-z]s):(.*)$", op)
    if m:
        seg, op = m.group(1), m.group(2)
    m = re.match(r"^(-?0x[0-9a-f]+|-?\d+)?(?:\((%\w+)?(?:,(%\w+)(?:,(\d))?)?\))?$", op)
    if not m or (m.group(1) is None and "(" not in op):
        return None
    disp = int(m.group(1), 0) if m.group(1) else 0
    base, index, scale = m.group(2), m.group(3), int(m.group(4) or 1)
    width = 8
    ea = disp
    if base in ("%rip", "%eip"):
        ea += RIP_BASE + addr + length
        width = 4 if base == "%eip" else 8
    elif base:
        nr, width = ADDR_REG[base[1:]]
        ea += GPR[nr]
    if index and index[1:] not in ("riz", "eiz"):
        nr, width = ADDR_REG[index[1:]]
        ea += GPR[nr] * scale
    elif index:
        width = 8 if index == "%riz" else 4
    ea &= MASK64 if width == 8 else 0xFFFFFFFF
    if seg == "fs":
        ea += FS_BASE
    elif seg == "gs":
        ea += GS_BASE
    return ea & MASK64


def expect(addr, data, text, nosize):
    prefixes, mnem, ops = parse(text)
    if "(bad)" in text or mnem.startswith("(bad"):
        raise ValueError("objdump: %s" % text)
    e = {"text": re.sub(r"\s+", " ", re.sub(r"<[^>]*>", "", text.split("#")[0]).strip()), "addr": addr, "bytes": data, "mem": 0, "ea": 0, "imm": "NONE", "immv": 0,
         "imm2": -1, "opsize": 0, "lock": 0}
    branch = BRANCH.match(mnem)
    implicit = STRING.match(mnem)
    mems = []
    for op in ops:
        if op.startswith("$") or op.startswith("%") and ":" not in op or op == "(%dx)":
            continue
        if branch and not op.startswith("*"):
            continue
        a = mem_address(op.lstrip("*"), addr, len(data))
        if a is not None and not (implicit and re.search(r"\(%[re]?(si|di|bx)\)", op)):
            mems.append((op, a))
    if len(mems) > 1:
        raise ValueError("two memory operands: %s" % text)
    if mems:
        e["mem"], e["ea"] = 1, mems[0][1]
    # operand size: a suffix objdump added, else the last general register named
    base = mnem
    size = 0
    if mnem[-1:] in "bwlq" and mnem[:-1] in SUFFIXED:
        base, size = mnem[:-1], {"b": 1, "w": 2, "l": 4, "q": 8}[mnem[-1]]
    else:
        for op in ops:
            r = op.lstrip("*%")
            if op.lstrip("*").startswith("%") and r in GPR_SIZE:
                size = GPR_SIZE[r]
    if not nosize:
        e["opsize"] = size
    imms = [int(op[1:], 16) for op in ops if op.startswith("$")]
    if branch and ops and not ops[0].startswith("*"):
        e["imm"], e["immv"] = "REL", int(ops[0], 16)
    elif imms:
        if len(imms) == 2 and base == "extrq" or base == "insertq":
            imms = imms[::-1]               # AT&T reverses SSE4a's pair; enter keeps Intel order
        exact = base in UNSIGNED_IMM or not size
        e["imm"], e["immv"] = ("EXACT" if exact else "MASKED"), imms[0]
        if len(imms) > 1:
            e["imm2"] = imms[1]
    # MOV to/from CRn/DRn: ModRM.reg is n, ModRM.rm the general register
    e["ctl"], e["gpr"] = -1, -1
    for op in ops:
        m = re.match(r"^%(cr|db)(\d+)$", op)
        if m:
            e["ctl"] = int(m.group(2))
            e["gpr"] = [REGS64.index(o[1:]) for o in ops if o[1:] in REGS64][0]
    dest_mem = ops and mems and (ops[-1] == mems[0][0] or base == "xchg")
    e["lock"] = int(bool(base in LOCKABLE and dest_mem))
    return e


def c_entry(e):
    return ('    { "%s", 0x%x, %d, { %s }, %d, 0x%016xull, IMM_%s, 0x%xull, %d, %d, %d, %d, %d },\n' %
            (e["text"].replace('"', '\\"'), e["addr"], len(e["bytes"]),
             ", ".join("0x%02x" % b for b in e["bytes"]), e["mem"], e["ea"], e["imm"],
             e["immv"] & MASK64, e["imm2"], e["opsize"], e["lock"], e["ctl"], e["gpr"]))


def main():
    lines = []
    for src in addressing_forms() + PREFIXES + PRIVILEGED:
        lines.append(src)
    sweep = sweep_sources()
    sweep_lines = [".byte " + ",".join("0x%02x" % b for b in s) for s in sweep]
    dumped = objdump(lines + sweep_lines)

    out = ["/* Generated by tests/unit/gen_decode_table.py from GNU as and objdump; do not edit. */\n",
           "#define DT_RIP_BASE 0x%016xull\n#define DT_FS_BASE 0x%016xull\n#define DT_GS_BASE 0x%016xull\n"
           % (RIP_BASE, FS_BASE, GS_BASE),
           "static const uint64_t dt_gpr[16] = {\n" +
           "".join("    0x%016xull,\n" % v for v in GPR) + "};\n\n",
           "static const struct decode_case decode_cases[] = {\n"]
    for src, insns in zip(lines, dumped[:len(lines)]):
        if len(insns) != 1:
            sys.exit("%r: objdump saw %d instructions: %r" % (src, len(insns), insns))
        addr, data, text = insns[0]
        try:
            out.append(c_entry(expect(addr, data, text, "nosize" in src)))
        except (ValueError, KeyError) as err:
            sys.exit("%r: %s" % (src, err))
    out.append("};\n\n/* The sweep: every opcode of every map, objdump's length of the first instruction. */\n"
               "static const struct sweep_case sweep_cases[] = {\n")
    seen, kept = set(), 0
    for src, insns in zip(sweep, dumped[len(lines):]):
        _, data, text = insns[0]
        if "(bad)" in text or PREFIX_ONLY.match(text) or bytes(src[:len(data)]) in seen:
            continue
        seen.add(bytes(src[:len(data)]))
        kept += 1
        out.append('    { %d, "%s" },\n' % (len(data), "".join("\\x%02x" % b for b in src[:len(data)])))
    out.append("};\n")
    with open(OUT, "w") as f:
        f.write("".join(out))
    print("%s: %d instructions, %d sweep encodings" % (os.path.relpath(OUT), len(lines), kept))
    return 0


if __name__ == "__main__":
    sys.exit(main())
