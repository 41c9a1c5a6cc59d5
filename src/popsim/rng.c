/*
 * The study's random numbers: xoshiro256** (Blackman and Vigna, "Scrambled linear pseudorandom
 * number generators", ACM TOMS 2021), seeded through splitmix64 as its authors recommend, one
 * stream per patient. Written here from the published recurrences; `rand` is banned.
 */
#include <math.h>

#include "internal.h"

uint64_t popsim__splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

void popsim__rng_seed(popsim_rng *r, uint64_t seed, uint64_t index)
{
    uint64_t x = seed;
    x = popsim__splitmix64(&x) ^ (index * 0xd1342543de82ef95u);
    for (int i = 0; i < 4; i++)
        r->s[i] = popsim__splitmix64(&x);
    r->has_spare = false;
    r->spare = 0;
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t popsim__rng_next(popsim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double popsim__rng_uniform(popsim_rng *r)
{
    /* the top 53 bits, centred in their interval: (k + 1/2) / 2^53 */
    return ((double)(popsim__rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

double popsim__rng_normal(popsim_rng *r)
{
    if (r->has_spare) {
        r->has_spare = false;
        return r->spare;
    }
    double u1 = popsim__rng_uniform(r), u2 = popsim__rng_uniform(r);
    double rad = sqrt(-2.0 * log(u1)), th = 2.0 * M_PI * u2;
    r->spare = rad * sin(th);
    r->has_spare = true;
    return rad * cos(th);
}
