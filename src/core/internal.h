/* Internal to src/core. */
#ifndef KETA_CORE_INTERNAL_H
#define KETA_CORE_INTERNAL_H

/*
 * How many allocations have failed on this thread so far. Parsers whose
 * out-of-memory reports look like syntax errors (jansson's) are told apart by
 * comparing this before and after the call.
 */
unsigned long keta__alloc_failures(void);

#endif
