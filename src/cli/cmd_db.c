/* keta db (init, migrate, backup, restore) and keta audit (verify). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "keta/service.h"
#include "keta/store.h"

#define AUDIT_PROBLEMS_SHOWN 100

/* Exit status of a failed library call: refused input 1, the database or the machine 3. */
static int db_fail(const char *cmd, keta_err rc, const keta_error *err)
{
    int code = keta_cli_fail(cmd, rc, err);
    if (rc == KETA_EDB || rc == KETA_EBUSY)
        return KETA_EXIT_INTERNAL;
    return code;
}

/* The options every db and audit command takes; returns the operands' index or -1. */
typedef struct db_args {
    const char *db;
    const char *site;
    const char *admin;
    const char *anchor;
} db_args;

/* Which options beyond --db a command takes. */
enum { DB_OPT_INIT = 1, DB_OPT_ANCHOR = 2 };

static int parse_db_args(int argc, char **argv, db_args *a, unsigned which)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"site", required_argument, NULL, 's'},
                                         {"admin", required_argument, NULL, 'a'},
                                         {"anchor", required_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    bool init = (which & DB_OPT_INIT) != 0;
    int c;
    memset(a, 0, sizeof *a);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd')
            a->db = optarg;
        else if (c == 's' && init)
            a->site = optarg;
        else if (c == 'a' && init)
            a->admin = optarg;
        else if (c == 'n' && (which & DB_OPT_ANCHOR) != 0)
            a->anchor = optarg;
        else
            return -1;
    }
    if (a->db == NULL)
        a->db = getenv("KETA_DB");
    return optind;
}

static int need_db(const char *cmd, const db_args *a)
{
    if (a->db == NULL || a->db[0] == '\0') {
        fprintf(stderr, "keta %s: no database: give --db PATH|postgresql://... or set KETA_DB\n",
                cmd);
        return KETA_EXIT_USAGE;
    }
    return KETA_EXIT_OK;
}

static keta_err open_store(const char *db, bool create, keta_store **s, keta_error *err)
{
    keta_store_options o = {.create = create, .pool_size = 1};
    return keta_store_open(db, &o, s, err);
}

/* ---- keta db init / migrate -------------------------------------------------------------------
 */

/* KETA_ECONFLICT when db already holds accounts (a missing or empty database is fine). */
static keta_err check_not_initialised(const char *db, keta_error *err)
{
    keta_store *s;
    keta_error oerr;
    keta_err rc = open_store(db, false, &s, &oerr);
    if (rc == KETA_ENOTFOUND)
        return KETA_OK;
    if (rc != KETA_OK) {
        if (err != NULL)
            *err = oerr;
        return rc;
    }
    int version = 0;
    int64_t users = 0;
    rc = keta_store_schema_version(s, &version, err);
    if (rc == KETA_OK && version > 0) {
        keta_tx *tx;
        rc = keta_store_begin(s, false, &tx, err);
        if (rc == KETA_OK) {
            rc = keta_store_user_count(tx, &users, err);
            keta_tx_rollback(tx);
        }
    }
    keta_store_close(s);
    if (rc == KETA_OK && users > 0)
        rc = keta_error_set(err, KETA_ECONFLICT, "db",
                            "%s is initialised already (schema version %d, %lld account%s); "
                            "`keta db migrate` upgrades it",
                            db, version, (long long)users, users == 1 ? "" : "s");
    return rc;
}

static int db_init(int argc, char **argv)
{
    db_args a;
    int first = parse_db_args(argc, argv, &a, DB_OPT_INIT);
    if (first < 0 || first != argc)
        return keta_cli_usage(keta_cli_find("db"));
    int code = need_db("db init", &a);
    if (code != KETA_EXIT_OK)
        return code;
    keta_error err;
    keta_error_clear(&err);
    keta_store *s = NULL;
    keta_service *svc = NULL;
    json_t *out = NULL;
    char password[KETA_PASSWORD_MAX + 2] = "";
    int from = 0, to = 0;
    keta_actor admin;
    /* Everything that can be refused is refused before the database is created. */
    keta_err rc = check_not_initialised(a.db, &err);
    if (rc == KETA_OK)
        rc = keta_cli_read_password("Password for the first admin account: ", true, password,
                                    sizeof password, &err);
    if (rc == KETA_OK && strlen(password) < KETA_PASSWORD_MIN)
        rc = keta_error_set(&err, KETA_EINVAL, "/password",
                            "a password needs at least %d characters", KETA_PASSWORD_MIN);
    if (rc == KETA_OK)
        rc = open_store(a.db, true, &s, &err);
    if (rc == KETA_OK)
        rc = keta_store_migrate(s, &from, &to, &err);
    if (rc == KETA_OK)
        rc = keta_service_open(s, NULL, &svc, &err);
    if (rc == KETA_OK)
        rc = keta_service_bootstrap(svc, a.site ? a.site : "Main clinic",
                                    a.admin ? a.admin : "admin", password, &admin, &err);
    sodium_memzero(password, sizeof password);
    if (rc != KETA_OK) {
        code = db_fail("db init", rc, &err);
        goto out;
    }
    out = json_pack("{s:s, s:i, s:i, s:I, s:{s:I, s:s, s:s}}", "database",
                    keta_store_kind_name(keta_store_kind_of(s)), "schema_from", from,
                    "schema_version", to, "site_id", (json_int_t)admin.site_id, "admin", "id",
                    (json_int_t)admin.user_id, "username", admin.username, "role", "admin");
    code = out ? keta_cli_print_json("db init", out, 0) : db_fail("db init", KETA_ENOMEM, NULL);
out:
    json_decref(out);
    keta_service_close(svc);
    keta_store_close(s);
    return code;
}

static int db_migrate(int argc, char **argv)
{
    db_args a;
    int first = parse_db_args(argc, argv, &a, 0);
    if (first < 0 || first != argc)
        return keta_cli_usage(keta_cli_find("db"));
    int code = need_db("db migrate", &a);
    if (code != KETA_EXIT_OK)
        return code;
    keta_error err;
    keta_error_clear(&err);
    keta_store *s = NULL;
    int from = 0, to = 0;
    keta_err rc = open_store(a.db, false, &s, &err);
    if (rc == KETA_OK)
        rc = keta_store_migrate(s, &from, &to, &err);
    if (rc != KETA_OK) {
        keta_store_close(s);
        return db_fail("db migrate", rc, &err);
    }
    json_t *out =
        json_pack("{s:s, s:i, s:i}", "database", keta_store_kind_name(keta_store_kind_of(s)),
                  "schema_from", from, "schema_version", to);
    keta_store_close(s);
    code =
        out ? keta_cli_print_json("db migrate", out, 0) : db_fail("db migrate", KETA_ENOMEM, NULL);
    json_decref(out);
    return code;
}

/* ---- audit verification (shared by backup, restore and keta audit verify) ----------------------
 */

typedef struct problems {
    json_t *list;
    int shown;
} problems;

static int collect_problem(void *ctx, const keta_audit_problem *p)
{
    problems *ps = ctx;
    if (ps->shown >= AUDIT_PROBLEMS_SHOWN)
        return 1;
    json_t *o = json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)p->seq, "kind", p->kind, "message",
                          p->message);
    if (o != NULL && json_array_append_new(ps->list, o) == 0)
        ps->shown++;
    return 0;
}

/* Verify s's audit chain into a JSON report. Returns KETA_OK, KETA_EINTEGRITY or a failure. */
static keta_err verify_json(keta_store *s, json_t **report, keta_error *err)
{
    problems ps = {.list = json_array(), .shown = 0};
    keta_audit_report rep;
    *report = NULL;
    if (ps.list == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    keta_err rc = keta_store_audit_verify(s, &rep, collect_problem, &ps, err);
    if (rc != KETA_OK && rc != KETA_EINTEGRITY) {
        json_decref(ps.list);
        return rc;
    }
    *report = json_pack("{s:b, s:I, s:{s:I, s:s}, s:b, s:I, s:o}", "ok", rc == KETA_OK, "entries",
                        (json_int_t)rep.entries, "head", "seq", (json_int_t)rep.head_seq, "hash",
                        rep.head_hash, "protected", rep.protected_log, "problem_count",
                        (json_int_t)rep.problems, "problems", ps.list);
    if (*report == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    return rc;
}

/* An entry to look up for --anchor. */
typedef struct anchor {
    int64_t seq;
    char hash[KETA_HASH_HEX_LEN];
    bool found;
    bool matches;
} anchor;

static int check_anchor(void *ctx, const keta_audit_entry *e)
{
    anchor *an = ctx;
    an->found = e->seq == an->seq;
    an->matches = an->found && strcmp(e->hash, an->hash) == 0;
    return 1;
}

/* Parse SEQ:HASH (as printed in a report's head). */
static bool parse_anchor(const char *text, anchor *an)
{
    char *end;
    errno = 0;
    long long seq = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != ':' || seq < 1)
        return false;
    const char *h = end + 1;
    if (strlen(h) != KETA_HASH_HEX_LEN - 1 || strspn(h, "0123456789abcdef") != strlen(h))
        return false;
    an->seq = seq;
    memcpy(an->hash, h, KETA_HASH_HEX_LEN);
    return true;
}

/* Check that the log still holds the anchored entry unchanged; a finding joins report. */
static keta_err verify_anchor(keta_store *s, anchor *an, json_t *report, keta_error *err)
{
    keta_tx *tx;
    keta_err rc = keta_store_begin(s, false, &tx, err);
    if (rc != KETA_OK)
        return rc;
    rc = keta_store_audit_list(tx, an->seq - 1, 1, check_anchor, an, err);
    keta_tx_rollback(tx);
    if (rc != KETA_OK || an->matches)
        return rc;
    char msg[KETA_TEXT_MAX];
    (void)snprintf(msg, sizeof msg,
                   an->found ? "entry %lld no longer has the anchored hash: the log was rewritten "
                               "from there on"
                             : "the anchored entry %lld is gone: the log was cut back",
                   (long long)an->seq);
    json_t *p =
        json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)an->seq, "kind", "anchor", "message", msg);
    if (p == NULL || json_array_append_new(json_object_get(report, "problems"), p) != 0)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    json_int_t n = json_integer_value(json_object_get(report, "problem_count")) + 1;
    if (json_object_set_new(report, "problem_count", json_integer(n)) != 0 ||
        json_object_set_new(report, "ok", json_false()) != 0)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    return keta_error_set(err, KETA_EINTEGRITY, "anchor", "%s", msg);
}

static int audit_verify(int argc, char **argv)
{
    db_args a;
    int first = parse_db_args(argc, argv, &a, DB_OPT_ANCHOR);
    if (first < 0 || first != argc)
        return keta_cli_usage(keta_cli_find("audit"));
    int code = need_db("audit verify", &a);
    if (code != KETA_EXIT_OK)
        return code;
    anchor an = {0};
    if (a.anchor != NULL && !parse_anchor(a.anchor, &an)) {
        fprintf(stderr, "keta audit verify: --anchor is SEQ:HASH as printed in a report's head "
                        "(e.g. 1842:3f9a...), 64 lowercase hex digits\n");
        return KETA_EXIT_USAGE;
    }
    keta_error err;
    keta_error_clear(&err);
    keta_store *s = NULL;
    json_t *report = NULL;
    keta_err rc = open_store(a.db, false, &s, &err);
    if (rc == KETA_OK)
        rc = verify_json(s, &report, &err);
    if (report != NULL && a.anchor != NULL) {
        keta_error aerr;
        keta_err arc = verify_anchor(s, &an, report, &aerr);
        if (arc != KETA_OK && (rc == KETA_OK || arc != KETA_EINTEGRITY)) {
            rc = arc;
            err = aerr;
        }
    }
    keta_store_close(s);
    if (report == NULL || (rc != KETA_OK && rc != KETA_EINTEGRITY)) {
        json_decref(report);
        return db_fail("audit verify", rc, &err);
    }
    code = keta_cli_print_json("audit verify", report, 0);
    json_decref(report);
    if (code == KETA_EXIT_OK && rc == KETA_EINTEGRITY) {
        fprintf(stderr, "keta audit verify: %s (KETA_EINTEGRITY)\n", err.message);
        code = KETA_EXIT_INPUT;
    }
    return code;
}

int keta_cmd_audit(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "verify") == 0)
        return audit_verify(argc - 1, argv + 1);
    return keta_cli_usage(keta_cli_find("audit"));
}

/* ---- keta db backup / restore ---------------------------------------------------------------- */

static int db_backup(int argc, char **argv)
{
    db_args a;
    int first = parse_db_args(argc, argv, &a, 0);
    if (first < 0 || argc - first != 1)
        return keta_cli_usage(keta_cli_find("db"));
    int code = need_db("db backup", &a);
    if (code != KETA_EXIT_OK)
        return code;
    const char *file = argv[first];
    keta_error err;
    keta_error_clear(&err);
    keta_store *s = NULL;
    keta_err rc = open_store(a.db, false, &s, &err);
    if (rc == KETA_OK)
        rc = keta_store_backup(s, file, &err);
    if (rc != KETA_OK) {
        keta_store_close(s);
        return db_fail("db backup", rc, &err);
    }
    json_t *out = json_pack("{s:s, s:s}", "database", keta_store_kind_name(keta_store_kind_of(s)),
                            "backup", file);
    keta_store_close(s);
    code = out ? keta_cli_print_json("db backup", out, 0) : db_fail("db backup", KETA_ENOMEM, NULL);
    json_decref(out);
    return code;
}

static int db_restore(int argc, char **argv)
{
    db_args a;
    int first = parse_db_args(argc, argv, &a, 0);
    if (first < 0 || argc - first != 1)
        return keta_cli_usage(keta_cli_find("db"));
    int code = need_db("db restore", &a);
    if (code != KETA_EXIT_OK)
        return code;
    const char *file = argv[first];
    keta_error err;
    keta_error_clear(&err);
    keta_store *s = NULL;
    keta_service *svc = NULL;
    json_t *report = NULL, *out = NULL;
    keta_err rc = open_store(a.db, true, &s, &err);
    if (rc == KETA_OK)
        rc = keta_store_restore(s, file, &err);
    /* The restored chain must verify before the restore is called done (clinic.md §6, 19). */
    if (rc == KETA_OK)
        rc = verify_json(s, &report, &err);
    if (rc == KETA_OK)
        rc = keta_service_open(s, NULL, &svc, &err);
    if (rc == KETA_OK) {
        keta_tx *tx;
        keta_audit_entry e = {0};
        keta_time_format(keta_time_now_ms(), e.at);
        (void)snprintf(e.actor, sizeof e.actor, "system");
        (void)snprintf(e.action, sizeof e.action, "db.restore");
        (void)snprintf(e.entity, sizeof e.entity, "database");
        (void)snprintf(e.outcome, sizeof e.outcome, "success");
        (void)snprintf(e.detail, sizeof e.detail, "restored from a backup; audit chain verified");
        rc = keta_store_begin(s, true, &tx, &err);
        if (rc == KETA_OK && (rc = keta_store_audit_append(tx, &e, NULL, &err)) != KETA_OK)
            keta_tx_rollback(tx);
        else if (rc == KETA_OK)
            rc = keta_tx_commit(tx, &err);
    }
    if (rc != KETA_OK) {
        if (report != NULL && rc == KETA_EINTEGRITY)
            (void)keta_cli_print_json("db restore", report, 0);
        code = db_fail("db restore", rc, &err);
        goto out;
    }
    out = json_pack("{s:s, s:s, s:O}", "database", keta_store_kind_name(keta_store_kind_of(s)),
                    "restored_from", file, "audit", report);
    code =
        out ? keta_cli_print_json("db restore", out, 0) : db_fail("db restore", KETA_ENOMEM, NULL);
out:
    json_decref(out);
    json_decref(report);
    keta_service_close(svc);
    keta_store_close(s);
    return code;
}

int keta_cmd_db(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } subs[] = {
        {"init", db_init}, {"migrate", db_migrate}, {"backup", db_backup}, {"restore", db_restore}};
    for (size_t i = 0; argc >= 2 && i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(argv[1], subs[i].name) == 0)
            return subs[i].run(argc - 1, argv + 1);
    return keta_cli_usage(keta_cli_find("db"));
}
