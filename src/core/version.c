#include "keta/core.h"

#ifndef KETA_VERSION_STRING
#error "KETA_VERSION_STRING is set by the build"
#endif

const char *keta_version(void)
{
    return KETA_VERSION_STRING;
}
