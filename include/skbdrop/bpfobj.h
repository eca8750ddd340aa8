/* SPDX-License-Identifier: GPL-2.0-only */
/* The BPF object embedded at build time (bpf/embed.S). */
#ifndef SKBDROP_BPFOBJ_H
#define SKBDROP_BPFOBJ_H

extern const unsigned char skbd_bpf_object[];
extern const unsigned char skbd_bpf_object_end[];

#endif
