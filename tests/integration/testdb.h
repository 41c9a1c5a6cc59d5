/*
 * The integration suites' throw-away databases: a temporary SQLite file, or with
 * KETA_TEST_STORE=postgresql a new database on the server the PG* environment names (e.g.
 * inside pg_virtualenv); and one number from a raw query, the database owner's view that
 * bypasses keta. Included by each suite (static functions: one copy per test program).
 */
#ifndef KETA_TESTDB_H
#define KETA_TESTDB_H

#include <dirent.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keta_test.h"

typedef struct keta_testdb {
    bool pg;
    char dir[256];   /* SQLite: the temporary directory */
    char dbname[64]; /* PostgreSQL: the database made for this test */
    char url[320];   /* what keta_store_open gets */
} keta_testdb;

static bool testdb_use_pg(void)
{
    const char *k = getenv("KETA_TEST_STORE");
    return k != NULL && strcmp(k, "postgresql") == 0;
}

/* A new, empty database named after tag (and the process, and a counter). */
static void testdb_make(keta_testdb *db, const char *tag)
{
    static int counter;
    memset(db, 0, sizeof *db);
    db->pg = testdb_use_pg();
    if (db->pg) {
        (void)snprintf(db->dbname, sizeof db->dbname, "keta_%s_%d_%d", tag, (int)getpid(),
                       ++counter);
        char sql[160];
        (void)snprintf(sql, sizeof sql, "CREATE DATABASE %s", db->dbname);
        PGconn *c = PQconnectdb("postgresql://");
        if (PQstatus(c) != CONNECTION_OK)
            fail_msg("PostgreSQL: %s (run inside pg_virtualenv or set PG*)", PQerrorMessage(c));
        PGresult *r = PQexec(c, sql);
        assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
        PQclear(r);
        PQfinish(c);
        (void)snprintf(db->url, sizeof db->url, "postgresql:///%s", db->dbname);
    } else {
        const char *tmp = getenv("TMPDIR");
        (void)snprintf(db->dir, sizeof db->dir, "%s/keta-%s-XXXXXX", tmp ? tmp : "/tmp", tag);
        assert_non_null(mkdtemp(db->dir));
        (void)snprintf(db->url, sizeof db->url, "%s/%s.db", db->dir, tag);
    }
}

/* Drop the database, or remove the directory (it holds only files: the databases, their
   -wal and -shm, backups). */
static void testdb_drop(keta_testdb *db)
{
    if (db->pg) {
        char sql[160];
        (void)snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db->dbname);
        PGconn *c = PQconnectdb("postgresql://");
        PQclear(PQexec(c, sql));
        PQfinish(c);
    } else if (db->dir[0] != '\0') {
        DIR *d = opendir(db->dir);
        assert_non_null(d);
        struct dirent *de;
        char path[600];
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            (void)snprintf(path, sizeof path, "%s/%s", db->dir, de->d_name);
            assert_int_equal(unlink(path), 0);
        }
        closedir(d);
        assert_int_equal(rmdir(db->dir), 0);
    }
}

/* One number from a raw query. */
static long long testdb_count(const keta_testdb *db, const char *sql)
{
    long long n = -1;
    if (db->pg) {
        PGconn *c = PQconnectdb(db->url);
        PGresult *r = PQexec(c, sql);
        assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
        n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        PQfinish(c);
    } else {
        sqlite3 *s;
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_open_v2(db->url, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(s, sql, -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(s);
    }
    return n;
}

#endif
