/* The error table and error detail (STYLE rule 3). */
#include <stdio.h>
#include <string.h>

#include "keta/core.h"

static const char *const err_messages[] = {
#define KETA__ERR_MSG(name, msg) msg,
    KETA_ERRNO_MAP(KETA__ERR_MSG)
#undef KETA__ERR_MSG
};

static const char *const err_names[] = {
#define KETA__ERR_NAME(name, msg) "KETA_" #name,
    KETA_ERRNO_MAP(KETA__ERR_NAME)
#undef KETA__ERR_NAME
};

const char *keta_strerror(keta_err code)
{
    if ((unsigned)code >= (unsigned)KETA_ERR_COUNT)
        return "unknown error";
    return err_messages[code];
}

const char *keta_errname(keta_err code)
{
    if ((unsigned)code >= (unsigned)KETA_ERR_COUNT)
        return "KETA_EUNKNOWN";
    return err_names[code];
}

void keta_error_clear(keta_error *err)
{
    if (err == NULL)
        return;
    err->code = KETA_OK;
    err->field[0] = '\0';
    err->message[0] = '\0';
}

keta_err keta_error_set(keta_error *err, keta_err code, const char *field, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    err->code = code;
    /* snprintf truncates safely; a cut field path or message is still readable. */
    (void)snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        (void)vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    } else {
        (void)snprintf(err->message, sizeof err->message, "%s", keta_strerror(code));
    }
    return code;
}
