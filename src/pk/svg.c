/*
 * A self-contained SVG plot of a `keta pk simulate` answer: Cp, Ce and the
 * metabolites against time, with axes in their units and a legend. Everything
 * goes through one bounded buffer (KETA_PK_SVG_MAX_BYTES); a long series is
 * reduced to KETA_PK_SVG_MAX_POINTS per line by keeping the lowest and highest
 * value of each bucket of points, so peaks and troughs survive.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

#define WIDTH   800.0
#define HEIGHT  460.0
#define LEFT    78.0
#define RIGHT   24.0
#define TOP     40.0
#define BOTTOM  58.0
#define PLOT_W  (WIDTH - LEFT - RIGHT)
#define PLOT_H  (HEIGHT - TOP - BOTTOM)
#define N_LINES 4

typedef struct line_style {
    const char *key;   /* member of the answer holding the values */
    const char *label; /* legend text when name_key is absent */
    const char *name_key;
    const char *colour, *dash;
} line_style;

static const line_style lines[N_LINES] = {
    {"cp_ng_per_ml", "Cp (plasma)", NULL, "#1f77b4", ""},
    {"ce_ng_per_ml", "Ce (effect site)", NULL, "#d62728", "6 4"},
    {"metabolite_ng_per_ml", "metabolite", "metabolite", "#2ca02c", ""},
    {"metabolite2_ng_per_ml", "metabolite 2", "metabolite2", "#9467bd", "2 3"},
};

/* A "nice" step (1, 2 or 5 x 10^k) that cuts span into about target pieces. */
static double nice_step(double span, int target)
{
    double raw = span / target, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/* Append s with the five XML special characters escaped. */
static keta_err put_escaped(keta_buf *b, const char *s)
{
    keta_err rc = KETA_OK;
    for (; rc == KETA_OK && s != NULL && *s; s++) {
        switch (*s) {
        case '&':
            rc = keta_buf_puts(b, "&amp;");
            break;
        case '<':
            rc = keta_buf_puts(b, "&lt;");
            break;
        case '>':
            rc = keta_buf_puts(b, "&gt;");
            break;
        case '"':
            rc = keta_buf_puts(b, "&quot;");
            break;
        case '\'':
            rc = keta_buf_puts(b, "&apos;");
            break;
        default:
            /* control characters are not allowed in XML 1.0 text */
            rc = keta_buf_append(b, (unsigned char)*s < 0x20 ? "?" : s, 1);
        }
    }
    return rc;
}

typedef struct axes {
    double t0, t1, tscale; /* tscale: minutes per axis unit (1 or 60) */
    double ymax;
} axes;

static double px(const axes *a, double t_min)
{
    return LEFT + PLOT_W * (t_min - a->t0) / (a->t1 - a->t0);
}

static double py(const axes *a, double c)
{
    c = c < 0 ? 0 : c; /* rounding can leave -1e-18 where the drug is gone */
    return TOP + PLOT_H * (1 - c / a->ymax);
}

static keta_err put_point(keta_buf *b, const axes *a, double t, double c)
{
    return keta_buf_printf(b, "%.2f,%.2f ", px(a, t), py(a, c));
}

/* The polyline of one series, at most KETA_PK_SVG_MAX_POINTS points. */
static keta_err put_series(keta_buf *b, const axes *a, const json_t *t, const json_t *v,
                           const line_style *st)
{
    size_t n = json_array_size(t);
    keta_err rc = keta_buf_printf(b,
                                  "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s%s%s "
                                  "points=\"",
                                  st->colour, st->dash[0] ? " stroke-dasharray=\"" : "", st->dash,
                                  st->dash[0] ? "\"" : "");
    size_t buckets = KETA_PK_SVG_MAX_POINTS / 2;
    if (n <= KETA_PK_SVG_MAX_POINTS) {
        for (size_t i = 0; rc == KETA_OK && i < n; i++)
            rc = put_point(b, a, json_number_value(json_array_get(t, i)),
                           json_number_value(json_array_get(v, i)));
    } else {
        for (size_t k = 0; rc == KETA_OK && k < buckets; k++) {
            size_t lo = n * k / buckets, hi = n * (k + 1) / buckets, imin = lo, imax = lo;
            for (size_t i = lo; i < hi; i++) {
                double c = json_number_value(json_array_get(v, i));
                if (c < json_number_value(json_array_get(v, imin)))
                    imin = i;
                if (c > json_number_value(json_array_get(v, imax)))
                    imax = i;
            }
            size_t first = imin < imax ? imin : imax, second = imin < imax ? imax : imin;
            rc = put_point(b, a, json_number_value(json_array_get(t, first)),
                           json_number_value(json_array_get(v, first)));
            if (rc == KETA_OK && second != first)
                rc = put_point(b, a, json_number_value(json_array_get(t, second)),
                               json_number_value(json_array_get(v, second)));
        }
    }
    if (rc == KETA_OK)
        rc = keta_buf_puts(b, "\"/>\n");
    return rc;
}

static keta_err put_axes(keta_buf *b, const axes *a)
{
    keta_err rc = keta_buf_printf(b,
                                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                                  "fill=\"none\" stroke=\"#444\"/>\n",
                                  LEFT, TOP, PLOT_W, PLOT_H);
    double span = (a->t1 - a->t0) / a->tscale, step = nice_step(span, 8);
    double first = ceil(a->t0 / a->tscale / step) * step;
    for (double u = first; rc == KETA_OK && u <= a->t1 / a->tscale + step * 1e-9; u += step) {
        double x = px(a, u * a->tscale);
        rc = keta_buf_printf(b,
                             "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" "
                             "stroke=\"#ddd\"/>\n<text x=\"%.2f\" y=\"%.1f\" "
                             "text-anchor=\"middle\">%g</text>\n",
                             x, TOP, x, TOP + PLOT_H, x, TOP + PLOT_H + 18, u);
    }
    double ystep = nice_step(a->ymax, 6);
    for (double c = 0; rc == KETA_OK && c <= a->ymax + ystep * 1e-9; c += ystep) {
        double y = py(a, c);
        rc = keta_buf_printf(b,
                             "<line x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" "
                             "stroke=\"#ddd\"/>\n<text x=\"%.1f\" y=\"%.2f\" "
                             "text-anchor=\"end\">%g</text>\n",
                             LEFT, y, LEFT + PLOT_W, y, LEFT - 6, y + 4, c);
    }
    if (rc == KETA_OK)
        rc = keta_buf_printf(b,
                             "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">Time (%s)</text>\n"
                             "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" "
                             "transform=\"rotate(-90 18 %.1f)\">Concentration (ng/mL)</text>\n",
                             LEFT + PLOT_W / 2, HEIGHT - 14, a->tscale == 60 ? "h" : "min",
                             TOP + PLOT_H / 2, TOP + PLOT_H / 2);
    return rc;
}

/* The numbers of the array at key of answer: all finite, same length as n. */
static bool series_ok(const json_t *answer, const char *key, size_t n)
{
    const json_t *v = json_object_get(answer, key);
    if (!json_is_array(v) || json_array_size(v) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(v, i);
        if (!json_is_number(x) || !isfinite(json_number_value(x)))
            return false;
    }
    return true;
}

keta_err keta_pk_svg(const json_t *answer, keta_buf *out, keta_error *err)
{
    keta_buf_init(out, KETA_PK_SVG_MAX_BYTES);
    const json_t *t = json_object_get(answer, "times_min");
    size_t n = json_array_size(t);
    if (n == 0 || !series_ok(answer, "times_min", n) || !series_ok(answer, "cp_ng_per_ml", n) ||
        !series_ok(answer, "ce_ng_per_ml", n))
        return keta_error_set(err, KETA_EINVAL, "", "not a keta pk simulate answer to plot");
    bool present[N_LINES];
    axes a = {json_number_value(json_array_get(t, 0)), json_number_value(json_array_get(t, n - 1)),
              1, 0};
    for (int l = 0; l < N_LINES; l++) {
        present[l] = series_ok(answer, lines[l].key, n);
        const json_t *v = json_object_get(answer, lines[l].key);
        for (size_t i = 0; present[l] && i < n; i++)
            a.ymax = fmax(a.ymax, json_number_value(json_array_get(v, i)));
    }
    if (!(a.t1 > a.t0))
        a.t1 = a.t0 + 1;
    a.tscale = a.t1 - a.t0 > 600 ? 60 : 1; /* past 10 h, hours read better */
    a.ymax = a.ymax > 0 ? a.ymax * 1.05 : 1;
    a.ymax = ceil(a.ymax / nice_step(a.ymax, 6)) * nice_step(a.ymax, 6);

    keta_err rc = keta_buf_printf(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
        "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n"
        "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<text x=\"%.1f\" y=\"24\" "
        "font-size=\"15\">",
        WIDTH, HEIGHT, WIDTH, HEIGHT, LEFT);
    if (rc == KETA_OK)
        rc = put_escaped(out, json_string_value(json_object_get(answer, "model")));
    if (rc == KETA_OK)
        rc = keta_buf_puts(out, " (");
    if (rc == KETA_OK)
        rc = put_escaped(out, json_string_value(json_object_get(answer, "drug")));
    if (rc == KETA_OK)
        rc = keta_buf_puts(out, "): typical-value concentrations</text>\n");
    if (rc == KETA_OK)
        rc = put_axes(out, &a);
    int shown = 0, n_present = 0;
    for (int l = 0; rc == KETA_OK && l < N_LINES; l++) {
        if (present[l]) {
            rc = put_series(out, &a, t, json_object_get(answer, lines[l].key), &lines[l]);
            n_present++;
        }
    }
    /* the legend last, on a white ground, so no line runs through its labels */
    double lx = LEFT + PLOT_W - 190;
    if (rc == KETA_OK)
        rc = keta_buf_printf(out,
                             "<rect x=\"%.1f\" y=\"%.1f\" width=\"184\" height=\"%.1f\" "
                             "fill=\"white\" fill-opacity=\"0.9\" stroke=\"#bbb\"/>\n",
                             lx - 8, TOP + 4, 18.0 * n_present + 6);
    for (int l = 0; rc == KETA_OK && l < N_LINES; l++) {
        if (!present[l])
            continue;
        double ly = TOP + 16 + 18 * shown++;
        rc = keta_buf_printf(out,
                             "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                             "stroke=\"%s\" stroke-width=\"2\"%s%s%s/>\n<text x=\"%.1f\" "
                             "y=\"%.1f\">",
                             lx, ly, lx + 28, ly, lines[l].colour,
                             lines[l].dash[0] ? " stroke-dasharray=\"" : "", lines[l].dash,
                             lines[l].dash[0] ? "\"" : "", lx + 34, ly + 4);
        const json_t *name = lines[l].name_key ? json_object_get(answer, lines[l].name_key) : NULL;
        if (rc == KETA_OK)
            rc = put_escaped(out, json_is_string(name) ? json_string_value(name) : lines[l].label);
        if (rc == KETA_OK)
            rc = keta_buf_puts(out, "</text>\n");
    }
    if (rc == KETA_OK)
        rc = keta_buf_puts(out, "</svg>\n");
    if (rc != KETA_OK) {
        keta_buf_free(out);
        if (rc == KETA_ETOOBIG)
            return keta_error_set(err, rc, "", "the plot exceeds %zu bytes",
                                  (size_t)KETA_PK_SVG_MAX_BYTES);
        return keta_error_set(err, rc, "", "out of memory drawing the plot");
    }
    return KETA_OK;
}
