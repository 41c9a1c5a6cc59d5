/*
 * Scoring throughput: parse a JSON response, validate it, score it, encode the
 * JSON answer (the whole `keta score` path without process start-up), per
 * instrument. Prints requests per second and nanoseconds per request.
 * Usage: bench_score [SECONDS_PER_INSTRUMENT]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keta/instruments.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const struct {
    const char *id;
    const char *input;
} requests[] = {
    {"phq9", "{\"items\":[1,2,1,0,3,1,2,1,1]}"},
    {"gad7", "{\"items\":[1,2,1,0,3,1,2]}"},
    {"pcl5", "{\"items\":[2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2]}"},
    {"qids_sr16", "{\"items\":[2,1,0,3,2,1,0,2,0,2,1,1,2,3,1,2]}"},
    {"hamd17", "{\"items\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}"},
    {"madrs", "{\"items\":[3,3,3,3,3,3,3,3,3,1]}"},
    {"cssrs_screen", "{\"items\":[1,1,1,0,0,1,1]}"},
    {"cadss", "{\"items\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}"},
    {"bprs", "{\"items\":[1,2,1,2,1,2,1,2,1,2,1,2,1,2,1,2,1,2]}"},
    {"ybocs", "{\"items\":[1,2,3,4,0,1,2,3,4,0]}"},
};

int main(int argc, char **argv)
{
    double seconds = 0.5;
    if (argc > 1) {
        char *end;
        errno = 0;
        seconds = strtod(argv[1], &end);
        if (errno != 0 || *end != '\0' || seconds <= 0 || seconds > 60) {
            fprintf(stderr, "usage: bench_score [SECONDS 0-60]\n");
            return 2;
        }
    }
    printf("%-13s %12s %10s\n", "instrument", "requests/s", "ns/request");
    for (size_t r = 0; r < sizeof requests / sizeof requests[0]; r++) {
        size_t len = strlen(requests[r].input);
        long n = 0;
        double t0 = now_s(), t1;
        do {
            for (int i = 0; i < 1000; i++) {
                json_t *out;
                keta_error err;
                if (keta_score_text(requests[r].id, requests[r].input, len, &out, &err) !=
                    KETA_OK) {
                    fprintf(stderr, "%s: %s\n", requests[r].id, err.message);
                    return 1;
                }
                char *text = keta_json_dump(out, false);
                keta_free(text);
                json_decref(out);
            }
            n += 1000;
            t1 = now_s();
        } while (t1 - t0 < seconds);
        printf("%-13s %12.0f %10.0f\n", requests[r].id, (double)n / (t1 - t0),
               (t1 - t0) / (double)n * 1e9);
    }
    return 0;
}
