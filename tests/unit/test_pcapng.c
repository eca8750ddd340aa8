// SPDX-License-Identifier: GPL-2.0-only
/* -w: the pcapng blocks byte for byte, the frame a drop is written as
 * (Ethernet or LINUX_SLL2), file names under rotation, and a capture written
 * to a file and walked block by block (tshark reads real ones in the e2e). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <CUnit/CUnit.h>
#include <skbdrop/output.h>
#include "testutil.h"

static __u32 rd32(const char *p)
{
	__u32 v;

	memcpy(&v, p, 4);
	return v;
}

static __u16 rd16(const char *p)
{
	__u16 v;

	memcpy(&v, p, 2);
	return v;
}

/* The option code's value in the options at p..end, or NULL; *len set. */
static const char *find_opt(const char *p, const char *end, __u16 code, __u16 *len)
{
	while (p + 4 <= end) {
		__u16 c = rd16(p), l = rd16(p + 2);

		if (c == 0)
			return NULL;
		if (c == code) {
			*len = l;
			return p + 4;
		}
		p += 4 + ((l + 3u) & ~3u);
	}
	return NULL;
}

static void test_blocks(void)
{
	struct skbd_sbuf b;
	__u16 len;
	const char *v;

	skbd_sbuf__grow_init(&b);
	skbd_pcapng__put_shb(&b, "skbdrop x");
	CU_ASSERT_EQUAL_FATAL(b.len, 24 + 4 + 12 + 4 + 4); /* head, userappl (9 bytes padded), end, length */
	CU_ASSERT_EQUAL(rd32(b.buf), 0x0A0D0D0Au);
	CU_ASSERT_EQUAL(rd32(b.buf + 4), b.len);
	CU_ASSERT_EQUAL(rd32(b.buf + b.len - 4), b.len);
	CU_ASSERT_EQUAL(rd32(b.buf + 8), 0x1A2B3C4Du);
	CU_ASSERT_EQUAL(rd16(b.buf + 12), 1);
	CU_ASSERT_EQUAL(rd16(b.buf + 14), 0);
	v = find_opt(b.buf + 24, b.buf + b.len - 4, 4, &len);
	CU_ASSERT(v && len == 9 && !memcmp(v, "skbdrop x", 9));
	b.len = 0;
	skbd_pcapng__put_idb(&b, SKBD_LINKTYPE_LINUX_SLL2, 148, "veth0", "netns blue (4026532001), ifindex 7");
	CU_ASSERT_EQUAL(rd32(b.buf), 1);
	CU_ASSERT_EQUAL(rd32(b.buf + 4), b.len);
	CU_ASSERT_EQUAL(b.len % 4, 0);
	CU_ASSERT_EQUAL(rd16(b.buf + 8), 276);
	CU_ASSERT_EQUAL(rd32(b.buf + 12), 148);
	v = find_opt(b.buf + 16, b.buf + b.len - 4, 2, &len);
	CU_ASSERT(v && len == 5 && !memcmp(v, "veth0", 5));
	v = find_opt(b.buf + 16, b.buf + b.len - 4, 9, &len);
	CU_ASSERT(v && len == 1 && *v == 9);
	b.len = 0;
	skbd_pcapng__put_isb(&b, 0, 0x0102030405060708ull, 77, 88);
	CU_ASSERT_EQUAL(rd32(b.buf), 5);
	CU_ASSERT_EQUAL(rd32(b.buf + 12), 0x01020304u);
	CU_ASSERT_EQUAL(rd32(b.buf + 16), 0x05060708u);
	v = find_opt(b.buf + 20, b.buf + b.len - 4, 5, &len);
	CU_ASSERT(v && len == 8 && rd32(v) == 77);
	v = find_opt(b.buf + 20, b.buf + b.len - 4, 8, &len);
	CU_ASSERT(v && len == 8 && rd32(v) == 88);
	CU_ASSERT_FALSE(b.oom);
	skbd_sbuf__release(&b);
}

static void test_frame(void)
{
	struct skbd_drop d;
	__u8 hdr[20];
	const __u8 *data;
	__u32 hl, cap, orig;
	static const __u8 want_sll2[20] = { 0x86, 0xdd, 0, 0, 1, 2, 3, 4, 0xff, 0xfe, 0 };

	memset(&d, 0, sizeof(d));
	d.flags = SKBD_DROP_HAS_MAC;
	d.net_off = 14;
	d.caplen = 60;
	d.pkt_len = 98;
	CU_ASSERT_EQUAL(skbd_pcapng__frame(&d, hdr, &data, &hl, &cap, &orig), SKBD_LINKTYPE_ETHERNET);
	CU_ASSERT(data == d.data && hl == 0 && cap == 60 && orig == 98);
	/* no MAC header: cooked, from the network header */
	d.flags = 0;
	d.net_off = 0;
	d.protocol = 0x86dd;
	d.ifindex = 0x01020304;
	d.caplen = 40;
	d.pkt_len = 40;
	CU_ASSERT_EQUAL(skbd_pcapng__frame(&d, hdr, &data, &hl, &cap, &orig), SKBD_LINKTYPE_LINUX_SLL2);
	CU_ASSERT(data == d.data && hl == 20 && cap == 40 && orig == 60);
	CU_ASSERT_EQUAL(memcmp(hdr, want_sll2, 20), 0);
	/* a MAC header that is not Ethernet's (16 bytes): cooked from the network header */
	d.flags = SKBD_DROP_HAS_MAC;
	d.net_off = 16;
	d.caplen = 56;
	d.pkt_len = 100;
	CU_ASSERT_EQUAL(skbd_pcapng__frame(&d, hdr, &data, &hl, &cap, &orig), SKBD_LINKTYPE_LINUX_SLL2);
	CU_ASSERT(data == d.data + 16 && cap == 40 && orig == 20 + 84);
	/* nothing captured, a length known or not */
	d.flags = 0;
	d.net_off = SKBD_DROP_OFF_NONE;
	d.caplen = 0;
	d.pkt_len = 0;
	CU_ASSERT_EQUAL(skbd_pcapng__frame(&d, hdr, &data, &hl, &cap, &orig), SKBD_LINKTYPE_LINUX_SLL2);
	CU_ASSERT(cap == 0 && orig == 20);
	/* a corrupt caplen never reads past the record */
	d.caplen = 999;
	skbd_pcapng__frame(&d, hdr, &data, &hl, &cap, &orig);
	CU_ASSERT(cap <= SKBD_DROP_SNAPLEN_MAX);
}

static void test_file_names(void)
{
	struct skbd_pcapng_opts o = { .path = "/x/cap" };
	char n[64];

	skbd_pcapng__file_name(&o, 0, n, sizeof(n));
	CU_ASSERT_STRING_EQUAL(n, "/x/cap");
	o.rotate_bytes = 1000;
	skbd_pcapng__file_name(&o, 0, n, sizeof(n));
	CU_ASSERT_STRING_EQUAL(n, "/x/cap");
	skbd_pcapng__file_name(&o, 12, n, sizeof(n));
	CU_ASSERT_STRING_EQUAL(n, "/x/cap12");
	o.rotate_files = 3;
	skbd_pcapng__file_name(&o, 4, n, sizeof(n));
	CU_ASSERT_STRING_EQUAL(n, "/x/cap1");
	o.rotate_files = 12;
	skbd_pcapng__file_name(&o, 0, n, sizeof(n));
	CU_ASSERT_STRING_EQUAL(n, "/x/cap00");
	skbd_pcapng__file_name(&o, 13, n, sizeof(n));
	CU_ASSERT_STRING_EQUAL(n, "/x/cap01");
}

static void test_capture(void)
{
	char dir[] = "/tmp/skbd_test_pcapng_XXXXXX", path[64];
	struct skbd_fmt_ctx c = { .mono_to_real_ns = 1000 };
	struct skbd_pcapng_opts o = { .app = "t", .snaplen = 128, .uid = -1, .gid = -1 };
	struct skbd_drop_names nm;
	struct skbd_pcapng_stats ps;
	struct skbd_pcapng *p = NULL;
	struct skbd_drop d;
	char *file;
	size_t len, off;
	unsigned int blocks[8] = { 0 }, drops = 0;
	__u64 ifdrop = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cap", dir);
	o.path = path;
	CU_ASSERT_EQUAL_FATAL(skbd_pcapng__new(&c, &o, &p), 0);
	memset(&d, 0, sizeof(d));
	memset(&nm, 0, sizeof(nm));
	strcpy(nm.location, "func_a+0x10");
	strcpy(nm.dev, "eth0");
	d.flags = SKBD_DROP_HAS_MAC | SKBD_DROP_HAS_CTX;
	d.net_off = 14;
	d.caplen = 42;
	d.pkt_len = 42;
	d.ifindex = 2;
	d.ts_ns = 5;
	CU_ASSERT_EQUAL(skbd_pcapng__event(p, &d, &nm, 0), 0);
	CU_ASSERT_EQUAL(skbd_pcapng__event(p, &d, &nm, 7), 0); /* 7 lost before it */
	d.flags = SKBD_DROP_HAS_CTX;                           /* a second interface: SLL2 */
	d.net_off = 0;
	CU_ASSERT_EQUAL(skbd_pcapng__event(p, &d, &nm, 0), 0);
	skbd_pcapng__finish(p, 3); /* 3 more after the last packet */
	skbd_pcapng__stats(p, &ps);
	CU_ASSERT(ps.packets == 3 && ps.lost == 10 && ps.files == 1);
	CU_ASSERT_EQUAL(skbd_pcapng__free(p), 0);
	file = tu_load_file(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	for (off = 0; off + 12 <= len;) {
		__u32 type = rd32(file + off), blen = rd32(file + off + 4);

		CU_ASSERT_FATAL(blen >= 12 && blen % 4 == 0 && off + blen <= len);
		CU_ASSERT_EQUAL(rd32(file + off + blen - 4), blen);
		blocks[type == 0x0A0D0D0Au ? 0 : type & 7]++;
		if (type == 6) {
			__u16 l;
			const char *opts = file + off + 28 + ((rd32(file + off + 20) + 3u) & ~3u), *v;

			CU_ASSERT_EQUAL(rd32(file + off + 16), 1005u); /* stamp + mono_to_real (low half) */
			v = find_opt(opts, file + off + blen - 4, 1, &l);
			CU_ASSERT(v && l == strlen("reason=- location=func_a+0x10 owner=-") &&
				  !memcmp(v, "reason=- location=func_a+0x10 owner=-", l));
			v = find_opt(opts, file + off + blen - 4, 2988, &l);
			CU_ASSERT(v && l > 4 && rd32(v) == SKBD_PCAPNG_PEN && v[4] == '{' && v[l - 1] == '}');
			v = find_opt(opts, file + off + blen - 4, 4, &l);
			if (v)
				drops += rd32(v);
		}
		if (type == 5) {
			__u16 l;
			const char *v = find_opt(file + off + 20, file + off + blen - 4, 5, &l);

			if (v)
				ifdrop = rd32(v);
		}
		off += blen;
	}
	CU_ASSERT_EQUAL(off, len);
	CU_ASSERT_EQUAL(blocks[0], 1); /* SHB */
	CU_ASSERT_EQUAL(blocks[1], 2); /* IDB: Ethernet, SLL2 */
	CU_ASSERT_EQUAL(blocks[6], 3); /* EPB */
	CU_ASSERT_EQUAL(blocks[5], 1); /* ISB */
	CU_ASSERT_EQUAL(drops, 7);
	CU_ASSERT_EQUAL(ifdrop, 10);
	free(file);
	unlink(path);
	/* a file that cannot be created: -errno, nothing left behind */
	o.path = "/nonexistent-dir/cap";
	CU_ASSERT_EQUAL(skbd_pcapng__new(&c, &o, &p), -ENOENT);
	rmdir(dir);
}

static void test_rotation(void)
{
	char dir[] = "/tmp/skbd_test_pcapng_XXXXXX", path[64], name[80];
	struct skbd_fmt_ctx c = { 0 };
	struct skbd_pcapng_opts o = { .snaplen = 128, .uid = -1, .gid = -1, .rotate_bytes = 4096, .rotate_files = 2 };
	struct skbd_drop_names nm;
	struct skbd_pcapng *p = NULL;
	struct skbd_drop d;
	struct skbd_pcapng_stats ps;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cap", dir);
	o.path = path;
	CU_ASSERT_EQUAL_FATAL(skbd_pcapng__new(&c, &o, &p), 0);
	memset(&d, 0, sizeof(d));
	memset(&nm, 0, sizeof(nm));
	strcpy(nm.location, "x");
	d.caplen = 200;
	for (int i = 0; i < 40; i++)
		CU_ASSERT_EQUAL(skbd_pcapng__event(p, &d, &nm, 0), 0);
	skbd_pcapng__stats(p, &ps);
	CU_ASSERT(ps.files > 2 && ps.packets == 40);
	CU_ASSERT_EQUAL(skbd_pcapng__free(p), 0);
	for (int i = 0; i < 3; i++) {
		struct stat st;

		snprintf(name, sizeof(name), "%s%d", path, i);
		if (i < 2) {
			CU_ASSERT(stat(name, &st) == 0 && st.st_size > 0 && st.st_size <= 4096);
			unlink(name);
		} else {
			CU_ASSERT(stat(name, &st) != 0); /* -W 2: two files, reused */
		}
	}
	rmdir(dir);
}

CU_TestInfo skbd_tests_pcapng[] = {
	{ "blocks", test_blocks },
	{ "a drop's frame", test_frame },
	{ "file names", test_file_names },
	{ "a capture, block by block", test_capture },
	{ "rotation", test_rotation },
	CU_TEST_INFO_NULL,
};
