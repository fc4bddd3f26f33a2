/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dplbctl.h"

void
print_json(json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
}

static char shape_msg[256];

void
shape_error(const char *fmt, ...)
{
	va_list ap;

	if (shape_msg[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(shape_msg, sizeof(shape_msg), fmt, ap);
	va_end(ap);
}

const char *
shape_failed(void)
{
	return shape_msg[0] != '\0' ? shape_msg : NULL;
}

/*
 * pr(result) into memory first: what a printer wrote before it met a
 * mismatch must not reach stdout.  The printers write to stdout, which
 * glibc lets us point elsewhere for the call.
 */
int
print_checked(const char *method, print_fn pr, json_object *result)
{
	FILE *mem, *out = stdout;
	char *buf = NULL;
	size_t len = 0;

	mem = open_memstream(&buf, &len);
	if (mem == NULL) {
		fputs("dplbctl: out of memory\n", stderr);
		return EXIT_SERVER;
	}
	stdout = mem;
	pr(result);
	fclose(mem);
	stdout = out;
	if (shape_failed() != NULL) {
		free(buf);
		fprintf(stderr, "dplbctl: unexpected reply to %s: %s\n", method,
			shape_failed());
		return EXIT_SERVER;
	}
	fwrite(buf, 1, len, stdout);
	free(buf);
	return EXIT_OK;
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
		rc = print_checked(method, pr, result);
	json_object_put(result);
	if (rc == EXIT_OK && fflush(stdout) != 0)
		return EXIT_SERVER;
	return rc;
}

const char *err_where;

void
err_prefix(void)
{
	if (err_where != NULL)
		fprintf(stderr, "dplbctl: %s: ", err_where);
	else
		fputs("dplbctl: ", stderr);
}

/* The usage follows, except for a line of dplbctl restore. */
int
usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	err_prefix();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (err_where == NULL)
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

static const char *
type_name(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_int:
		return "an integer";
	case json_type_double:
		return "a fraction";
	case json_type_string:
		return "a string";
	case json_type_array:
		return "an array";
	case json_type_object:
		return "an object";
	}
	return "something else";
}

json_object *
jget(json_object *obj, const char *key)
{
	json_object *v = NULL;

	if (obj == NULL)
		return NULL;
	if (!json_object_is_type(obj, json_type_object)) {
		shape_error("%s where an object with \"%s\" belongs",
			    type_name(obj), key);
		return NULL;
	}
	json_object_object_get_ex(obj, key, &v);
	return json_object_is_type(v, json_type_null) ? NULL : v;
}

/* obj[key] if it has type t; a mismatch (noted) otherwise. */
static json_object *
jget_type(json_object *obj, const char *key, enum json_type t,
	  const char *want)
{
	json_object *v = jget(obj, key);

	if (v == NULL || json_object_is_type(v, t))
		return v;
	shape_error("\"%s\" is %s, not %s", key, type_name(v), want);
	return NULL;
}

json_object *
jarr(json_object *obj, const char *key)
{
	return jget_type(obj, key, json_type_array, "an array");
}

json_object *
jobj(json_object *obj, const char *key)
{
	return jget_type(obj, key, json_type_object, "an object");
}

const char *
jtext(json_object *v, const char *what, const char *dflt)
{
	if (v == NULL)
		return dflt;
	if (json_object_is_type(v, json_type_array) ||
	    json_object_is_type(v, json_type_object)) {
		shape_error("%s is %s, not a string", what, type_name(v));
		return dflt;
	}
	return json_object_get_string(v);
}

const char *
jstr(json_object *obj, const char *key, const char *dflt)
{
	char what[96];

	snprintf(what, sizeof(what), "\"%s\"", key);
	return jtext(jget(obj, key), what, dflt);
}

long long
jint(json_object *obj, const char *key, long long dflt)
{
	json_object *v = jget(obj, key);

	if (v == NULL)
		return dflt;
	if (!json_object_is_type(v, json_type_int)) {
		shape_error("\"%s\" is %s, not an integer", key, type_name(v));
		return dflt;
	}
	return (long long)json_object_get_int64(v);
}

bool
jbool(json_object *obj, const char *key)
{
	return json_object_get_boolean(jget_type(obj, key, json_type_boolean,
						 "true or false"));
}

size_t
jlen(json_object *arr, const char *what)
{
	if (json_object_is_type(arr, json_type_array))
		return json_object_array_length(arr);
	if (what != NULL)
		shape_error("%s is %s, not an array", what, type_name(arr));
	return 0;
}

bool
jisobj(json_object *v, const char *what)
{
	if (json_object_is_type(v, json_type_object))
		return true;
	shape_error("%s is %s, not an object", what, type_name(v));
	return false;
}

json_object *
jidx(json_object *arr, size_t i)
{
	json_object *v = json_object_array_get_idx(arr, i);

	if (json_object_is_type(v, json_type_object))
		return v;
	shape_error("a list holds %s where an object belongs", type_name(v));
	return NULL;
}

const char *
jidx_str(json_object *arr, size_t i, const char *dflt)
{
	return jtext(json_object_array_get_idx(arr, i), "an element of a list",
		     dflt);
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
