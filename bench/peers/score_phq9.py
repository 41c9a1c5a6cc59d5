# What a clinic analyst would otherwise write: PHQ-9 scored from JSON in plain Python, producing
# the same fields as `keta score phq9` (validation, total, band, missing items, item-9 alert with
# its rule and action, the eight symptom areas, LOINC), timed the same way as bench_score.
import json, sys, time

DOMAINS = [("low_mood", 2), ("anhedonia", 1), ("fatigue", 4), ("concentration", 7),
           ("hopelessness", 6), ("suicidal_thoughts", 9), ("sleep", 3), ("appetite", 5)]
BANDS = [(4, "minimal"), (9, "mild"), (14, "moderate"), (19, "moderately_severe"), (27, "severe")]

def score(text):
    req = json.loads(text)
    if set(req) - {"items", "options"} or "items" not in req:
        raise ValueError("unknown or missing field")
    items = req["items"]
    if len(items) not in (9, 10):
        raise ValueError("phq9 takes 9 items")
    for i, v in enumerate(items):
        if v is not None and (type(v) is not int or not 0 <= v <= 3):
            raise ValueError(f"/items/{i + 1}")
    missing = [i + 1 for i, v in enumerate(items[:9]) if v is None]
    total = None if missing else sum(items[:9])
    band = None if total is None else next(name for hi, name in BANDS if total <= hi)
    alerts = []
    if items[8] is not None and items[8] > 0:
        alerts.append({"code": "suicidal_ideation", "item": 9, "value": items[8],
                       "rule": "suicide.phq9_item9_min",
                       "action": "structured suicide risk assessment (C-SSRS screen) before the "
                                 "visit ends and before the next dose"})
    domains = {name: {"value": items[i - 1], "max": 3 if items[i - 1] is not None else None}
               for name, i in DOMAINS}
    return json.dumps({"instrument": "phq9", "instrument_version": "1", "complete": not missing,
                       "total": total, "severity": band, "missing": missing, "alerts": alerts,
                       "domains": domains, "loinc_total": "44261-6"}, separators=(",", ":"))

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
req = '{"items":[1,2,1,0,3,1,2,1,1]}'
n = 0
t0 = time.perf_counter()
while True:
    for _ in range(1000):
        score(req)
    n += 1000
    t1 = time.perf_counter()
    if t1 - t0 >= seconds:
        break
print(f"python3 phq9   {n / (t1 - t0):12.0f} {(t1 - t0) / n * 1e9:10.0f}")
