/* The seeded generator of keta/rng.h: xoshiro256** seeded by splitmix64, Box-Muller normals. */
#include <math.h>

#include "keta/rng.h"

uint64_t keta_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

void keta_rng_seed(keta_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = keta_splitmix64(&seed);
    r->has_spare = false;
    r->spare = 0;
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t keta_rng_next(keta_rng *r)
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

double keta_rng_uniform(keta_rng *r)
{
    return ((double)(keta_rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

double keta_rng_normal(keta_rng *r)
{
    if (r->has_spare) {
        r->has_spare = false;
        return r->spare;
    }
    double u = keta_rng_uniform(r), v = keta_rng_uniform(r);
    double m = sqrt(-2.0 * log(u));
    r->spare = m * sin(2.0 * M_PI * v);
    r->has_spare = true;
    return m * cos(2.0 * M_PI * v);
}
