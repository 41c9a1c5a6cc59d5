/* keta serve: the clinic server (src/http) until SIGTERM or SIGINT. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "keta/http.h"
#include "keta/service.h"
#include "keta/store.h"

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* The URL to print: the listen address with the port actually bound. */
static void print_address(const char *listen, unsigned port)
{
    const char *colon = strrchr(listen, ':');
    int host_len = colon != NULL ? (int)(colon - listen) : 0;
    printf("keta: serving on http://%.*s:%u/ (SIGTERM or Ctrl-C stops it)\n", host_len, listen,
           port);
    (void)fflush(stdout);
}

/*
 * Wait for the in-flight requests to finish, at most drain_s seconds. Returns 0 when they
 * all did, 1 when the deadline passed or a second signal asked to stop now.
 */
static int drain(keta_http_server *srv, const sigset_t *signals, unsigned drain_s)
{
    struct timespec start, now;
    const struct timespec tick = {0, 20000000L}; /* 20 ms */
    (void)clock_gettime(CLOCK_MONOTONIC, &start);
    while (keta_http_server_in_flight(srv) > 0) {
        if (sigtimedwait(signals, NULL, &tick) > 0) {
            fprintf(stderr, "keta serve: second signal: stopping now\n");
            return 1;
        }
        (void)clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= (time_t)drain_s) {
            fprintf(stderr, "keta serve: %u request(s) still running after %u s: stopping\n",
                    keta_http_server_in_flight(srv), drain_s);
            return 1;
        }
    }
    return 0;
}

int keta_cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
                                         {"web", required_argument, NULL, 'w'},
                                         {"threads", required_argument, NULL, 't'},
                                         {"max-connections", required_argument, NULL, 'c'},
                                         {"per-ip", required_argument, NULL, 'i'},
                                         {"timeout", required_argument, NULL, 'o'},
                                         {"drain", required_argument, NULL, 'd'},
                                         {"routes", no_argument, NULL, 'r'},
                                         {"db", required_argument, NULL, 'b'},
                                         {"idle-timeout", required_argument, NULL, 'I'},
                                         {"secure-cookie", no_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    const keta_cmd *self = keta_cli_find("serve");
    keta_http_config cfg;
    keta_http_config_init(&cfg);
    cfg.tables[1] = keta_http_clinic_routes;
    cfg.tables[2] = keta_http_usecase_routes();
    keta_http_clinic_options copt;
    memset(&copt, 0, sizeof copt);
    const char *db = getenv("KETA_DB");
    unsigned drain_s = 10;
    int c, routes = 0, bad = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            cfg.listen = optarg;
            break;
        case 'w':
            cfg.web_dir = optarg;
            break;
        case 't':
            bad |= parse_uint(optarg, 1, 256, &cfg.threads);
            break;
        case 'c':
            bad |= parse_uint(optarg, 1, 65536, &cfg.max_connections);
            break;
        case 'i':
            bad |= parse_uint(optarg, 1, 65536, &cfg.per_ip_connections);
            break;
        case 'o':
            bad |= parse_uint(optarg, 1, 3600, &cfg.timeout_s);
            break;
        case 'd':
            bad |= parse_uint(optarg, 0, 3600, &drain_s);
            break;
        case 'r':
            routes = 1;
            break;
        case 'b':
            db = optarg;
            break;
        case 'I':
            bad |= parse_uint(optarg, 1, 86400, &copt.idle_timeout_s);
            break;
        case 's':
            copt.secure_cookie = true;
            break;
        default:
            bad = 1;
        }
    }
    if (bad || optind != argc)
        return keta_cli_usage(self);
    if (routes) {
        keta_http_print_routes(&cfg, stdout);
        return fflush(stdout) == 0 ? KETA_EXIT_OK : KETA_EXIT_INTERNAL;
    }

    /* Block the stop signals in every thread (the workers inherit this mask); this thread
       takes them with sigwait. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &signals, NULL) != 0) {
        fprintf(stderr, "keta serve: cannot block signals\n");
        return KETA_EXIT_INTERNAL;
    }
    (void)signal(SIGPIPE, SIG_IGN);

    keta_error err;
    keta_error_clear(&err);
    keta_store *store = NULL;
    keta_service *svc = NULL;
    keta_http_clinic *clinic = NULL;
    keta_http_server *srv = NULL;
    keta_err rc = KETA_OK;
    if (db != NULL && db[0] != '\0') {
        /* The clinic: store, service and sessions. Without a database only the engine
           routes answer; the clinic routes answer 401 (no sessions) and login 503. */
        keta_store_options so = {.create = false, .pool_size = 0};
        rc = keta_store_open(db, &so, &store, &err);
        if (rc == KETA_OK)
            rc = keta_service_open(store, NULL, &svc, &err);
        if (rc == KETA_OK)
            rc = keta_http_clinic_open(svc, &copt, &clinic, &err);
        if (rc != KETA_OK) {
            fprintf(stderr, "keta serve: database: %s%s%s\n", err.field, err.field[0] ? ": " : "",
                    err.message[0] ? err.message : keta_strerror(rc));
            keta_service_close(svc);
            keta_store_close(store);
            return rc == KETA_ENOTFOUND || rc == KETA_EINVAL ? KETA_EXIT_USAGE : KETA_EXIT_INTERNAL;
        }
        keta_http_clinic_attach(clinic, &cfg);
    }
    rc = keta_http_server_start(&cfg, &srv, &err);
    if (rc != KETA_OK) {
        fprintf(stderr, "keta serve: %s: %s\n", err.field, err.message);
        keta_http_clinic_close(clinic);
        keta_service_close(svc);
        keta_store_close(store);
        return rc == KETA_EINVAL ? KETA_EXIT_USAGE : KETA_EXIT_INTERNAL;
    }
    print_address(cfg.listen, keta_http_server_port(srv));

    int sig = 0;
    while (sigwait(&signals, &sig) != 0)
        ;
    keta_http_server_quiesce(srv);
    int cut = drain(srv, &signals, drain_s);
    keta_http_server_close(srv);
    keta_http_clinic_close(clinic);
    keta_service_close(svc);
    keta_store_close(store);
    return cut ? KETA_EXIT_INTERNAL : KETA_EXIT_OK;
}
