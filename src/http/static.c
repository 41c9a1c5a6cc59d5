/*
 * Static files from the web directory. The path is walked one segment at a time with
 * openat(O_NOFOLLOW) from a descriptor of the root opened at start, so neither "..", an
 * encoded "%2e%2e", nor a symbolic link (inside the tree or pointing out of it) can reach a
 * file outside it; hidden names and unknown types are not served.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {"html", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"txt", "text/plain; charset=utf-8"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"ico", "image/x-icon"},
    {"woff2", "font/woff2"},
};

const char *keta__http_static_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot == NULL || dot == name)
        return NULL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot + 1, types[i].ext) == 0)
            return types[i].type;
    return NULL;
}

/* A segment keta serves: 1-255 bytes of [A-Za-z0-9._-], not starting with '.'. */
static bool plain_segment(const char *s, size_t n)
{
    if (n == 0 || n > 255 || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_'))
            return false;
    }
    return true;
}

static void not_found(keta_http_reply *reply)
{
    keta__http_reply_error(reply, 404, "KETA_ENOTFOUND", NULL, "no such file");
}

void keta__http_static(int root_fd, const char *path, size_t max, keta_http_reply *reply)
{
    char name[256] = "index.html";
    int dir = root_fd, fd = -1;
    unsigned depth = 0;
    struct stat st;
    const char *p = path;
    if (p[0] != '/')
        goto fail;
    for (;;) {
        const char *seg = p + 1;
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n == 0 && end == NULL)
            break; /* a path ending in '/': its index.html */
        if (!plain_segment(seg, n) || ++depth > KETA_HTTP_MAX_SEGMENTS)
            goto fail;
        memcpy(name, seg, n);
        name[n] = '\0';
        if (end == NULL) {
            fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
            if (fd < 0)
                goto fail;
            break;
        }
        int next = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir != root_fd)
            (void)close(dir);
        dir = next;
        if (dir < 0)
            goto fail;
        p = end;
    }
    if (fd < 0) {
        (void)snprintf(name, sizeof name, "index.html");
        fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            goto fail;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max)
        goto fail; /* a directory named without its '/' is not served either */
    const char *type = keta__http_static_type(name);
    if (type == NULL)
        goto fail;
    reply->status = 200;
    reply->content_type = type;
    reply->cache_control = "no-cache";
    reply->fd = fd;
    reply->fd_size = (uint64_t)st.st_size;
    if (dir != root_fd && dir >= 0)
        (void)close(dir);
    return;
fail:
    if (fd >= 0)
        (void)close(fd);
    if (dir != root_fd && dir >= 0)
        (void)close(dir);
    not_found(reply);
}
