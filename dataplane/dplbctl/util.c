/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dplbctl.h"

void
print_json(json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
}

int
run_call(const struct opts *o, const char *method, json_object *params,
	 print_fn pr)
{
	json_object *result;
	int rc = ctl_call(o, method, params, &result);

	if (rc != EXIT_OK)
		return rc;
	if (o->json || pr == NULL)
		print_json(result);
	else
		pr(result);
	json_object_put(result);
	if (fflush(stdout) != 0)
		return EXIT_SERVER;
	return EXIT_OK;
}

int
usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("dplbctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(cmd->usage, stderr);
	return EXIT_USAGE;
}

bool
wants_help(const struct command *cmd, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0 ||
		    (i == 1 && strcmp(argv[i], "help") == 0)) {
			fputs(cmd->usage, stdout);
			return true;
		}
	}
	return false;
}

/* "show" also answers to "list" and "ls", as in ip(8). */
bool
is_verb(const char *arg, const char *verb)
{
	if (strcmp(arg, verb) == 0)
		return true;
	return strcmp(verb, "show") == 0 &&
	       (strcmp(arg, "list") == 0 || strcmp(arg, "ls") == 0);
}

json_object *
jget(json_object *obj, const char *key)
{
	json_object *v = NULL;

	if (obj != NULL && json_object_is_type(obj, json_type_object))
		json_object_object_get_ex(obj, key, &v);
	return v;
}

const char *
jstr(json_object *obj, const char *key, const char *dflt)
{
	json_object *v = jget(obj, key);

	if (v == NULL)
		return dflt;
	return json_object_get_string(v);
}

long long
jint(json_object *obj, const char *key, long long dflt)
{
	json_object *v = jget(obj, key);

	if (v == NULL)
		return dflt;
	return (long long)json_object_get_int64(v);
}

bool
jbool(json_object *obj, const char *key)
{
	return json_object_get_boolean(jget(obj, key));
}

json_object *
params_new(void)
{
	return json_object_new_object();
}

void
params_add(json_object *p, const char *key, const char *val)
{
	if (val != NULL)
		json_object_object_add(p, key, json_object_new_string(val));
}

void
str_upper(char *dst, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i] != '\0'; i++)
		dst[i] = (char)(src[i] >= 'a' && src[i] <= 'z' ?
				src[i] - 'a' + 'A' : src[i]);
	dst[i] = '\0';
}

int
parse_kw(const struct command *cmd, int argc, char **argv, struct kw *kws,
	 size_t n)
{
	size_t k;
	int i;

	for (i = 0; i < argc; i += 2) {
		for (k = 0; k < n; k++)
			if (strcmp(argv[i], kws[k].name) == 0)
				break;
		if (k == n)
			return usage_error(cmd, "unexpected argument '%s'",
					   argv[i]);
		if (i + 1 >= argc)
			return usage_error(cmd, "'%s' needs a value", argv[i]);
		if (kws[k].val != NULL)
			return usage_error(cmd, "'%s' given twice", argv[i]);
		kws[k].val = argv[i + 1];
	}
	return EXIT_OK;
}

void
print_nothing(json_object *res)
{
	(void)res;
}
