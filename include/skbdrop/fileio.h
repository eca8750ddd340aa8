/* SPDX-License-Identifier: GPL-2.0-only */
/* The one whole-file reader (kernel BTF, tracefs format files, sysfs CPU
 * lists): sized from fstat when the file tells its size (sysfs does for
 * vmlinux), grown otherwise (tracefs and most sysfs files say 0). */
#ifndef SKBDROP_FILEIO_H
#define SKBDROP_FILEIO_H

#include <stddef.h>

/* Read path whole into a malloc'd buffer with a NUL after the last byte
 * (*len excludes it). At most max bytes: -EFBIG beyond. 0, or -errno of the
 * open/read (nothing logged: the caller names what the file was for). */
int skbd_read_file(const char *path, size_t max, char **data, size_t *len);

#endif
