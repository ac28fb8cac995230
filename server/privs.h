/*
 * privs.h - sztpd's privileges (issue 9): started as root, it binds its
 * port, reads its keys and opens the registry, then runs as the
 * configured `user` (and `group`) for good; it refuses to stay root
 * unless `allow-root = yes`.  Started as another user, nothing changes.
 */
#ifndef SZTPD_PRIVS_H
#define SZTPD_PRIVS_H

#include <sys/types.h>

#include "config.h"
#include "result.h"

struct privs {
	int drop;      /* root now, and switching to uid/gid */
	int stay_root; /* root, allow-root = yes and no user */
	uid_t uid;
	gid_t gid;
	char user[64];	/* for messages and initgroups */
	char group[64]; /* for messages */
};

/* Decide what start-up will do from cfg and who runs it: SZTP_E_PERM
 * when root without `user` or `allow-root`, SZTP_E_NOT_FOUND for a user
 * or group that does not exist, SZTP_E_INVALID_VALUE for user root or
 * group root, or `group` without `user`.  Messages say what to set. */
sztp_rc privs_plan(const struct config *cfg, struct privs *p, struct sztp_err *e);

/* Before reg_open, when p->drop: the registry file and its -wal and -shm
 * (those that exist) must belong to the user, or it cannot write them
 * after the drop.  SQLite, run by root, gives new -wal/-shm files the
 * owner of the database file, so a missing database is created here,
 * empty (mode 0600), owned by the user.  Files are opened without
 * following symbolic links and refused unless regular with one link,
 * then changed with fchown.  With check != 0 nothing is created or
 * changed: a line on stdout says what start-up would do, and
 * *pending = 1 tells that the database is not the user's yet. */
sztp_rc privs_prepare_db(const struct privs *p, const char *db, int check, int *pending,
			 struct sztp_err *e);

/* Become p's user for good: supplementary groups (initgroups), gid, uid
 * (real, effective and saved); verified: every id is the new one and
 * setuid(0)/setgid(0) fail.  All threads switch (glibc applies set*id
 * process-wide).  No-op unless p->drop. */
sztp_rc privs_drop(const struct privs *p, struct sztp_err *e);

/* no_new_privs (nothing sztpd could exec gains privileges).  Per thread
 * and inherited: call it before any thread starts. */
sztp_rc privs_no_new_privs(struct sztp_err *e);

#endif
