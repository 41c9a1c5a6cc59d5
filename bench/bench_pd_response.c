/*
 * The response model on popsim's hot path: N patients (random effects drawn here), the
 * reference course (six 0.5 mg/kg infusions on days 0, 2, 4, 7, 9, 11; Domino 70 kg exposure)
 * on an hourly grid over 30 days (721 points), one core. Prints microseconds per patient.
 * Usage: bench_pd_response [PATIENTS]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "keta/pd.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* splitmix64 for the draws (the benchmark's own stream) */
static uint64_t next(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
    long n = 100000;
    if (argc > 1) {
        char *end;
        errno = 0;
        n = strtol(argv[1], &end, 10);
        if (errno != 0 || *end != '\0' || n < 1 || n > 10000000) {
            fprintf(stderr, "usage: bench_pd_response [PATIENTS 1-10000000]\n");
            return 2;
        }
    }
    enum { NT = 30 * 24 + 1 };
    static double times[NT], score[NT];
    for (int i = 0; i < NT; i++)
        times[i] = i * 60.0;
    static const double days[6] = {0, 2, 4, 7, 9, 11};
    keta_pd_exposure s[6];
    for (int i = 0; i < 6; i++)
        s[i] = (keta_pd_exposure){days[i] * 1440.0, 302.0};
    const keta_pd_response_typical *typ = keta_pd_response_typical_params();
    /* draw the etas outside the timed loop (popsim's cost, not the model's) */
    double *etas = malloc(sizeof *etas * (size_t)n * KETA_PD_RESPONSE_N_ETA);
    if (etas == NULL)
        return 3;
    uint64_t seed = 42;
    for (long i = 0; i < n * KETA_PD_RESPONSE_N_ETA; i++)
        etas[i] = ((double)(next(&seed) >> 11) / 9007199254740992.0 - 0.5) * 3.4;
    double sink = 0;
    double t0 = now_s();
    for (long k = 0; k < n; k++) {
        keta_pd_response_params p;
        keta_pd_response_individual(typ, etas + k * KETA_PD_RESPONSE_N_ETA, &p);
        keta_pd_response_simulate(&p, s, 6, times, NT, score, NULL, NULL);
        sink += score[NT - 1];
    }
    double dt = now_s() - t0;
    printf("response model: %ld patients x %d hourly points, six sessions: %.3f s, %.2f us per "
           "patient (checksum %.6g)\n",
           n, NT, dt, 1e6 * dt / (double)n, sink / (double)n);
    free(etas);
    return 0;
}
