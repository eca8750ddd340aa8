// SPDX-License-Identifier: GPL-2.0-only
/* The one whole-file reader: read(2) until EOF into a buffer grown by
 * doubling, first sized from fstat when the file reports a size. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skbdrop/fileio.h>

int skbd_read_file(const char *path, size_t max, char **data, size_t *len)
{
	size_t cap = 4096, used = 0;
	struct stat st;
	char *buf, *nbuf;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* +1: the read that sees EOF, and the NUL */
	if (fstat(fd, &st) == 0 && st.st_size > 0 && (size_t)st.st_size <= max)
		cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		err = -ENOMEM;
		goto err_close;
	}
	for (;;) {
		ssize_t n;

		if (cap - used < 2) {
			if (cap > max) {
				err = -EFBIG;
				goto err_free;
			}
			cap = cap * 2 > max + 2 ? max + 2 : cap * 2;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				err = -ENOMEM;
				goto err_free;
			}
			buf = nbuf;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto err_free;
		}
		if (!n)
			break;
		used += (size_t)n;
		if (used > max) {
			err = -EFBIG;
			goto err_free;
		}
	}
	close(fd);
	buf[used] = '\0';
	*data = buf;
	*len = used;
	return 0;

err_free:
	free(buf);
err_close:
	close(fd);
	return err;
}
