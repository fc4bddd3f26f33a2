/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: the config reader through libconfig, by
 * config_parse_string() (config/config.h), as --check-config and SIGHUP
 * run it on dplbd.conf.  Each input is the text of a file named
 * "fuzz.conf".  Checked for every input, besides what ASan and UBSan
 * catch: a refused text gets a one-line message naming the file, and an
 * accepted one can be shown (config_to_json, as config.show does).
 * Inputs with @include are skipped: they read other files, which is
 * the include hook's business and has its own tests.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config/config.h"

#define NAME "fuzz.conf"
#define FAIL(...) do { fprintf(stderr, __VA_ARGS__); abort(); } while (0)

/* Too big for the stack; the harness is single-threaded. */
static struct dplb_config cfg;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CFG_ERR_LEN], *text;
	json_object *j;
	int rc;

	if (memmem(data, size, "@include", 8) != NULL)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	rc = config_parse_string(text, NAME, &cfg, err, sizeof(err));
	if (rc > 0)
		FAIL("config_parse_string returned %d\n", rc);
	if (rc < 0) {
		if (strncmp(err, NAME, strlen(NAME)) != 0)
			FAIL("error without the file name: '%s'\n", err);
		if (strchr(err, '\n') != NULL)
			FAIL("error of more than one line: '%s'\n", err);
	} else {
		j = config_to_json(&cfg);
		if (j == NULL ||
		    json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN) ==
			    NULL)
			FAIL("an accepted config cannot be shown\n");
		json_object_put(j);
	}
	free(text);
	return 0;
}
