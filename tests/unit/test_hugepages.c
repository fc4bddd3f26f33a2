/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of hugepages.c (on a fake sysfs directory) and of the
 * eal.nr_hugepages key it reads.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "core/hugepages.h"

static char sysdir[64];
static char countfile[192];
static struct dplb_config cfg;
static char msg[512];

static int
setup(void **state)
{
	char dir[128];

	snprintf(sysdir, sizeof(sysdir), "/tmp/dplb-hp-XXXXXX");
	if (mkdtemp(sysdir) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s/hugepages-2048kB", sysdir);
	snprintf(countfile, sizeof(countfile), "%s/nr_hugepages", dir);
	config_defaults(&cfg);
	return mkdir(dir, 0755);
}

static int
teardown(void **state)
{
	char dir[128];

	unlink(countfile);
	snprintf(dir, sizeof(dir), "%s/hugepages-2048kB", sysdir);
	rmdir(dir);
	return rmdir(sysdir);
}

static void
put_count(const char *text)
{
	FILE *f = fopen(countfile, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static unsigned long
get_count(void)
{
	unsigned long v = 0;
	FILE *f = fopen(countfile, "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lu", &v), 1);
	fclose(f);
	return v;
}

static void
test_raises_a_lower_count(void **state)
{
	put_count("16\n");
	cfg.nr_hugepages = 512;
	assert_int_equal(hugepages_reserve(&cfg, sysdir, msg, sizeof(msg)), 0);
	assert_int_equal(get_count(), 512);
	assert_string_equal(msg, "reserved 512 hugepages of 2 MiB (were 16)");
}

/* Never lowered: other programs may hold pages. */
static void
test_keeps_a_higher_count(void **state)
{
	put_count("6144\n");
	cfg.nr_hugepages = 64;
	assert_int_equal(hugepages_reserve(&cfg, sysdir, msg, sizeof(msg)), 0);
	assert_int_equal(get_count(), 6144);
	assert_string_equal(msg, "6144 hugepages of 2 MiB reserved, 64 "
			    "wanted: nothing to do");
}

static void
test_zero_leaves_the_system_alone(void **state)
{
	put_count("0\n");
	cfg.nr_hugepages = 0;
	assert_int_equal(hugepages_reserve(&cfg, sysdir, msg, sizeof(msg)), 0);
	assert_int_equal(get_count(), 0);
	assert_non_null(strstr(msg, "left as they are"));
}

static void
test_missing_sysfs_is_an_error(void **state)
{
	cfg.nr_hugepages = 8;
	assert_int_equal(hugepages_reserve(&cfg, "/nonexistent", msg,
					   sizeof(msg)), -ENOENT);
	assert_string_equal(msg, "cannot read /nonexistent/hugepages-2048kB/"
			    "nr_hugepages: No such file or directory");
}

static void
assert_parse_error(const char *text, const char *want)
{
	char err[CFG_ERR_LEN] = "";

	assert_int_equal(config_parse_string(text, "t.conf", &cfg, err,
					     sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
}

static void
test_config_key(void **state)
{
	char err[CFG_ERR_LEN] = "";

	config_defaults(&cfg);
	assert_int_equal(cfg.nr_hugepages, 0);
	assert_int_equal(config_parse_string("eal = { memory_mb = 1024;\n"
					     "  nr_hugepages = 512; };",
					     "t.conf", &cfg, err, sizeof(err)),
			 0);
	assert_int_equal(cfg.nr_hugepages, 512);
	assert_parse_error("eal = { hugepages = false;\n nr_hugepages = 64; };",
			   "t.conf:2: eal.nr_hugepages: needs hugepages = true");
	assert_parse_error("eal = { memory_mb = 1025;\n nr_hugepages = 512; };",
			   "t.conf:2: eal.nr_hugepages: memory_mb = 1025 needs "
			   "at least 513 pages of 2 MiB");
	assert_parse_error("eal = { nr_hugepages = 1048577; };",
			   "t.conf:1: eal.nr_hugepages: must be between 0 and "
			   "1048576");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_raises_a_lower_count,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_keeps_a_higher_count,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_leaves_the_system_alone,
						setup, teardown),
		cmocka_unit_test(test_missing_sysfs_is_an_error),
		cmocka_unit_test(test_config_key),
	};

	return cmocka_run_group_tests_name("hugepages", tests, NULL, NULL);
}
