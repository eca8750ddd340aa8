// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for netdev: rtnetlink messages built here or recorded from a
 * 6.18 kernel (x86-64 byte order) applied through skbd_netdev__parse(),
 * malformed and random bytes, and as root a live namespace with a device
 * that is looked up, renamed and deleted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <CUnit/CUnit.h>
#include <skbdrop/netdev.h>
#include <skbdrop/netns.h>
#include "testutil.h"

/* Inodes no namespace has (nsfs numbers start at 0xf0000000 and grow
 * slowly): lookups that miss the cache answer -ENOENT. */
#define NS_A 0xfffffff1u
#define NS_B 0xfffffff2u
#define NS_C 0xfffffff3u

/* Recorded in a fresh namespace: RTM_GETLINK ifindex 1 (IFLA_EXT_MASK
 * RTEXT_FILTER_SKIP_STATS) answered by the RTM_NEWLINK of lo; the same for
 * ifindex 9999 answered by NLMSG_ERROR -ENODEV echoing the request; the
 * RTM_DELLINK notification of veth ifindex 77 being deleted. */
static const __u8 rec_newlink_lo[1100] __attribute__((aligned(4))) = {
	0x4c, 0x04, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0xe1, 0x3f, 0x00, 0x00,
	0x00, 0x00, 0x04, 0x03, 0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x07, 0x00, 0x03, 0x00, 0x6c, 0x6f, 0x00, 0x00, 0x08, 0x00, 0x0d, 0x00, 0xe8, 0x03, 0x00, 0x00,
	0x05, 0x00, 0x10, 0x00, 0x02, 0x00, 0x00, 0x00, 0x05, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x05, 0x00, 0x43, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00,
	0x08, 0x00, 0x32, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x33, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x1b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x1f, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x28, 0x00, 0xff, 0xff, 0x00, 0x00, 0x08, 0x00, 0x29, 0x00, 0x00, 0x00, 0x01, 0x00,
	0x08, 0x00, 0x3a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x3f, 0x00, 0x00, 0x00, 0x01, 0x00,
	0x08, 0x00, 0x40, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x3b, 0x00, 0xf8, 0xff, 0x07, 0x00,
	0x08, 0x00, 0x3c, 0x00, 0xff, 0xff, 0x00, 0x00, 0x08, 0x00, 0x42, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x23, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x2f, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x06, 0x00, 0x45, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x27, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x0a, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x02, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xcc, 0x00, 0x17, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x64, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x2b, 0x00, 0x05, 0x00, 0x02, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x09, 0x00, 0x06, 0x00, 0x6e, 0x6f, 0x6f, 0x70, 0x00, 0x00, 0x00, 0x00,
	0xc0, 0x01, 0x1a, 0x00, 0x8c, 0x00, 0x02, 0x00, 0x88, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x10, 0x27, 0x00, 0x00, 0xe8, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x30, 0x01, 0x0a, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x05, 0x00,
	0xff, 0xff, 0x00, 0x00, 0x3c, 0x89, 0x0e, 0x00, 0x5c, 0x52, 0x00, 0x00, 0xe8, 0x03, 0x00, 0x00,
	0xf4, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xa0, 0x0f, 0x00, 0x00, 0xe8, 0x03, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
	0x80, 0x3a, 0x09, 0x00, 0x80, 0x51, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x58, 0x02, 0x00, 0x00,
	0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x60, 0xea, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x27, 0x00, 0x00,
	0xe8, 0x03, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x80, 0xee, 0x36, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x24, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x3e, 0x80, 0x04, 0x00, 0x41, 0x80,
};
static const __u8 rec_error_enodev[60] __attribute__((aligned(4))) = {
	0x3c, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0xe1, 0x3f, 0x00, 0x00,
	0xed, 0xff, 0xff, 0xff, 0x28, 0x00, 0x00, 0x00, 0x12, 0x00, 0x01, 0x00, 0x07, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x27, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x1d, 0x00, 0x08, 0x00, 0x00, 0x00,
};
static const __u8 rec_dellink_77[688] __attribute__((aligned(4))) = {
	0xb0, 0x02, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x01, 0x00, 0x4d, 0x00, 0x00, 0x00, 0x02, 0x10, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
	0x0d, 0x00, 0x03, 0x00, 0x73, 0x6b, 0x62, 0x64, 0x63, 0x61, 0x70, 0x30, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x0d, 0x00, 0xe8, 0x03, 0x00, 0x00, 0x05, 0x00, 0x10, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x05, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x43, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x04, 0x00, 0xdc, 0x05, 0x00, 0x00, 0x08, 0x00, 0x32, 0x00, 0x44, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x33, 0x00, 0xff, 0xff, 0x00, 0x00, 0x08, 0x00, 0x1b, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x1f, 0x00, 0x02, 0x00, 0x00, 0x00, 0x08, 0x00, 0x28, 0x00, 0xff, 0xff, 0x00, 0x00,
	0x08, 0x00, 0x29, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x3a, 0x00, 0x00, 0x00, 0x01, 0x00,
	0x08, 0x00, 0x3f, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x40, 0x00, 0x00, 0x00, 0x01, 0x00,
	0x08, 0x00, 0x3b, 0x00, 0xf8, 0xff, 0x07, 0x00, 0x08, 0x00, 0x3c, 0x00, 0xff, 0xff, 0x00, 0x00,
	0x08, 0x00, 0x42, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x20, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x05, 0x00, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x23, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x2f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x30, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x06, 0x00, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x45, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x05, 0x00, 0x27, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x01, 0x00, 0xfa, 0xc6, 0x21, 0x60,
	0xfe, 0x67, 0x00, 0x00, 0x0a, 0x00, 0x02, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00,
	0xcc, 0x00, 0x17, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00, 0x07, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x0c, 0x00, 0x2b, 0x00, 0x05, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x12, 0x00,
	0x09, 0x00, 0x01, 0x00, 0x76, 0x65, 0x74, 0x68, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x05, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x09, 0x00, 0x06, 0x00, 0x6e, 0x6f, 0x6f, 0x70, 0x00, 0x00, 0x00, 0x00,
	0x04, 0x00, 0x1a, 0x00, 0x24, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x3e, 0x80, 0x04, 0x00, 0x41, 0x80,
};

/* A buffer of messages built the way the kernel lays them out. */
struct nlbuf {
	__u32 w[2048];
	size_t len;
};

static void *nb_put(struct nlbuf *b, size_t n)
{
	void *p = (char *)b->w + b->len;

	CU_ASSERT_FATAL(b->len + NLMSG_ALIGN(n) <= sizeof(b->w));
	memset(p, 0, NLMSG_ALIGN(n));
	b->len += NLMSG_ALIGN(n);
	return p;
}

static struct nlmsghdr *nb_msg(struct nlbuf *b, __u16 type, __u16 flags)
{
	struct nlmsghdr *nlh = nb_put(b, NLMSG_HDRLEN);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = 0;
	nlh->nlmsg_pid = 0;
	return nlh;
}

static void nb_end(struct nlbuf *b, struct nlmsghdr *nlh)
{
	nlh->nlmsg_len = (__u32)((char *)b->w + b->len - (char *)nlh);
}

static void nb_attr(struct nlbuf *b, __u16 type, const void *data, size_t len)
{
	struct nlattr *a = nb_put(b, NLA_HDRLEN + len);

	a->nla_len = (__u16)(NLA_HDRLEN + len);
	a->nla_type = type;
	memcpy((char *)a + NLA_HDRLEN, data, len);
}

/* RTM_NEWLINK / RTM_DELLINK: ifinfomsg, IFLA_MTU, then IFLA_IFNAME if name */
static void put_link(struct nlbuf *b, __u16 type, __u16 flags, __u8 family, int ifindex, const char *name)
{
	struct nlmsghdr *nlh = nb_msg(b, type, flags);
	struct ifinfomsg *ifi = nb_put(b, sizeof(*ifi));
	__u32 mtu = 1500;

	ifi->ifi_family = family;
	ifi->ifi_index = ifindex;
	nb_attr(b, IFLA_MTU, &mtu, sizeof(mtu));
	if (name)
		nb_attr(b, IFLA_IFNAME, name, strlen(name) + 1);
	nb_end(b, nlh);
}

/* NLMSG_ERROR echoing an RTM_GETLINK for echo_ifindex (0: header only) */
static void put_error(struct nlbuf *b, int err, int echo_ifindex)
{
	struct nlmsghdr *nlh = nb_msg(b, NLMSG_ERROR, 0);
	struct nlmsgerr *e = nb_put(b, sizeof(*e));

	e->error = err;
	e->msg.nlmsg_type = RTM_GETLINK;
	e->msg.nlmsg_flags = NLM_F_REQUEST;
	e->msg.nlmsg_len = NLMSG_HDRLEN;
	if (echo_ifindex) {
		struct ifinfomsg *ifi = nb_put(b, sizeof(*ifi));

		ifi->ifi_index = echo_ifindex;
		e->msg.nlmsg_len += sizeof(*ifi);
	}
	nb_end(b, nlh);
}

static void put_done(struct nlbuf *b, int err)
{
	struct nlmsghdr *nlh = nb_msg(b, NLMSG_DONE, NLM_F_MULTI);
	int *p = nb_put(b, sizeof(*p));

	*p = err;
	nb_end(b, nlh);
}

static int parse(struct skbd_netdev *nd, __u32 ns, const struct nlbuf *b)
{
	return skbd_netdev__parse(nd, ns, b->w, b->len);
}

/* Parse a copy of len bytes in a buffer of exactly that size (an over-read
 * is an ASan error). */
static int parse_exact(struct skbd_netdev *nd, __u32 ns, const void *data, size_t len)
{
	void *p = malloc(len ? len : 1);
	int ret;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memcpy(p, data, len);
	ret = skbd_netdev__parse(nd, ns, p, len);
	free(p);
	return ret;
}

static struct skbd_netdev *new_nd(void)
{
	struct skbd_netdev *nd = NULL;

	tu_log_quiet();
	CU_ASSERT_EQUAL_FATAL(skbd_netdev__open(&nd), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nd);
	return nd;
}

static void free_nd(struct skbd_netdev *nd)
{
	skbd_netdev__close(nd);
	tu_log_restore();
}

static void expect_name(struct skbd_netdev *nd, __u32 ns, __u32 ifindex, const char *want)
{
	char name[16];

	memset(name, 'X', sizeof(name));
	CU_ASSERT_EQUAL(skbd_netdev__ifname(nd, ns, ifindex, name), 0);
	CU_ASSERT_TRUE(memchr(name, '\0', sizeof(name)) != NULL);
	name[15] = '\0';
	CU_ASSERT_STRING_EQUAL(name, want);
}

static void expect_err(struct skbd_netdev *nd, __u32 ns, __u32 ifindex, int want)
{
	char name[16];

	CU_ASSERT_EQUAL(skbd_netdev__ifname(nd, ns, ifindex, name), want);
}

static void test_new_free(void)
{
	struct skbd_netdev *nd = new_nd();
	struct stat st;

	CU_ASSERT_EQUAL_FATAL(stat("/proc/self/ns/net", &st), 0);
	CU_ASSERT_EQUAL(skbd_netdev__self_netns(nd), (__u32)st.st_ino);
	free_nd(nd);
	skbd_netdev__close(NULL);
	CU_ASSERT_EQUAL(skbd_netdev__self_netns(NULL), 0);
}

static void test_newlink(void)
{
	struct skbd_netdev *nd = new_nd();
	struct nlbuf b = { .len = 0 };

	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 2, "eth0");
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 1);
	expect_name(nd, NS_A, 2, "eth0");
	/* 15 bytes is the longest name */
	b.len = 0;
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 3, "abcdefghijklmno");
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 1);
	expect_name(nd, NS_A, 3, "abcdefghijklmno");
	free_nd(nd);
}

static void test_rename(void)
{
	struct skbd_netdev *nd = new_nd();
	struct nlbuf b = { .len = 0 };

	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 2, "eth0");
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 1);
	b.len = 0;
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 2, "wan0");
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 1);
	expect_name(nd, NS_A, 2, "wan0");
	/* a longer name then a shorter one leaves no tail behind */
	b.len = 0;
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 2, "uplink-primary");
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 2, "up");
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 2);
	expect_name(nd, NS_A, 2, "up");
	free_nd(nd);
}

static void test_dellink(void)
{
	struct skbd_netdev *nd = new_nd();
	struct nlbuf b = { .len = 0 };

	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 2, "eth0");
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 4, "eth1");
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 2);
	b.len = 0;
	put_link(&b, RTM_DELLINK, 0, AF_UNSPEC, 2, "eth0");
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 1);
	expect_err(nd, NS_A, 2, -ENODEV);
	expect_err(nd, NS_A, 2, -ENODEV);
	expect_name(nd, NS_A, 4, "eth1");
	/* a DELLINK needs no name; the ifindex comes back with a NEWLINK */
	b.len = 0;
	put_link(&b, RTM_DELLINK, 0, AF_UNSPEC, 4, NULL);
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 2, "eth0b");
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 2);
	expect_err(nd, NS_A, 4, -ENODEV);
	expect_name(nd, NS_A, 2, "eth0b");
	free_nd(nd);
}

static void test_namespaces_apart(void)
{
	struct skbd_netdev *nd = new_nd();
	struct nlbuf b = { .len = 0 };

	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 2, "a0");
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 1);
	b.len = 0;
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 2, "b0");
	CU_ASSERT_EQUAL(parse(nd, NS_B, &b), 1);
	b.len = 0;
	put_link(&b, RTM_DELLINK, 0, AF_UNSPEC, 2, "b0");
	CU_ASSERT_EQUAL(parse(nd, NS_B, &b), 1);
	expect_name(nd, NS_A, 2, "a0");
	expect_err(nd, NS_B, 2, -ENODEV);
	free_nd(nd);
}

/* a dump: NEWLINKs with NLM_F_MULTI, then NLMSG_DONE */
static void test_dump(void)
{
	struct skbd_netdev *nd = new_nd();
	struct nlbuf b = { .len = 0 };

	put_link(&b, RTM_NEWLINK, NLM_F_MULTI, AF_UNSPEC, 1, "lo");
	put_link(&b, RTM_NEWLINK, NLM_F_MULTI, AF_UNSPEC, 2, "eth0");
	put_link(&b, RTM_NEWLINK, NLM_F_MULTI | NLM_F_DUMP_INTR, AF_UNSPEC, 7, "veth-x");
	put_done(&b, 0);
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 3);
	expect_name(nd, NS_A, 1, "lo");
	expect_name(nd, NS_A, 2, "eth0");
	expect_name(nd, NS_A, 7, "veth-x");
	/* a dump that failed says so in NLMSG_DONE; what came before stays */
	b.len = 0;
	put_link(&b, RTM_NEWLINK, NLM_F_MULTI, AF_UNSPEC, 8, "br0");
	put_done(&b, -EMSGSIZE);
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -EMSGSIZE);
	expect_name(nd, NS_A, 8, "br0");
	/* an old kernel's NLMSG_DONE without payload */
	b.len = 0;
	nb_end(&b, nb_msg(&b, NLMSG_DONE, NLM_F_MULTI));
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 0);
	free_nd(nd);
}

static void test_error(void)
{
	struct skbd_netdev *nd = new_nd();
	struct nlbuf b = { .len = 0 };

	/* -ENODEV echoing the RTM_GETLINK: that ifindex is cached as absent */
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 9, "old9");
	put_error(&b, -ENODEV, 9);
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -ENODEV);
	expect_err(nd, NS_A, 9, -ENODEV);
	/* a NEWLINK later in the stream wins */
	b.len = 0;
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 9, "new9");
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 1);
	expect_name(nd, NS_A, 9, "new9");
	/* other errors change nothing */
	b.len = 0;
	put_error(&b, -EPERM, 9);
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -EPERM);
	expect_name(nd, NS_A, 9, "new9");
	/* an ACK is no error; an ERROR without the echoed request is fine too */
	b.len = 0;
	put_error(&b, 0, 0);
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 0);
	b.len = 0;
	put_error(&b, -ENODEV, 0);
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -ENODEV);
	expect_name(nd, NS_A, 9, "new9");
	free_nd(nd);
}

/* A port leaving its bridge is an AF_BRIDGE RTM_DELLINK: the device stays. */
static void test_bridge_family(void)
{
	struct skbd_netdev *nd = new_nd();
	struct nlbuf b = { .len = 0 };

	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 2, "eth0");
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 1);
	b.len = 0;
	put_link(&b, RTM_DELLINK, 0, AF_BRIDGE, 2, "eth0");
	put_link(&b, RTM_NEWLINK, 0, AF_BRIDGE, 2, "bogus");
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 0);
	expect_name(nd, NS_A, 2, "eth0");
	free_nd(nd);
}

/* Other message types and unknown attributes are skipped. */
static void test_skipped(void)
{
	struct skbd_netdev *nd = new_nd();
	struct nlbuf b = { .len = 0 };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	__u8 blob[7] = { 1, 2, 3, 4, 5, 6, 7 };

	nb_end(&b, nb_msg(&b, NLMSG_NOOP, 0));
	nlh = nb_msg(&b, RTM_NEWADDR, 0);
	nb_put(&b, 8);
	nb_end(&b, nlh);
	/* NEWLINK: unknown attribute (odd length, padded), a flag bit in the name's type */
	nlh = nb_msg(&b, RTM_NEWLINK, 0);
	ifi = nb_put(&b, sizeof(*ifi));
	ifi->ifi_index = 5;
	nb_attr(&b, 0x7ff0, blob, sizeof(blob));
	nb_attr(&b, IFLA_IFNAME | NLA_F_NET_BYTEORDER, "e5", 3);
	nb_end(&b, nlh);
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 1);
	expect_name(nd, NS_A, 5, "e5");
	free_nd(nd);
}

static void test_recorded(void)
{
	struct skbd_netdev *nd = new_nd();
	struct nlbuf b = { .len = 0 };

	CU_ASSERT_EQUAL(parse_exact(nd, NS_A, rec_newlink_lo, sizeof(rec_newlink_lo)), 1);
	expect_name(nd, NS_A, 1, "lo");
	CU_ASSERT_EQUAL(parse_exact(nd, NS_A, rec_error_enodev, sizeof(rec_error_enodev)), -ENODEV);
	expect_err(nd, NS_A, 9999, -ENODEV);
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 77, "skbdcap0");
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 1);
	expect_name(nd, NS_A, 77, "skbdcap0");
	CU_ASSERT_EQUAL(parse_exact(nd, NS_A, rec_dellink_77, sizeof(rec_dellink_77)), 1);
	expect_err(nd, NS_A, 77, -ENODEV);
	expect_name(nd, NS_A, 1, "lo");
	free_nd(nd);
}

/* Every cut of a message is an error, never an over-read. */
static void check_cuts(struct skbd_netdev *nd, const void *msg, size_t len)
{
	unsigned int bad = 0;

	for (size_t n = 1; n < len; n++)
		if (parse_exact(nd, NS_A, msg, n) != -EBADMSG)
			bad++;
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_truncated(void)
{
	struct skbd_netdev *nd = new_nd();
	struct nlbuf b = { .len = 0 };
	size_t bounds[8], nb = 0, at = 0;
	unsigned int bad = 0;

	check_cuts(nd, rec_newlink_lo, sizeof(rec_newlink_lo));
	check_cuts(nd, rec_error_enodev, sizeof(rec_error_enodev));
	check_cuts(nd, rec_dellink_77, sizeof(rec_dellink_77));
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 2, "eth0");
	check_cuts(nd, b.w, b.len);
	/* a stream of several: a cut on a message boundary is a shorter valid stream */
	b.len = 0;
	put_link(&b, RTM_NEWLINK, NLM_F_MULTI, AF_UNSPEC, 2, "eth0");
	bounds[nb++] = b.len;
	put_link(&b, RTM_DELLINK, 0, AF_UNSPEC, 3, "eth1");
	bounds[nb++] = b.len;
	put_error(&b, -ENODEV, 4);
	bounds[nb++] = b.len;
	put_done(&b, 0);
	for (size_t n = 1; n < b.len; n++) {
		int ret = parse_exact(nd, NS_B, b.w, n);
		bool boundary = at < nb && n == bounds[at];

		if (boundary)
			at++;
		if (boundary ? ret == -EBADMSG : ret != -EBADMSG)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(at, nb);
	free_nd(nd);
}

/* a NEWLINK with one IFLA_IFNAME of raw bytes */
static void put_raw_name(struct nlbuf *b, const void *raw, size_t len)
{
	struct nlmsghdr *nlh = nb_msg(b, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = nb_put(b, sizeof(*ifi));

	ifi->ifi_index = 2;
	nb_attr(b, IFLA_IFNAME, raw, len);
	nb_end(b, nlh);
}

static void test_malformed(void)
{
	struct skbd_netdev *nd = new_nd();
	struct nlbuf b = { .len = 0 };
	struct nlmsghdr *nlh;
	struct nlattr *a;

	/* no IFLA_IFNAME */
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 2, NULL);
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -EBADMSG);
	/* name not NUL-terminated, empty, empty payload, 16 bytes */
	b.len = 0;
	put_raw_name(&b, "eth0", 4);
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -EBADMSG);
	b.len = 0;
	put_raw_name(&b, "", 1);
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -EBADMSG);
	b.len = 0;
	put_raw_name(&b, "", 0);
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -EBADMSG);
	b.len = 0;
	put_raw_name(&b, "abcdefghijklmnop", 17);
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -EBADMSG);
	/* NUL inside: the name is what precedes it */
	b.len = 0;
	put_raw_name(&b, "ab\0cd", 6);
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 1);
	expect_name(nd, NS_A, 2, "ab");
	/* attribute longer than its message */
	b.len = 0;
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 2, "eth0");
	a = (struct nlattr *)((char *)b.w + NLMSG_HDRLEN + sizeof(struct ifinfomsg));
	a->nla_len = 200;
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -EBADMSG);
	/* attribute shorter than its header */
	a->nla_len = 2;
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -EBADMSG);
	/* 1-3 stray bytes after the attributes, inside nlmsg_len */
	b.len = 0;
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 2, "eth0");
	nlh = (struct nlmsghdr *)b.w;
	nb_put(&b, 4);
	nlh->nlmsg_len += 2;
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -EBADMSG);
	/* ifinfomsg cut, index not positive */
	b.len = 0;
	nlh = nb_msg(&b, RTM_NEWLINK, 0);
	nb_put(&b, 12);
	nb_end(&b, nlh);
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -EBADMSG);
	b.len = 0;
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 0, "eth0");
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -EBADMSG);
	b.len = 0;
	put_link(&b, RTM_DELLINK, 0, AF_UNSPEC, -3, "eth0");
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -EBADMSG);
	/* nlmsg_len below the header, past the buffer */
	b.len = 0;
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 2, "eth0");
	nlh = (struct nlmsghdr *)b.w;
	nlh->nlmsg_len = 8;
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -EBADMSG);
	nlh->nlmsg_len = (__u32)b.len + 4;
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -EBADMSG);
	nlh->nlmsg_len = 0xffffffffu;
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -EBADMSG);
	/* NLMSG_ERROR too short for struct nlmsgerr, or a positive error */
	b.len = 0;
	nlh = nb_msg(&b, NLMSG_ERROR, 0);
	nb_put(&b, 8);
	nb_end(&b, nlh);
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -EBADMSG);
	b.len = 0;
	put_error(&b, 5, 0);
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -EBADMSG);
	/* a bad message after a good one: the good one stays applied */
	b.len = 0;
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 6, "good6");
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 7, NULL);
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), -EBADMSG);
	expect_name(nd, NS_A, 6, "good6");
	free_nd(nd);
}

static void test_bad_args(void)
{
	struct skbd_netdev *nd = new_nd();
	struct nlbuf b = { .len = 0 };
	char name[16];

	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 2, "eth0");
	CU_ASSERT_EQUAL(skbd_netdev__parse(NULL, NS_A, b.w, b.len), -EINVAL);
	CU_ASSERT_EQUAL(skbd_netdev__parse(nd, 0, b.w, b.len), -EINVAL);
	CU_ASSERT_EQUAL(skbd_netdev__parse(nd, NS_A, NULL, 4), -EINVAL);
	CU_ASSERT_EQUAL(skbd_netdev__parse(nd, NS_A, (char *)b.w + 2, b.len - 4), -EINVAL);
	CU_ASSERT_EQUAL(skbd_netdev__parse(nd, NS_A, b.w, 0), 0);
	CU_ASSERT_EQUAL(skbd_netdev__parse(nd, NS_A, NULL, 0), 0);
	CU_ASSERT_EQUAL(skbd_netdev__ifname(nd, 0, 1, name), -ENOENT);
	CU_ASSERT_EQUAL(skbd_netdev__ifname(nd, NS_A, 0, name), -ENODEV);
	CU_ASSERT_EQUAL(skbd_netdev__ifname(nd, NS_A, 0x80000000u, name), -ENODEV);
	CU_ASSERT_EQUAL(skbd_netdev__ifname(NULL, NS_A, 1, name), -ENOENT);
	CU_ASSERT_PTR_NULL(skbd_netdev__netns_name(NULL, NS_A));
	CU_ASSERT_PTR_NULL(skbd_netdev__netns_name(nd, 0));
	skbd_netdev__refresh(NULL);
	skbd_netdev__refresh(nd);
	free_nd(nd);
}

/* A namespace nobody can enter: -ENOENT, remembered (no rescan per call). */
static void test_unreachable(void)
{
	struct skbd_netdev *nd = new_nd();

	expect_err(nd, NS_C, 1, -ENOENT);
	expect_err(nd, NS_C, 1, -ENOENT);
	expect_err(nd, NS_C, 2, -ENOENT);
	CU_ASSERT_PTR_NULL(skbd_netdev__netns_name(nd, NS_C));
	CU_ASSERT_PTR_NULL(skbd_netdev__netns_name(nd, NS_C));
	free_nd(nd);
}

/* More devices than the cache holds (65536): it is flushed, never grows
 * past its bound, and keeps working. */
static void test_many(void)
{
	struct skbd_netdev *nd = new_nd();
	const __u32 total = 70000;
	unsigned int bad = 0;

	for (__u32 i = 1; i <= total; i++) {
		struct nlbuf b = { .len = 0 };
		char name[16];

		snprintf(name, sizeof(name), "d%u", i);
		put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, (int)i, name);
		if (parse(nd, i & 1 ? NS_A : NS_B, &b) != 1)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	for (__u32 i = total - 1000; i <= total; i++) {
		char want[16], name[16];

		snprintf(want, sizeof(want), "d%u", i);
		if (skbd_netdev__ifname(nd, i & 1 ? NS_A : NS_B, i, name) != 0 || strcmp(name, want))
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	free_nd(nd);
}

/* Random bytes, random attributes behind a valid header, and mutations of a
 * recorded message: an answer, never a crash; whatever got cached is a
 * proper name. */
static void test_random(void)
{
	struct skbd_netdev *nd = new_nd();
	__u32 seed = 0x6e657464; /* "netd" */
	struct nlbuf b;
	unsigned int bad = 0;

	for (int iter = 0; iter < 6000; iter++) {
		__u32 r = tu_rand(&seed);
		size_t len;
		int ret;

		b.len = 0;
		if (iter % 3 == 0) {
			len = r % 300;
			for (size_t i = 0; i < (len + 3) / 4; i++)
				b.w[i] = tu_rand(&seed);
		} else if (iter % 3 == 1) {
			struct nlmsghdr *nlh = (struct nlmsghdr *)b.w;
			struct ifinfomsg *ifi = (struct ifinfomsg *)(nlh + 1);

			len = NLMSG_HDRLEN + sizeof(*ifi) + r % 120;
			for (size_t i = 0; i < (len + 3) / 4; i++)
				b.w[i] = tu_rand(&seed);
			nlh->nlmsg_len = (__u32)len;
			nlh->nlmsg_type = r & 0x100 ? RTM_NEWLINK : RTM_DELLINK;
			ifi->ifi_family = AF_UNSPEC;
			ifi->ifi_index = (int)(r % 16) + 1;
			/* small attribute lengths, so some walks go deep */
			for (size_t off = NLMSG_HDRLEN + sizeof(*ifi); off + 4 <= len; off += 4)
				if (tu_rand(&seed) % 3 == 0)
					((__u16 *)((char *)b.w + off))[0] = (__u16)(tu_rand(&seed) % 24);
		} else {
			len = sizeof(rec_newlink_lo);
			memcpy(b.w, rec_newlink_lo, len);
			for (int k = 0; k < 1 + (int)(r % 4); k++) {
				__u32 pos = tu_rand(&seed) % (__u32)len;

				((__u8 *)b.w)[pos] ^= (__u8)(1u << (tu_rand(&seed) % 8));
			}
			if (r & 0x10000)
				len -= r % 64;
		}
		ret = parse_exact(nd, NS_A, b.w, len);
		if (ret < -4095)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	for (__u32 i = 1; i <= 17; i++) {
		char name[16];

		if (skbd_netdev__ifname(nd, NS_A, i, name) == 0 &&
		    (!memchr(name, '\0', sizeof(name)) || !name[0]))
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	free_nd(nd);
}

/* ---- live: root, iproute2 ---- */

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Refresh until ifindex resolves to want (NULL: until -ENODEV), at most
 * about 2 s; the last answer. */
static int wait_for(struct skbd_netdev *nd, __u32 ns, __u32 ifindex, const char *want)
{
	char name[16];
	int ret = -1;

	for (int i = 0; i < 100; i++) {
		skbd_netdev__refresh(nd);
		ret = skbd_netdev__ifname(nd, ns, ifindex, name);
		if (want ? ret == 0 && !strcmp(name, want) : ret == -ENODEV)
			return want ? 0 : ret;
		sleep_ms(20);
	}
	return ret ? ret : -EEXIST;
}

/* Our own namespace's loopback, and a named namespace with a device
 * (ifindex 4242) that is found, renamed, taken in and out of a bridge and
 * deleted; then the namespace is deleted and our socket must let it go. */
/* In the namespace (skbd_netns__run): its cookie, from a socket made there. */
static int read_cookie(void *arg)
{
	__u64 *cookie = arg;
	socklen_t len = sizeof(*cookie);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, 71 /* SO_NETNS_COOKIE */, cookie, &len) < 0)
		err = -errno;
	close(fd);
	return err == -ENOPROTOOPT ? 0 : err;
}

static void test_live(void)
{
	struct skbd_netdev *nd;
	char ns[32], path[64], name[16];
	const char *nsname;
	bool ns_made = false;
	struct stat st;
	__u32 ino;
	int ret = 0;

	if (geteuid() != 0 || tu_run("ip -V >/dev/null 2>&1")) {
		tu_skip(geteuid() ? "not root" : "no iproute2");
		return;
	}
	nd = new_nd();
	expect_name(nd, skbd_netdev__self_netns(nd), 1, "lo");
	expect_err(nd, skbd_netdev__self_netns(nd), 0x7ffffff0u, -ENODEV);

	snprintf(ns, sizeof(ns), "skbdt-%d", (int)getpid());
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	tu_run("ip netns del %s >/dev/null 2>&1", ns);
	if (tu_run("ip netns add %s", ns)) {
		CU_FAIL("ip netns add");
		goto out;
	}
	ns_made = true;
	if (tu_run("ip -n %s link add skbdt0 index 4242 type dummy >/dev/null 2>&1", ns) &&
	    tu_run("ip -n %s link add skbdt0 index 4242 type veth peer name skbdt1", ns)) {
		CU_FAIL("cannot create a dummy or veth device");
		goto out;
	}
	if (stat(path, &st)) {
		CU_FAIL("stat /run/netns/<ns>");
		goto out;
	}
	ino = (__u32)st.st_ino;
	CU_ASSERT_NOT_EQUAL(ino, skbd_netdev__self_netns(nd));

	/* first lookup: socket opened inside the namespace, one dump */
	expect_name(nd, ino, 4242, "skbdt0");
	expect_name(nd, ino, 1, "lo");
	expect_err(nd, ino, 4243, -ENODEV);
	/* the drop's namespace by cookie: named only in the namespace that has
	 * it (another cookie: a namespace that got the inode of a deleted one) */
	{
		__u64 cookie = 0;

		CU_ASSERT_EQUAL(skbd_netns__run(path, ino, read_cookie, &cookie), 0);
		if (cookie) { /* 5.14+ */
			memset(name, 'X', sizeof(name));
			CU_ASSERT_EQUAL(skbd_netdev__ifname_at(nd, ino, 4242, 0, cookie, name), 0);
			CU_ASSERT_STRING_EQUAL(name, "skbdt0");
			CU_ASSERT_EQUAL(skbd_netdev__ifname_at(nd, ino, 4242, 0, cookie + 1, name), -ENODEV);
			CU_ASSERT_STRING_EQUAL(name, "");
			CU_ASSERT_EQUAL(skbd_netdev__ifname_at(nd, ino, 4242, 0, 0, name), 0);
		} else {
			CU_FAIL("SO_NETNS_COOKIE gave nothing on this kernel");
		}
	}
	nsname = skbd_netdev__netns_name(nd, ino);
	CU_ASSERT_PTR_NOT_NULL(nsname);
	if (nsname)
		CU_ASSERT_STRING_EQUAL(nsname, ns);

	/* a rename arrives as a notification */
	CU_ASSERT_EQUAL(tu_run("ip -n %s link set skbdt0 name skbdt0r", ns), 0);
	CU_ASSERT_EQUAL(wait_for(nd, ino, 4242, "skbdt0r"), 0);

	/* leaving a bridge (an AF_BRIDGE RTM_DELLINK) does not delete the port */
	if (tu_run("ip -n %s link add skbdtbr type bridge >/dev/null 2>&1", ns) == 0) {
		CU_ASSERT_EQUAL(tu_run("ip -n %s link set skbdt0r master skbdtbr", ns), 0);
		CU_ASSERT_EQUAL(tu_run("ip -n %s link set skbdt0r nomaster", ns), 0);
		for (int i = 0; i < 5; i++) {
			skbd_netdev__refresh(nd);
			sleep_ms(10);
		}
		expect_name(nd, ino, 4242, "skbdt0r");
	}

	/* a deletion arrives as a notification */
	CU_ASSERT_EQUAL(tu_run("ip -n %s link del skbdt0r", ns), 0);
	CU_ASSERT_EQUAL(wait_for(nd, ino, 4242, NULL), -ENODEV);

	/* Deleted namespace: our socket alone would keep it alive; refresh
	 * notices within a few seconds that nothing leads to it any more. */
	CU_ASSERT_EQUAL(tu_run("ip netns del %s", ns), 0);
	ns_made = false;
	for (int i = 0; i < 60; i++) {
		skbd_netdev__refresh(nd);
		ret = skbd_netdev__ifname(nd, ino, 1, name);
		if (ret == -ENOENT)
			break;
		sleep_ms(100);
	}
	CU_ASSERT_EQUAL(ret, -ENOENT);
out:
	if (ns_made)
		tu_run("ip netns del %s >/dev/null 2>&1", ns);
	if (CU_get_number_of_failures())
		fprintf(stderr, "\n  last netdev warning: %s\n", tu_log_last());
	free_nd(nd);
}

/* An ifindex reused by a new device: a drop from before the new device's
 * announcement is never given its name; a device known from a dump or a
 * query answer (seq != 0) is named for any drop. */
static void test_ifindex_reuse(void)
{
	struct skbd_netdev *nd = new_nd();
	struct nlbuf b = { .len = 0 };
	struct timespec t;
	__u64 before, after;
	char name[16];
	struct nlmsghdr *nlh;

	/* eth0 known from an answer to us (seq 7) */
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 5, "eth0");
	nlh = (struct nlmsghdr *)b.w;
	nlh->nlmsg_seq = 7;
	nlh->nlmsg_pid = 1234;
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 1);
	clock_gettime(CLOCK_MONOTONIC, &t);
	before = (__u64)t.tv_sec * 1000000000ULL + (__u64)t.tv_nsec;
	CU_ASSERT_EQUAL(skbd_netdev__ifname_at(nd, NS_A, 5, 1, 0, name), 0);
	CU_ASSERT_STRING_EQUAL(name, "eth0");
	/* a state change of eth0 (notification) does not make it new */
	b.len = 0;
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 5, "eth0");
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 1);
	CU_ASSERT_EQUAL(skbd_netdev__ifname_at(nd, NS_A, 5, 1, 0, name), 0);
	/* eth0 deleted, then veth9 created at the same ifindex */
	b.len = 0;
	put_link(&b, RTM_DELLINK, 0, AF_UNSPEC, 5, "eth0");
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 5, "veth9");
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 2);
	clock_gettime(CLOCK_MONOTONIC, &t);
	after = (__u64)t.tv_sec * 1000000000ULL + (__u64)t.tv_nsec;
	/* a drop from before veth9 existed: not veth9's */
	CU_ASSERT_EQUAL(skbd_netdev__ifname_at(nd, NS_A, 5, before, 0, name), -ENODEV);
	/* a drop after it appeared, or no time given: veth9 */
	CU_ASSERT_EQUAL(skbd_netdev__ifname_at(nd, NS_A, 5, after, 0, name), 0);
	CU_ASSERT_STRING_EQUAL(name, "veth9");
	CU_ASSERT_EQUAL(skbd_netdev__ifname_at(nd, NS_A, 5, 0, 0, name), 0);
	/* a device first seen in a notification is new as well */
	b.len = 0;
	put_link(&b, RTM_NEWLINK, 0, AF_UNSPEC, 6, "tap0");
	CU_ASSERT_EQUAL(parse(nd, NS_A, &b), 1);
	CU_ASSERT_EQUAL(skbd_netdev__ifname_at(nd, NS_A, 6, before, 0, name), -ENODEV);
	free_nd(nd);
}

CU_TestInfo skbd_tests_netdev[] = {
	{ "ifindex reused by a new device", test_ifindex_reuse },
	{ "new and free", test_new_free },
	{ "newlink", test_newlink },
	{ "rename", test_rename },
	{ "dellink", test_dellink },
	{ "namespaces apart", test_namespaces_apart },
	{ "dump and done", test_dump },
	{ "error answers", test_error },
	{ "bridge family skipped", test_bridge_family },
	{ "other types skipped", test_skipped },
	{ "recorded messages", test_recorded },
	{ "every truncation", test_truncated },
	{ "malformed messages", test_malformed },
	{ "bad arguments", test_bad_args },
	{ "unreachable namespace", test_unreachable },
	{ "bounded cache", test_many },
	{ "random bytes", test_random },
	{ "live namespace", test_live },
	CU_TEST_INFO_NULL,
};
