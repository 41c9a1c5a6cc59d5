/* keta popsim: virtual populations (src/popsim), with a progress bar on a terminal. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "keta/popsim.h"

/* The progress bar: drawn on stderr when it is a terminal and the run has lasted 0.5 s. */
typedef struct progress_bar {
    bool tty, drawn;
    double start_s, last_s;
} progress_bar;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void draw(size_t done, size_t total, void *user)
{
    progress_bar *b = user;
    double t = now_s();
    if (!b->tty || t - b->start_s < 0.5 || (t - b->last_s < 0.1 && done < total))
        return;
    b->last_s = t;
    b->drawn = true;
    int width = 30, filled = (int)((double)width * (double)done / (double)total);
    double rate = (double)done / (t - b->start_s),
           left = rate > 0 ? (double)(total - done) / rate : 0;
    fprintf(stderr, "\rketa popsim: [%.*s%*s] %3d%% %zu/%zu patients, %.0f s left ", filled,
            "##############################", width - filled, "",
            (int)(100.0 * (double)done / (double)total), done, total, left);
    fflush(stderr);
}

int keta_cmd_popsim(int argc, char **argv)
{
    const keta_cmd *self = keta_cli_find("popsim");
    int pretty = 0;
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--pretty") == 0) {
            pretty = 1;
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            threads = strtol(argv[++i], &end, 10);
            if (errno != 0 || *end != '\0' || threads < 1 || threads > KETA_POPSIM_MAX_THREADS)
                return keta_cli_usage(self);
        } else {
            return keta_cli_usage(self);
        }
    }
    if (threads < 1)
        threads = 1;
    if (threads > KETA_POPSIM_MAX_THREADS)
        threads = KETA_POPSIM_MAX_THREADS;
    keta_error err;
    keta_error_clear(&err);
    keta_buf in;
    json_t *out = NULL;
    progress_bar bar = {isatty(STDERR_FILENO) == 1, false, now_s(), 0};
    keta_err rc = keta_cli_read_stdin(&in, KETA_JSON_MAX_BYTES, &err);
    if (rc == KETA_OK)
        rc = keta_popsim_text(keta_buf_str(&in), in.len, (int)threads, draw, &bar, &out, &err);
    if (bar.drawn)
        fprintf(stderr, "\rketa popsim: done in %.1f s%40s\n", now_s() - bar.start_s, "");
    int code = rc != KETA_OK ? keta_cli_fail("popsim", rc, &err)
                             : keta_cli_print_json("popsim", out, pretty);
    json_decref(out);
    keta_buf_free(&in);
    return code;
}
