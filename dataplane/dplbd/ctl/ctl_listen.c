/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl_listen: make the control socket's file with the right mode and
 * group without following a symlink (ctl_listen_priv.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_listen_priv.h"
#include "log.h"

#define CTL_BACKLOG 128
#define SUN_PATH_LEN sizeof(((struct sockaddr_un *)0)->sun_path)
#define PRIVATE_NAME "/.dplbd-XXXXXX"	/* the private directory */
#define SOCK_NAME "s"			/* the socket inside it */
#define PRIVATE_SOCK "/" SOCK_NAME

/* mkdir -p of the directory part of path, new levels 0755. */
static int
mkdir_parents(const char *path)
{
	char dir[SUN_PATH_LEN];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Remove a socket left behind by a dead dplbd, but never the socket of
 * a live one (we probe it with connect) and never a non-socket file (a
 * symlink included: lstat does not follow it).
 */
static int
remove_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, rc;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (rc == 0 || errno == EAGAIN)
		return -EADDRINUSE;
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* The gid of socket_group; *step tells the fix when there is none. */
static int
group_gid(const char *group, gid_t *gid, const char **step)
{
	static char unknown[128];
	struct group *gr;

	errno = 0;
	gr = getgrnam(group);
	if (gr == NULL && errno == 0) {
		/* The usual cause on a machine set up by hand: say the fix. */
		snprintf(unknown, sizeof(unknown), "socket_group: there is no "
			 "group '%s' (groupadd -r %s, or socket_group = \"\")",
			 group, group);
		*step = unknown;
		return -ENOENT;
	}
	*step = "looking up socket_group";
	if (gr == NULL)
		return -errno;
	*gid = gr->gr_gid;
	return 0;
}

/* bind with the umask that gives the socket's mode exactly. */
static int
bind_mode(int fd, const char *path, mode_t mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old_umask;
	int rc;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	old_umask = umask(~mode & 0777);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_umask);
	return rc < 0 ? -errno : 0;
}

/* rename without replacing what someone put there since remove_stale. */
static int
rename_into_place(int dfd, const char *path)
{
	if (renameat2(dfd, SOCK_NAME, AT_FDCWD, path,
		      RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* a file system without RENAME_NOREPLACE */
	return renameat(dfd, SOCK_NAME, AT_FDCWD, path) < 0 ? -errno : 0;
}

/*
 * Bind in a fresh directory next to path that only we can write to,
 * set the group there (through the directory's fd, not following a
 * link), then rename the socket into place.
 */
static int
bind_private(int fd, const char *path, mode_t mode, gid_t gid,
	     struct ctl_sock_id *id, const char **step)
{
	char dir[SUN_PATH_LEN], sock[SUN_PATH_LEN + sizeof(PRIVATE_SOCK)];
	const char *slash = strrchr(path, '/');
	struct stat st;
	int dfd, rc;

	*step = "making a private directory beside it";
	if (slash == NULL)
		rc = snprintf(dir, sizeof(dir), "." PRIVATE_NAME);
	else
		rc = snprintf(dir, sizeof(dir), "%.*s" PRIVATE_NAME,
			      (int)(slash - path), path);
	if (rc < 0 || (size_t)rc + strlen(PRIVATE_SOCK) >= SUN_PATH_LEN)
		return -ENAMETOOLONG;
	if (mkdtemp(dir) == NULL)
		return -errno;
	snprintf(sock, sizeof(sock), "%s" PRIVATE_SOCK, dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	rc = dfd < 0 ? -errno : 0;
	/* still the directory mkdtemp made, 0700 and ours */
	if (rc == 0 && (fstat(dfd, &st) < 0 || st.st_uid != geteuid() ||
			(st.st_mode & 077) != 0))
		rc = -EPERM;
	if (rc == 0) {
		*step = "bind";
		rc = bind_mode(fd, sock, mode);
	}
	if (rc == 0) {
		*step = "setting the group (socket_group)";
		if (fstatat(dfd, SOCK_NAME, &st, AT_SYMLINK_NOFOLLOW) < 0)
			rc = -errno;
		else if (!S_ISSOCK(st.st_mode))
			rc = -EPERM;
		else if (fchownat(dfd, SOCK_NAME, (uid_t)-1, gid,
				  AT_SYMLINK_NOFOLLOW) < 0)
			rc = -errno;
	}
	if (rc == 0) {
		*step = "renaming it into place";
		rc = rename_into_place(dfd, path);
	}
	if (rc == 0) {
		id->dev = st.st_dev;
		id->ino = st.st_ino;
	} else if (dfd >= 0) {
		unlinkat(dfd, SOCK_NAME, 0);
	}
	if (dfd >= 0)
		close(dfd);
	rmdir(dir);
	return rc;
}

/* Any permission beyond rw for owner and group is worth a word. */
static void
warn_wide_mode(const char *path, mode_t mode)
{
	if ((mode & ~(mode_t)0660) == 0)
		return;
	LOG_WARN("control socket %s: socket_mode %04o is wider than 0660%s",
		 path, (unsigned int)mode,
		 (mode & 0007) ? ": every local user may control dplbd" : "");
}

static int
listen_open(int fd, const char *path, mode_t mode, const char *group,
	    struct ctl_sock_id *id, const char **step)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	gid_t gid;
	int rc;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	*step = "creating its directory";
	rc = mkdir_parents(path);
	if (rc < 0)
		return rc;
	*step = "removing a stale socket";
	rc = remove_stale(&sa);
	if (rc < 0)
		return rc;
	/* the file bind creates takes the socket's mode, less the umask */
	*step = "fchmod";
	if (fchmod(fd, mode) < 0)
		return -errno;
	if (group != NULL && group[0] != '\0') {
		rc = group_gid(group, &gid, step);
		if (rc == 0)
			rc = bind_private(fd, path, mode, gid, id, step);
	} else {
		*step = "bind";
		rc = bind_mode(fd, path, mode);
		/* lstat: the identity of what we made, never a link's target */
		if (rc == 0 && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
			id->dev = st.st_dev;
			id->ino = st.st_ino;
		}
	}
	if (rc < 0)
		return rc;
	*step = "listen";
	if (listen(fd, CTL_BACKLOG) < 0)
		return -errno;
	return 0;
}

int
ctl_listen_open(const char *path, mode_t mode, const char *group,
		struct ctl_sock_id *id, const char **step)
{
	int fd, rc;

	memset(id, 0, sizeof(*id));
	warn_wide_mode(path, mode);
	*step = "socket";
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	rc = listen_open(fd, path, mode, group, id, step);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

void
ctl_listen_unlink(const char *path, const struct ctl_sock_id *id)
{
	struct stat st;

	/* only our own inode: a newer dplbd may own the path now */
	if (id->ino != 0 && lstat(path, &st) == 0 && st.st_dev == id->dev &&
	    st.st_ino == id->ino)
		unlink(path);
}
