#!/usr/bin/env python3
"""Write one golden case per band edge of every banded instrument.

The bands, item ranges and the QIDS-SR16 total rule below are transcribed from
/work/shared/reference/clinic.md section 2 (table and "Special scoring rules")
and the band names from the issue's contract. They are deliberately NOT read
from the C descriptor table: these cases are the independent check on it.

Usage: python3 tests/golden/tools/gen_band_edges.py [OUTDIR]
Writes OUTDIR/band_<id>_<total>.case (default: tests/golden/instruments).
"""
import os
import sys

# id: (source text, item ranges (lo, hi) per item, bands [(lo, hi, name)], suicide item or 0)
R03 = (0, 3)
INSTRUMENTS = {
    "phq9": (
        "clinic.md §2 table, PHQ-9 bands 0-4/5-9/10-14/15-19/20-27 (LOINC LL382-3)",
        [R03] * 9,
        [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"),
         (15, 19, "moderately_severe"), (20, 27, "severe")],
        9,
    ),
    "gad7": (
        "clinic.md §2 table, GAD-7 cut-offs 5 mild / 10 moderate / 15 severe [V]",
        [R03] * 7,
        [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe")],
        0,
    ),
    "qids_sr16": (
        "clinic.md §2 table and special scoring rules, QIDS-SR16 bands 0-5/6-10/11-15/16-20/21-27 "
        "(Rush 2003; Inquisit, cliot)",
        [R03] * 16,
        [(0, 5, "none"), (6, 10, "mild"), (11, 15, "moderate"), (16, 20, "severe"),
         (21, 27, "very_severe")],
        12,
    ),
    "hamd17": (
        "clinic.md §2 table, HAM-D17 bands 0-7/8-16/17-23/>=24 (Zimmerman 2013); "
        "9 items 0-4, 8 items 0-2",
        # items 1,2,3,7,8,9,10,11,15 are 0-4; items 4,5,6,12,13,14,16,17 are 0-2
        [(0, 4) if i in (1, 2, 3, 7, 8, 9, 10, 11, 15) else (0, 2) for i in range(1, 18)],
        [(0, 7, "normal"), (8, 16, "mild"), (17, 23, "moderate"), (24, 52, "severe")],
        3,
    ),
    "madrs": (
        "clinic.md §2 table, MADRS bands 0-6/7-19/20-34/35-60 (Snaith)",
        [(0, 6)] * 10,
        [(0, 6, "normal"), (7, 19, "mild"), (20, 34, "moderate"), (35, 60, "severe")],
        10,
    ),
    "ybocs": (
        "clinic.md §2 table, Y-BOCS bands 0-7/8-15/16-23/24-31/32-40 [V]",
        [(0, 4)] * 10,
        [(0, 7, "subclinical"), (8, 15, "mild"), (16, 23, "moderate"), (24, 31, "severe"),
         (32, 40, "extreme")],
        0,
    ),
}


def spread(ranges, total, last=0):
    """Item values within ranges summing to total, filled round-robin so values are
    spread out; item `last` (1-based, the suicide item) is only used when needed."""
    order = [i for i in range(len(ranges)) if i + 1 != last]
    if last:
        order.append(last - 1)
    vals = [lo for lo, _ in ranges]
    left = total - sum(vals)
    while left > 0:
        moved = False
        for i in order:
            if left > 0 and vals[i] < ranges[i][1]:
                vals[i] += 1
                left -= 1
                moved = True
        if not moved:
            raise ValueError("total %d not reachable" % total)
    return vals


def qids_items(total):
    """A QIDS-SR16 response whose QIDS total (not the plain sum) is `total`.

    total = max(q1..q4) + q5 + max(q6..q9) + q10 + q11 + q12 + q13 + q14 + max(q15,q16)
    The nine components are spread round-robin (q12, the suicide item, last); inside the
    sleep, appetite/weight and psychomotor groups the non-maximal items are also answered
    so that the plain sum is larger than the total whenever a group is non-zero.
    """
    # component order: sleep, q5, appetite, q10, q11, q13, q14, psychomotor, q12
    names = ["sleep", "q5", "app", "q10", "q11", "q13", "q14", "psy", "q12"]
    comp = dict(zip(names, spread([R03] * 9, total)))
    v = [0] * 17  # 1-based
    s = comp["sleep"]
    v[1], v[2], v[3], v[4] = s, max(s - 1, 0), s, 0       # onset, middle, early waking, hypersomnia
    v[5] = comp["q5"]
    a = comp["app"]
    v[6], v[7], v[8], v[9] = a, 0, max(a - 1, 0), 0        # decreased appetite/weight pair used
    v[10], v[11], v[12], v[13], v[14] = comp["q10"], comp["q11"], comp["q12"], comp["q13"], comp["q14"]
    p = comp["psy"]
    v[15], v[16] = max(p - 1, 0), p
    items = v[1:]
    check = (max(items[0:4]) + items[4] + max(items[5:9]) + sum(items[9:14])
             + max(items[14:16]))
    assert check == total, (total, items)
    return items


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "instruments")
    n = 0
    for ins, (source, ranges, bands, suicide) in INSTRUMENTS.items():
        for lo, hi, name in bands:
            for edge, which in ((lo, "lower"), (hi, "upper")):
                if ins == "qids_sr16":
                    items = qids_items(edge)
                else:
                    items = spread(ranges, edge, suicide)
                    assert sum(items) == edge
                assert all(r[0] <= x <= r[1] for x, r in zip(items, ranges))
                note = ""
                if ins == "qids_sr16":
                    note = " (plain item sum %d; the QIDS total is %d)" % (sum(items), edge)
                path = os.path.join(out, "band_%s_%d.case" % (ins, edge))
                with open(path, "w") as f:
                    f.write("# Generated by tests/golden/tools/gen_band_edges.py; do not edit by hand.\n")
                    f.write("# %s: total %d is the %s edge of band '%s' (%d-%d)%s.\n"
                            % (ins, edge, which, name, lo, hi, note))
                    f.write("source: %s\n" % source)
                    f.write("run: score %s\n" % ins)
                    f.write('input: {"items":[%s]}\n' % ",".join(str(x) for x in items))
                    f.write("expect /complete: true\n")
                    f.write("expect /total: %d\n" % edge)
                    f.write('expect /severity: "%s"\n' % name)
                n += 1
    print("wrote %d band-edge cases to %s" % (n, os.path.normpath(out)))


if __name__ == "__main__":
    main()
