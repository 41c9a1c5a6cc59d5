/*
 * The stream of one virtual patient: the study's seed and the patient's index mixed into one
 * keta_rng seed (keta/rng.h), so a patient's numbers depend on nothing but (seed, index) and
 * not on which thread draws them.
 */
#include "internal.h"

void popsim__rng_seed(keta_rng *r, uint64_t seed, uint64_t index)
{
    uint64_t x = seed;
    keta_rng_seed(r, keta_splitmix64(&x) ^ (index * 0xd1342543de82ef95u));
}
