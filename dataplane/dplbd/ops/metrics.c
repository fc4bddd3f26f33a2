/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * metrics: the HTTP side of the Prometheus endpoint (ops/metrics.h), on
 * libmicrohttpd in its "external select" mode: no thread, MHD_run()
 * from the main loop.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "config/config.h"
#include "core/dp.h"
#include "inet.h"
#include "log.h"
#include "ops/metrics.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define SAMPLE_MS 2000
#define MAX_CONNECTIONS 16
#define CONNECTION_TIMEOUT_S 10

struct metrics_server {
	struct dp_ctx *dp;
	struct MHD_Daemon *mhd;
	uint64_t next_sample_ms;
};

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned int status, const char *type,
      void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
								 mode);
	enum MHD_Result ret;

	if (r == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A short text reply from static memory. */
static enum MHD_Result
reply_text(struct MHD_Connection *conn, unsigned int status, const char *text)
{
	return reply(conn, status, "text/plain; charset=utf-8", (void *)text,
		     strlen(text), MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
	   const char *method, const char *version, const char *upload,
	   size_t *upload_size, void **state)
{
	struct metrics_server *ms = cls;
	struct metrics_text t = { 0 };

	(void)version;
	(void)upload;
	(void)state;
	*upload_size = 0;	/* a body is ignored */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "only GET and HEAD\n");
	if (strcmp(url, "/") == 0)
		return reply_text(conn, MHD_HTTP_OK,
				  "dplbd: Prometheus metrics at /metrics\n");
	if (strcmp(url, "/metrics") != 0)
		return reply_text(conn, MHD_HTTP_NOT_FOUND,
				  "not found: try /metrics\n");
	metrics_render(ms->dp, &t);
	if (t.oom) {
		free(t.buf);
		return MHD_NO;
	}
	return reply(conn, MHD_HTTP_OK, CONTENT_TYPE, t.buf, t.len,
		     MHD_RESPMEM_MUST_FREE);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	LOG_WARN("metrics: %s", line);
}

int
metrics_start(struct dp_ctx *dp, struct metrics_server **out)
{
	const struct dplb_config *cfg = dp->cfg;
	struct sockaddr_storage ss = { 0 };
	struct metrics_server *ms;
	struct inet_addr a;
	unsigned int flags = MHD_USE_ERROR_LOG;

	*out = NULL;
	if (!cfg->metrics_enabled)
		return 0;
	if (inet_addr_parse(cfg->metrics_address, &a) != 0)
		return -EINVAL;	/* the config reader checked it */
	if (a.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = a.v4;
		sin->sin_port = htons(cfg->metrics_port);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = a.v6;
		sin6->sin6_port = htons(cfg->metrics_port);
		flags |= MHD_USE_IPv6;
	}
	ms = calloc(1, sizeof(*ms));
	if (ms == NULL)
		return -ENOMEM;
	ms->dp = dp;
	errno = 0;
	ms->mhd = MHD_start_daemon(flags, cfg->metrics_port, NULL, NULL,
				   on_request, ms,
				   MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				   MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				   MHD_OPTION_CONNECTION_LIMIT,
				   (unsigned int)MAX_CONNECTIONS,
				   MHD_OPTION_CONNECTION_TIMEOUT,
				   (unsigned int)CONNECTION_TIMEOUT_S,
				   MHD_OPTION_END);
	if (ms->mhd == NULL) {
		int err = errno ? errno : EADDRNOTAVAIL;

		LOG_ERR("metrics: cannot listen on %s port %u: %s: change "
			"metrics.address or metrics.port in %s, or stop what "
			"holds it", cfg->metrics_address, cfg->metrics_port,
			strerror(err), cfg->path);
		free(ms);
		return -err;
	}
	LOG_NOTICE("metrics: Prometheus endpoint on http://%s%s%s:%u/metrics",
		   a.family == AF_INET6 ? "[" : "", cfg->metrics_address,
		   a.family == AF_INET6 ? "]" : "", cfg->metrics_port);
	*out = ms;
	return 0;
}

void
metrics_poll(struct metrics_server *ms)
{
	uint64_t now;

	if (ms == NULL)
		return;
	now = dp_now_ms();
	if (now >= ms->next_sample_ms) {
		metrics_sample(ms->dp, now);
		ms->next_sample_ms = now + SAMPLE_MS;
	}
	MHD_run(ms->mhd);
}

void
metrics_stop(struct metrics_server *ms)
{
	if (ms == NULL)
		return;
	MHD_stop_daemon(ms->mhd);
	free(ms);
}
