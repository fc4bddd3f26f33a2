/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl_listen: the control socket's file, for ctl_server.c only.
 *
 * The socket file is never looked up by name once it exists, so a
 * symlink or another file put in its place (by whoever can write to
 * its directory) is never chmod'ed or chown'ed: the mode comes with the
 * bind (fchmod on the unbound socket), and a group is set while the
 * file still sits in a private directory only dplbd can write to, from
 * which it is renamed into place.
 */
#ifndef DPLB_CTL_LISTEN_PRIV_H
#define DPLB_CTL_LISTEN_PRIV_H

#include <sys/types.h>

/** Identity of the socket file, to unlink it at shutdown only if it is
 * still ours. */
struct ctl_sock_id {
	dev_t dev;
	ino_t ino;
};

/**
 * Create the listening socket at path (making its directory, removing
 * the socket of a dead dplbd but never a live one's or a file that is
 * not a socket) with mode and, when group is not empty, that group.
 * Returns the listening fd, or a negative errno with *step saying what
 * failed.
 */
int ctl_listen_open(const char *path, mode_t mode, const char *group,
		    struct ctl_sock_id *id, const char **step);

/** Unlink path if it is still the file ctl_listen_open() made. */
void ctl_listen_unlink(const char *path, const struct ctl_sock_id *id);

#endif /* DPLB_CTL_LISTEN_PRIV_H */
