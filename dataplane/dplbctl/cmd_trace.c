/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trace: the packet tracer (trace.start, trace.read, trace.stop).
 *
 *   dplbctl trace [--count N] [--dev PORT] [--addr ADDR] [--port N]
 *                 [--proto tcp|udp|icmp] [--wait SEC] [--pcap FILE]
 *
 * Arms a trace in dplbd's workers, prints each traced packet's path
 * stage by stage as the records come, and stops the trace when count
 * packets were traced, after --wait seconds or on SIGINT/SIGTERM.
 * --pcap writes the frames (as received, and as sent or handed on) to
 * a pcapng file, with the path as each packet's comment.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dplbctl.h"
#include "trace_pcapng.h"

#define POLL_MS 100

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* "created side=in fwd=fnat ..." : the stage's members after its name,
 * the first one's value bare when it is a verdict, result or reason. */
static void
stage_text(json_object *st, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	if (st == NULL)
		return;
	json_object_object_foreach(st, k, v) {
		const char *val = jtext(v, k, "-");

		if (strcmp(k, "stage") == 0 || n >= len)
			continue;
		if (strcmp(k, "verdict") == 0 || strcmp(k, "result") == 0 ||
		    strcmp(k, "reason") == 0)
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
					      n ? " " : "", val);
		else if (strcmp(k, "to") == 0)
			n += (size_t)snprintf(buf + n, len - n, " -> %s", val);
		else if (strcmp(k, "from") == 0)
			n += (size_t)snprintf(buf + n, len - n, "%s", val);
		else
			n += (size_t)snprintf(buf + n, len - n, "%s%s=%s",
					      n ? " " : "", k, val);
	}
}

/*
 * One record as text (or, with --json, as one line of JSON); summary
 * gets "rx port=dp0 len=74; net local; ..." for the pcapng comment.
 */
static void
record_print(json_object *text_of, json_object *r, char *summary, size_t slen)
{
	json_object *st = jarr(r, "stages");
	size_t i, n = 0;
	char text[512];

	if (text_of == NULL)
		printf("%s\n", json_object_to_json_string_ext(r,
					JSON_C_TO_STRING_PLAIN));
	else
		printf("#%lld worker %lld  %s\n", jint(r, "seq", 0),
		       jint(r, "worker", 0), jstr(r, "packet", "?"));
	summary[0] = '\0';
	for (i = 0; i < jlen(st, NULL); i++) {
		json_object *s = jidx(st, i);
		const char *name = jstr(s, "stage", "?");

		stage_text(s, text, sizeof(text));
		if (text_of != NULL)
			printf("  %-12s %s\n", name, text);
		if (n < slen)
			n += (size_t)snprintf(summary + n, slen - n, "%s%s %s",
					      n ? "; " : "", name, text);
	}
	fflush(stdout);
}

/* What the printer of a reply works with (print_fn takes the result
 * only). */
static struct {
	const struct opts *o;
	struct pcapng *pc;
	long long n;		/* records printed */
	int rc;
} take;

static void
records_take(json_object *res)
{
	json_object *recs = jarr(res, "records");
	char summary[1024];
	size_t i;

	for (i = 0; i < jlen(recs, NULL); i++) {
		json_object *r = jidx(recs, i);

		if (r == NULL)
			return;
		record_print(take.o->json ? NULL : r, r, summary,
			     sizeof(summary));
		if (take.pc != NULL && take.rc == EXIT_OK &&
		    pcapng_record(take.pc, r, summary) != 0) {
			err_prefix();
			fprintf(stderr, "pcap: %s\n", strerror(errno));
			take.rc = EXIT_SERVER;
		}
		take.n++;
	}
	jint(res, "matched", 0);
	jint(res, "lost", 0);
	jbool(res, "done");
}

/* The records of a trace.read or trace.stop reply, printed unless the
 * reply is not what dplbd sends. */
static int
records_print(const char *method, json_object *res)
{
	int rc = print_checked(method, records_take, res);

	return rc != EXIT_OK ? rc : take.rc;
}

static const struct {
	const char *opt, *param;
} filters[] = {
	{ "--count", "count" }, { "--dev", "dev" }, { "--addr", "addr" },
	{ "--port", "l4port" }, { "--proto", "proto" },
};

/* The options into trace.start's params, *wait and *pcap. */
static int
parse_args(const struct command *cmd, int argc, char **argv, json_object *p,
	   double *wait, const char **pcap)
{
	int i;
	size_t k;

	for (i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return usage_error(cmd, "%s needs a value", argv[i]);
		if (strcmp(argv[i], "--wait") == 0) {
			char *end;

			*wait = strtod(argv[i + 1], &end);
			if (*end != '\0' || *wait < 0)
				return usage_error(cmd, "--wait: '%s' is not "
						   "seconds", argv[i + 1]);
			continue;
		}
		if (strcmp(argv[i], "--pcap") == 0) {
			*pcap = argv[i + 1];
			continue;
		}
		for (k = 0; k < sizeof(filters) / sizeof(filters[0]); k++)
			if (strcmp(argv[i], filters[k].opt) == 0)
				break;
		if (k == sizeof(filters) / sizeof(filters[0]))
			return usage_error(cmd, "unknown option '%s'", argv[i]);
		if (json_object_object_get_ex(p, filters[k].param, NULL))
			return usage_error(cmd, "%s given twice", argv[i]);
		if (strcmp(filters[k].param, "count") == 0 ||
		    strcmp(filters[k].param, "l4port") == 0) {
			char *end;
			long long v = strtoll(argv[i + 1], &end, 10);

			if (*end != '\0' || argv[i + 1][0] == '\0')
				return usage_error(cmd, "%s: '%s' is not a "
						   "number", argv[i],
						   argv[i + 1]);
			json_object_object_add(p, filters[k].param,
					       json_object_new_int64(v));
		} else {
			params_add(p, filters[k].param, argv[i + 1]);
		}
	}
	return EXIT_OK;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read records until the trace is done, the wait is over or a signal. */
static int
trace_loop(const struct opts *o, double wait)
{
	double deadline = now_s() + wait;
	struct timespec pause = { 0, POLL_MS * 1000000L };
	json_object *res;
	int rc;

	while (!interrupted) {
		json_object *p = params_new();

		json_object_object_add(p, "max", json_object_new_int(1000));
		if ((rc = ctl_call(o, "trace.read", p, &res)) != EXIT_OK)
			return rc;
		rc = records_print("trace.read", res);
		if (rc != EXIT_OK || jbool(res, "done")) {
			json_object_put(res);
			return rc;
		}
		json_object_put(res);
		if (wait > 0 && now_s() >= deadline)
			break;
		nanosleep(&pause, NULL);
	}
	return EXIT_OK;
}

static int
run(const struct opts *o, int argc, char **argv)
{
	json_object *p, *res = NULL;
	struct pcapng *pc = NULL;
	const char *pcap = NULL;
	double wait = 10;
	int rc, rc2;

	if (wants_help(&cmd_trace, argc, argv))
		return EXIT_OK;
	p = params_new();
	if ((rc = parse_args(&cmd_trace, argc, argv, p, &wait, &pcap)) !=
	    EXIT_OK) {
		json_object_put(p);
		return rc;
	}
	if (pcap != NULL && (pc = pcapng_open(pcap)) == NULL) {
		json_object_put(p);
		err_prefix();
		fprintf(stderr, "%s: %s\n", pcap, strerror(errno));
		return EXIT_USAGE;
	}
	if ((rc = ctl_call(o, "trace.start", p, &res)) != EXIT_OK) {
		pcapng_close(pc);
		return rc;
	}
	if (!o->json)
		printf("tracing %lld packets on %lld workers\n",
		       jint(res, "count", 0), jint(res, "workers", 0));
	fflush(stdout);
	json_object_put(res);
	take.o = o;
	take.pc = pc;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = trace_loop(o, wait);
	/* Stop in any case, so the workers are disarmed; the reply
	 * carries the records not read yet. */
	rc2 = ctl_call(o, "trace.stop", NULL, &res);
	if (rc2 == EXIT_OK) {
		if (rc == EXIT_OK)
			rc = records_print("trace.stop", res);
		if (rc == EXIT_OK && !o->json)
			printf("%lld packets traced, %lld matched, %lld "
			       "lost\n", take.n, jint(res, "matched", 0),
			       jint(res, "lost", 0));
		json_object_put(res);
	}
	if (pcapng_close(pc) != 0 && rc == EXIT_OK) {
		err_prefix();
		fprintf(stderr, "%s: %s\n", pcap, strerror(errno));
		rc = EXIT_SERVER;
	}
	return rc != EXIT_OK ? rc : rc2;
}

const struct command cmd_trace = {
	"trace", run,
	"Usage: dplbctl trace [OPTION VALUE]...\n"
	"Trace the next packets matching every option given, in dplbd's\n"
	"workers, and print each one's path stage by stage.\n"
	"  --count N              packets to trace (default 10, at most 100000)\n"
	"  --dev PORT             received on this dplb port\n"
	"  --addr ADDR            from or to this IPv4 address\n"
	"  --port N               TCP or UDP, from or to this port\n"
	"  --proto tcp|udp|icmp   of this protocol\n"
	"  --wait SEC             stop after SEC seconds (default 10, 0: no limit)\n"
	"  --pcap FILE            also write the frames to FILE (pcapng)\n"
	"With --json, each packet is one line of JSON (trace.read's record).\n",
	"trace packets through the dataplane (stages, pcapng)",
};
