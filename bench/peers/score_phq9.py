# What a clinic analyst would otherwise write: PHQ-9 from JSON in Python (sum, band, item 9),
# with json.loads and json.dumps, timed the same way as bench_score's phq9 line.
import json, sys, time

def score(text):
    items = json.loads(text)["items"]
    if len(items) != 9 or any(not isinstance(v, int) or v < 0 or v > 3 for v in items):
        raise ValueError("bad items")
    total = sum(items)
    band = ("minimal" if total < 5 else "mild" if total < 10 else "moderate" if total < 15
            else "moderately_severe" if total < 20 else "severe")
    alerts = [{"code": "suicidal_ideation", "item": 9, "value": items[8]}] if items[8] > 0 else []
    return json.dumps({"instrument": "phq9", "total": total, "severity": band, "alerts": alerts})

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
