/* SPDX-License-Identifier: GPL-2.0-only */
/* Embeds the compiled BPF object in the executable (see include/skbdrop/bpfobj.h). */
	.section .rodata
	.balign 8
	.global skbd_bpf_object
skbd_bpf_object:
	.incbin SKBD_BPF_OBJ
	.global skbd_bpf_object_end
skbd_bpf_object_end:
	.section .note.GNU-stack,"",@progbits
