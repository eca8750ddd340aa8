/* SPDX-License-Identifier: GPL-2.0-only */
/* <asm/posix_types.h> for the BPF program (see BPF_CFLAGS in the Makefile): the generic definition, not the host's */
#include <asm-generic/posix_types.h>
