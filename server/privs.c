/*
 * privs.c - dropping root for good after start-up (see privs.h): the
 * plan (who to become, or why not to start), the registry files handed
 * to that user before SQLite opens them, and the switch itself with a
 * check that it cannot be undone.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"
#include "registry.h"

sztp_rc privs_plan(const struct config *cfg, struct privs *p, struct sztp_err *e)
{
	const struct passwd *pw;
	const struct group *gr;
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	memset(p, 0, sizeof(*p));
	if (cfg->group && !cfg->user) {
		sztp_err_set(e, rc, "group = %s needs user = NAME too", cfg->group);
		goto out;
	}
	if (geteuid() != 0) { /* not root: nothing to drop, nothing changes */
		rc = SZTP_OK;
		goto out;
	}
	if (!cfg->user) {
		if (cfg->allow_root) {
			p->stay_root = 1;
			rc = SZTP_OK;
		} else {
			rc = sztp_err_set(
			    e, SZTP_E_PERM,
			    "refusing to run as root: set user = NAME (sztpd binds its port, "
			    "reads its keys and opens the registry as root, then runs as NAME) "
			    "or allow-root = yes");
		}
		goto out;
	}
	errno = 0;
	pw = getpwnam(cfg->user);
	if (!pw) {
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "user = %s: no such user%s%s", cfg->user,
				  errno ? ": " : "", errno ? strerror(errno) : "");
		goto out;
	}
	if (pw->pw_uid == 0) {
		sztp_err_set(e, rc,
			     "user = %s is root: name an unprivileged user (or remove it and set "
			     "allow-root = yes)",
			     cfg->user);
		goto out;
	}
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	snprintf(p->user, sizeof(p->user), "%s", cfg->user);
	if (cfg->group) {
		errno = 0;
		gr = getgrnam(cfg->group);
		if (!gr) {
			rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "group = %s: no such group",
					  cfg->group);
			goto out;
		}
		p->gid = gr->gr_gid;
		snprintf(p->group, sizeof(p->group), "%s", cfg->group);
	} else {
		gr = getgrgid(p->gid);
		snprintf(p->group, sizeof(p->group), "%s", gr ? gr->gr_name : "?");
		if (!gr)
			snprintf(p->group, sizeof(p->group), "%u", (unsigned)p->gid);
	}
	if (p->gid == 0) {
		sztp_err_set(e, rc, "user = %s: group %s is root's group: set group = NAME",
			     cfg->user, p->group);
		goto out;
	}
	p->drop = 1;
	rc = SZTP_OK;
out:
	if (rc != SZTP_OK)
		memset(p, 0, sizeof(*p));
	return rc;
}

/* One registry file: hand it to the user (or say so, in a check). */
static sztp_rc own_file(const struct privs *p, const char *path, int is_db, int check, int *pending,
			struct sztp_err *e)
{
	struct stat st;
	sztp_rc rc = SZTP_E_IO;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (!is_db || check) /* -wal/-shm: SQLite makes them the db's */
			return SZTP_OK;
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return sztp_err_set(e, rc, "database %s: cannot create it: %s", path,
					    strerror(errno));
		log_info("database %s created for user %s", path, p->user);
	}
	if (fd < 0) {
		if (errno == ELOOP)
			return sztp_err_set(e, SZTP_E_PERM,
					    "database file %s is a symbolic link: refusing to give "
					    "it to user %s (name the real file)",
					    path, p->user);
		return sztp_err_set(e, rc, "database file %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0) {
		sztp_err_set(e, rc, "database file %s: %s", path, strerror(errno));
		goto out;
	}
	rc = SZTP_E_PERM;
	if (!S_ISREG(st.st_mode)) {
		sztp_err_set(e, rc, "database file %s is not a regular file", path);
		goto out;
	}
	if (st.st_nlink != 1) {
		sztp_err_set(e, rc,
			     "database file %s has %lu hard links: refusing to give it to user %s",
			     path, (unsigned long)st.st_nlink, p->user);
		goto out;
	}
	rc = SZTP_OK;
	if (st.st_uid == p->uid && st.st_gid == p->gid)
		goto out;
	if (check) {
		printf("sztpd: %s belongs to uid %u: sztpd will give it to %s:%s when it starts\n",
		       path, (unsigned)st.st_uid, p->user, p->group);
		if (is_db)
			*pending = 1;
		goto out;
	}
	if (fchown(fd, p->uid, p->gid) != 0) {
		rc = sztp_err_set(e, SZTP_E_IO, "database file %s: cannot give it to %s:%s: %s",
				  path, p->user, p->group, strerror(errno));
		goto out;
	}
	log_info("database file %s now belongs to %s:%s", path, p->user, p->group);
out:
	close(fd);
	return rc;
}

sztp_rc privs_prepare_db(const struct privs *p, const char *db, int check, int *pending,
			 struct sztp_err *e)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	char path[4096];
	sztp_rc rc = SZTP_OK;
	size_t i;

	*pending = 0;
	if (!p->drop || reg_is_postgresql(db)) /* a URI: no file to own */
		return SZTP_OK;
	for (i = 0; i < 3 && rc == SZTP_OK; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s%s", db, suffix[i]) >= sizeof(path))
			return sztp_err_set(e, SZTP_E_INVALID_VALUE, "database path is too long");
		rc = own_file(p, path, i == 0, check, pending, e);
	}
	return rc;
}

sztp_rc privs_drop(const struct privs *p, struct sztp_err *e)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	sztp_rc rc = SZTP_E_PERM;

	if (!p->drop)
		return SZTP_OK;
	if (initgroups(p->user, p->gid) != 0) {
		sztp_err_set(e, rc, "cannot set the groups of user %s: %s", p->user,
			     strerror(errno));
		goto out;
	}
	if (setresgid(p->gid, p->gid, p->gid) != 0) {
		sztp_err_set(e, rc, "cannot switch to group %s: %s", p->group, strerror(errno));
		goto out;
	}
	if (setresuid(p->uid, p->uid, p->uid) != 0) {
		sztp_err_set(e, rc, "cannot switch to user %s: %s", p->user, strerror(errno));
		goto out;
	}
	/* for good: every id is the new one, and root cannot be had back */
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 || ru != p->uid ||
	    eu != p->uid || su != p->uid || rg != p->gid || eg != p->gid || sg != p->gid) {
		sztp_err_set(e, rc, "after switching to %s:%s the process ids are not all theirs",
			     p->user, p->group);
		goto out;
	}
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1 || setegid(0) != -1) {
		sztp_err_set(e, rc, "after switching to %s, root could be regained", p->user);
		goto out;
	}
	rc = SZTP_OK;
out:
	return rc;
}

sztp_rc privs_no_new_privs(struct sztp_err *e)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return sztp_err_set(e, SZTP_E_PERM, "cannot set no_new_privs: %s", strerror(errno));
	return SZTP_OK;
}
