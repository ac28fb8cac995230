/*
 * pgtest.h - PostgreSQL databases for the unit tests that run their cases
 * on both registry backends.  tests/run.sh (make test) starts one
 * throw-away PostgreSQL for the whole run (tests/pg.sh) and exports its
 * address as SZTP_TEST_PG ("postgresql://sztp@127.0.0.1:PORT"); each call
 * of pgtest_fresh() creates a new empty database on it and gives its URI,
 * and every database made so is dropped at exit.
 *
 * Without SZTP_TEST_PG (a test binary run by hand) pgtest_fresh() returns
 * NULL and the binary prints that its PostgreSQL half did not run; under
 * tests/run.sh the variable is always set, and a server that cannot be
 * reached is a failure, not a skip.
 */
#ifndef SZTP_PGTEST_H
#define SZTP_PGTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#define PGTEST_MAX 64
static char pgtest_made[PGTEST_MAX][64];
static int pgtest_n;

static inline const char *pgtest_server(void)
{
	const char *s = getenv("SZTP_TEST_PG");

	return s && *s ? s : NULL;
}

/* Runs sql on the server's maintenance database; 0 on success. */
static inline int pgtest_admin(const char *sql)
{
	char uri[512];
	PGconn *c;
	PGresult *res;
	int ok;

	snprintf(uri, sizeof(uri), "%s/postgres", pgtest_server());
	c = PQconnectdb(uri);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pgtest: cannot connect to %s: %s", uri, PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	res = PQexec(c, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "pgtest: %s: %s", sql, PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
	return ok ? 0 : -1;
}

static inline void pgtest_drop_all(void)
{
	char sql[128];
	int i;

	for (i = 0; i < pgtest_n; i++) {
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%.63s\" WITH (FORCE)",
			 pgtest_made[i]);
		pgtest_admin(sql);
	}
	pgtest_n = 0;
}

/* A new empty database named after tag; its URI in uri (cap bytes), or
 * NULL when SZTP_TEST_PG is unset or the server refused. */
static inline const char *pgtest_fresh(const char *tag, char *uri, size_t cap)
{
	char sql[128];

	if (!pgtest_server() || pgtest_n >= PGTEST_MAX)
		return NULL;
	snprintf(pgtest_made[pgtest_n], sizeof(pgtest_made[0]), "t_%s_%ld_%d", tag, (long)getpid(),
		 pgtest_n);
	snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", pgtest_made[pgtest_n]);
	if (pgtest_admin(sql) != 0)
		return NULL;
	if (pgtest_n == 0)
		atexit(pgtest_drop_all);
	snprintf(uri, cap, "%s/%s", pgtest_server(), pgtest_made[pgtest_n]);
	pgtest_n++;
	return uri;
}

/* Runs sql on the database at uri (a test's independent look at what the
 * registry stored, as test_registry does with the sqlite3 tool); the first
 * column of the first row into out ("" when none); 0 on success. */
static inline int pgtest_query(const char *uri, const char *sql, char *out, size_t cap)
{
	PGconn *c = PQconnectdb(uri);
	PGresult *res;
	int ok;

	out[0] = '\0';
	if (PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		return -1;
	}
	res = PQexec(c, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
	if (ok && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
		snprintf(out, cap, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(c);
	return ok ? 0 : -1;
}

#endif
