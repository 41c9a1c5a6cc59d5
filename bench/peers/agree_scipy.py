# Agreement check for bench_pk_course: integrates the reference course with scipy LSODA at
# tight tolerances (rtol 1e-10) and compares keta's Cp and Ce grid with it wherever Cp > 0.01
# ng/mL. Usage: agree_scipy.py KETA_GRID_CSV
import sys
import numpy as np
from scipy.integrate import solve_ivp

W = 70.0; V1 = 0.063 * W; k10, k12, k13, k21, k31 = 0.438, 0.592, 0.590, 0.247, 0.0146
ke0 = 0.114; days = [0, 2, 4, 7, 9, 11]; dose = 0.5 * W; dur = 40.0; end = 30 * 1440.0
edges = sorted(set([0.0, end] + [d * 1440.0 for d in days] + [d * 1440.0 + dur for d in days]))

def f(t, a, r):
    a1, a2, a3, ce = a
    return [r - (k10 + k12 + k13) * a1 + k21 * a2 + k31 * a3, k12 * a1 - k21 * a2,
            k13 * a1 - k31 * a3, ke0 * (a1 / V1 - ce)]

grid = np.arange(0, end + 1, 1.0)
y = np.zeros(4); cp = np.empty_like(grid); ce = np.empty_like(grid)
for s, e in zip(edges[:-1], edges[1:]):
    r = sum(dose / dur for d in days if d * 1440.0 <= s < d * 1440.0 + dur)
    sel = (grid >= s) & ((grid < e) if e < end else (grid <= e))
    sol = solve_ivp(f, (s, e), y, method="LSODA", t_eval=np.append(grid[sel], e) if grid[sel][-1] != e else grid[sel],
                    args=(r,), rtol=1e-10, atol=1e-14)
    n = sel.sum()
    cp[sel] = sol.y[0][:n] / V1 * 1000.0; ce[sel] = sol.y[3][:n] * 1000.0
    y = sol.y[:, -1]

keta = np.loadtxt(sys.argv[1], delimiter=",")
mask = cp > 0.01
rel_cp = np.max(np.abs(keta[mask, 0] - cp[mask]) / cp[mask])
rel_ce = np.max(np.abs(keta[mask, 1] - ce[mask]) / np.maximum(ce[mask], 1e-300))
print(f"agreement with scipy LSODA (rtol 1e-10) where Cp > 0.01 ng/mL ({mask.sum()} points): "
      f"max relative difference Cp {rel_cp:.2e}, Ce {rel_ce:.2e}")
