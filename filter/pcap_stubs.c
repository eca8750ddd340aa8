// SPDX-License-Identifier: GPL-2.0-only
/* Linked into the static binary only. libpcap's pcap.c lists every capture
 * module it was built with (D-Bus, USB, netfilter, Bluetooth); defining their
 * two entry points here keeps the linker from pulling those archive members,
 * and with them libdbus-1 and libsystemd, which have no static archives on
 * Debian. We only compile filters: no capture device is ever listed or opened. */
#include <stddef.h>
#include <pcap/pcap.h>

struct pcap_if_list; /* libpcap-internal pcap_if_list_t */

#define SKBD_PCAP_STUB(mod)                                                              \
	int mod##_findalldevs(struct pcap_if_list *devlist, char *errbuf);               \
	pcap_t *mod##_create(const char *device, char *errbuf, int *is_ours);            \
	int mod##_findalldevs(struct pcap_if_list *devlist, char *errbuf)                \
	{                                                                                \
		return 0;                                                                \
	}                                                                                \
	pcap_t *mod##_create(const char *device, char *errbuf, int *is_ours)             \
	{                                                                                \
		*is_ours = 0;                                                            \
		return NULL;                                                             \
	}

SKBD_PCAP_STUB(dbus)
SKBD_PCAP_STUB(usb)
SKBD_PCAP_STUB(netfilter)
SKBD_PCAP_STUB(bt)
SKBD_PCAP_STUB(bt_monitor)

/* The same for the Linux capture module (pcap-linux.o, which brings
 * fad-getad.o) and the savefile reader (savefile.o, which brings sf-pcap.o
 * and sf-pcapng.o): pcap.c calls them only for live and offline handles, and
 * ours come from pcap_open_dead(). libpcap 1.10's internal signatures. */
pcap_t *pcap_create_interface(const char *device, char *ebuf);
int pcap_platform_finddevs(struct pcap_if_list *devlist, char *errbuf);
int pcap_offline_read(pcap_t *p, int cnt, pcap_handler callback, u_char *user);

pcap_t *pcap_create_interface(const char *device, char *ebuf)
{
	return NULL;
}

int pcap_platform_finddevs(struct pcap_if_list *devlist, char *errbuf)
{
	return 0;
}

int pcap_offline_read(pcap_t *p, int cnt, pcap_handler callback, u_char *user)
{
	return PCAP_ERROR;
}
