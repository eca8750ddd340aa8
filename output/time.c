// SPDX-License-Identifier: GPL-2.0-only
/* Wall time of a CLOCK_MONOTONIC stamp, as text, for events and --summary:
 * computed once per second. */
#include <stdint.h>
#include <stdio.h>
#include <skbdrop/output.h>

/* UTC calendar date of a day count since 1970-01-01 (proleptic Gregorian,
 * eras of 400 years). Our own arithmetic: a static glibc's gmtime_r calls
 * tzset(), which opens /etc/localtime, and we promise to read only /proc
 * and /sys. */
void skbd_civil_from_days(long long days, int *y, int *m, int *d)
{
	long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;                                   /* [0, 146096] */
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           /* [0, 365] */
	long long mp = (5 * doy + 2) / 153;                                 /* [0, 11], March first */

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

long skbd_time_text__set(struct skbd_time_text *t, __s64 mono_to_real_ns, __u64 mono_ns)
{
	__s64 real;
	__s64 sec;
	int y, mo, d, hh, mm, ss;

	/* a stamp the kernel never gives (near 2^63, from a bad record) must not
	 * overflow: clamped to the ends of the range */
	if (mono_ns > (__u64)INT64_MAX || __builtin_add_overflow((__s64)mono_ns, mono_to_real_ns, &real))
		real = mono_to_real_ns < 0 && mono_ns <= (__u64)INT64_MAX ? 0 : INT64_MAX;
	if (real < 0)
		real = 0;
	sec = real / 1000000000;
	if (t->sec == sec)
		return (long)(real % 1000000000);
	skbd_civil_from_days(sec / 86400, &y, &mo, &d);
	hh = (int)(sec % 86400 / 3600);
	mm = (int)(sec % 3600 / 60);
	ss = (int)(sec % 60);
	snprintf(t->date, sizeof(t->date), "%04d-%02d-%02dT%02d:%02d:%02d", y % 10000, mo, d, hh, mm, ss);
	snprintf(t->hms, sizeof(t->hms), "%02d:%02d:%02d", hh, mm, ss);
	t->sec = sec;
	return (long)(real % 1000000000);
}
