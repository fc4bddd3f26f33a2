/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/hugepages.h"

static int
read_count(const char *path, unsigned long *v)
{
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (f == NULL)
		return -errno;
	if (fscanf(f, "%lu", v) != 1)
		ret = -EINVAL;
	fclose(f);
	return ret;
}

static int
write_count(const char *path, unsigned long v)
{
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (f == NULL)
		return -errno;
	if (fprintf(f, "%lu\n", v) < 0)
		ret = -EIO;
	if (fclose(f) != 0 && ret == 0)
		ret = -errno;	/* the kernel's answer arrives on flush */
	return ret;
}

int
hugepages_reserve(const struct dplb_config *cfg, const char *sysdir,
		  char *msg, size_t len)
{
	unsigned long want = cfg->nr_hugepages, have, before;
	char path[PATH_MAX];
	int ret;

	if (want == 0) {
		snprintf(msg, len, "eal.nr_hugepages is 0: the system's "
			 "hugepages are left as they are");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/hugepages-2048kB/nr_hugepages",
		 sysdir);
	ret = read_count(path, &have);
	if (ret != 0) {
		snprintf(msg, len, "cannot read %s: %s", path, strerror(-ret));
		return ret;
	}
	if (have >= want) {
		snprintf(msg, len, "%lu hugepages of 2 MiB reserved, %lu "
			 "wanted: nothing to do", have, want);
		return 0;
	}
	before = have;
	ret = write_count(path, want);
	if (ret == 0)
		ret = read_count(path, &have);
	if (ret != 0) {
		snprintf(msg, len, "cannot write %lu to %s: %s", want, path,
			 strerror(-ret));
		return ret;
	}
	if (have < want) {
		snprintf(msg, len, "only %lu of %lu hugepages of 2 MiB could "
			 "be reserved (memory too fragmented? reserve them at "
			 "boot: hugepages=%lu on the kernel command line)",
			 have, want, want);
		return -EIO;
	}
	snprintf(msg, len, "reserved %lu hugepages of 2 MiB (were %lu)", have,
		 before);
	return 0;
}
