/*
 * keta/rng.h: the one seeded random-number generator of keta (`rand` is banned).
 *
 * xoshiro256** (Blackman and Vigna, "Scrambled linear pseudorandom number generators",
 * ACM TOMS 2021) with its state filled by splitmix64, as its authors recommend; normal deviates
 * by Box-Muller. Written from the published recurrences. Virtual populations (src/popsim), the
 * response model's trial re-runs and the forecast's posterior draws (src/pd) all use it, so the
 * same seed gives the same numbers everywhere.
 *
 * Ownership: the caller owns the state (no allocation). Thread safety: one state per thread.
 */
#ifndef KETA_RNG_H
#define KETA_RNG_H

#include <stdbool.h>
#include <stdint.h>

/* xoshiro256** state, and the second normal deviate of the last Box-Muller pair. */
typedef struct keta_rng {
    uint64_t s[4];
    bool has_spare;
    double spare;
} keta_rng;

/* The splitmix64 step: advances *x and returns the next output. */
uint64_t keta_splitmix64(uint64_t *x);

/* Fills the state from seed by four splitmix64 steps. */
void keta_rng_seed(keta_rng *r, uint64_t seed);

/* Next 64 bits of xoshiro256**. */
uint64_t keta_rng_next(keta_rng *r);

/* Uniform in (0, 1), never 0 or 1: the top 53 bits, centred in their interval. */
double keta_rng_uniform(keta_rng *r);

/* Standard normal (Box-Muller; the pair's second value is kept for the next call). */
double keta_rng_normal(keta_rng *r);

#endif
