// The web app in a real browser (Debian's chromium via playwright-core) against the demo
// clinic over HTTP on loopback. Every page fails its test on a console or page error it did
// not expect; screenshots go to KETA_ARTIFACTS. Flows whose API routes this server does not
// have yet are skipped with the reason (they run as soon as `keta serve --routes` lists them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startClinic, openPage, login, source } from './harness.mjs';

const routes = execFileSync(process.env.KETA_BIN || join(source, 'build', 'keta'), ['serve', '--routes'], { encoding: 'utf8' });
// Path parameters compared by position only: {id} and {session_id} are the same route.
const norm = (p) => p.replace(/\{[^}]+\}/g, '{}');
const has = (method, pattern) => routes.split('\n').some((l) => {
    const [m, p] = l.split(' ');
    return m === method && norm(p) === norm(pattern);
});
/* false when every route is there; otherwise the reason to skip. */
const needs = (...rs) => {
    const missing = rs.filter((r) => !has(...r.split(' ')));
    return missing.length ? `needs ${missing.join(', ')} (not on this branch yet)` : false;
};


/* Today's in-progress session (the schedule, then each patient's sessions): its id. */
async function inProgressSession() {
    const day = new Date().toISOString().slice(0, 10);
    const sched = (await apiAs('nurse', 'GET', `/api/v1/schedule?date=${day}`)).body.sessions || [];
    const s = sched.find((x) => x.status === 'in_progress');
    if (s) return s.session_id;
    for (const p of clinic.demo.patients) {
        const l = (await apiAs('nurse', 'GET', `/api/v1/patients/${p.id}/sessions`)).body.sessions || [];
        const x = l.find((y) => y.status === 'in_progress');
        if (x) return x.id;
    }
    assert.fail('no session in progress in the demo');
}

let clinic;
before(async () => { clinic = await startClinic(); });
after(async () => { if (clinic) await clinic.stop(); });

async function withPage(name, opts, fn) {
    const p = await openPage(clinic, opts);
    try {
        await fn(p);
        await p.shot(name);
        assert.deepEqual(p.errors, [], `console errors on ${name}`);
    } catch (e) {
        await p.shot(`${name}-FAILED`).catch(() => {});
        throw e;
    } finally {
        await p.close();
    }
}

/* A JSON API call as USER outside the page (its own cookie and CSRF token). */
async function apiAs(user, method, path, body) {
    const ctx = await clinic.browser.newContext({ baseURL: clinic.url });
    try {
        const me = await (await ctx.request.post('/api/v1/login', { data: { username: user, password: clinic.password(user) } })).json();
        const r = await ctx.request.fetch(path, { method, data: body, headers: { 'X-CSRF-Token': me.csrf_token } });
        return { status: r.status(), body: await r.json() };
    } finally {
        await ctx.close();
    }
}

test('the page is served with the strict CSP and no inline script', async () => {
    const r = await fetch(clinic.url + '/');
    const csp = r.headers.get('content-security-policy') || '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /style-src 'self'/);
    const body = await r.text();
    assert.doesNotMatch(body, /<script(?![^>]*\bsrc=)[^>]*>/, 'an inline <script> in index.html');
    assert.doesNotMatch(body, /\sstyle=/, 'an inline style attribute in index.html');
});

test('login: a wrong password says so; the right one shows the role and its screens', async () => {
    await withPage('login', { allow: [{ status: 401, path: /^\/api\/v1\/login$/ }] }, async ({ page }) => {
        await page.goto('/');
        await page.getByLabel('Username').fill('nurse');
        await page.getByLabel('Password').fill('not-the-password');
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.getByRole('alert').filter({ hasText: 'POST /api/v1/login failed: 401' }).waitFor();
        await page.getByLabel('Password').fill(clinic.password('nurse'));
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.getByText('nurse (nurse)').waitFor();
        const nav = await page.getByRole('navigation', { name: 'Main' }).innerText();
        assert.match(nav, /Dose planner/);
        assert.doesNotMatch(nav, /Admin/, 'a nurse is offered the admin screen');
        await page.reload(); // the session survives a reload (cookie + CSRF token from /me)
        await page.getByText('nurse (nurse)').waitFor();
    });
});

test('a prescriber opens a chart: demographics and notes from the API', async () => {
    await withPage('chart-basics', {}, async ({ page }) => {
        await login(page, clinic, 'prescriber');
        await page.goto('/#/patient/1');
        await page.getByRole('heading', { level: 1, name: 'Alex Rivera' }).waitFor();
        await page.getByText('DEMO-0001').waitFor();
        const first = (await apiAs('prescriber', 'GET', '/api/v1/patients/1/notes')).body.notes[0];
        assert.ok(first && first.body, 'the demo has no clinical note for patient 1');
        await page.getByText(first.body).waitFor();
        await page.getByLabel('New clinical note').fill('Browser test: chart note.');
        await page.getByRole('button', { name: 'Add note' }).click();
        await page.getByText('Browser test: chart note.').waitFor();
        const notes = await apiAs('prescriber', 'GET', '/api/v1/patients/1/notes');
        assert.ok(JSON.stringify(notes.body).includes('Browser test: chart note.'), 'the note is not on the server');
    });
});

test('keyboard only: the vitals form is filled and submitted without a mouse', async () => {
    // 409 expected: the monitor asks for the discharge checklist while the dose still runs
    await withPage('vitals-keyboard', { allow: [{ status: 409, path: /^\/api\/v1\/sessions\/\d+\/discharge$/ }] }, async ({ page }) => {
        await login(page, clinic, 'nurse');
        const sid = await inProgressSession();
        const before = (await apiAs('nurse', 'GET', `/api/v1/sessions/${sid}/vitals`)).body;
        // From Today: the session number field, typed and submitted with Enter.
        await page.goto('/#/today');
        await page.getByLabel('Open session number').focus();
        await page.keyboard.type(String(sid));
        await page.keyboard.press('Enter');
        await page.getByRole('heading', { level: 1, name: new RegExp(`^Session ${sid}\\b`) }).waitFor();
        await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'v-systolic_mmhg');
        // A value out of range is named, nothing is sent.
        await page.keyboard.type('400');
        await page.keyboard.press('Enter');
        await page.getByRole('alert').filter({ hasText: 'Systolic BP (mmHg): expected a whole number from 50 to 300' }).waitFor();
        assert.equal(await page.evaluate(() => document.activeElement.id), 'v-systolic_mmhg');
        await page.keyboard.press('Control+A');
        for (const v of ['138', '84', '77', '97', '15', '5', '3']) {
            await page.keyboard.type(v);
            await page.keyboard.press('Tab');
        }
        assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Record vitals');
        await page.keyboard.press('Enter');
        await page.getByRole('status').filter({ hasText: 'recorded' }).waitFor();
        await page.getByRole('cell', { name: '138/84' }).waitFor();
        assert.equal(await page.evaluate(() => document.activeElement.id), 'v-systolic_mmhg', 'focus back in systolic for the next reading');
        const after = (await apiAs('nurse', 'GET', `/api/v1/sessions/${sid}/vitals`)).body;
        const rows = Array.isArray(after) ? after : after.vitals;
        const prev = Array.isArray(before) ? before : before.vitals;
        assert.equal(rows.length, prev.length + 1);
        const last = rows[rows.length - 1];
        assert.deepEqual([last.systolic_mmhg, last.diastolic_mmhg, last.heart_rate_bpm, last.spo2_percent,
            last.resp_rate_per_min, last.sedation_moaas, last.dissociation_cadss], [138, 84, 77, 97, 15, 5, 3]);
    });
});

test('the session monitor draws the engine\'s predicted Cp beside the recorded blood pressures', async () => {
    await withPage('monitor-predicted', {}, async ({ page }) => {
        await login(page, clinic, 'nurse');
        await page.goto('/#/session/1');
        await page.locator('[data-testid=rec-bp] canvas').waitFor();
        const rows = (await apiAs('nurse', 'GET', '/api/v1/sessions/1/vitals')).body;
        const n = (Array.isArray(rows) ? rows : rows.vitals).length;
        assert.equal(await page.locator('[data-testid=rec-bp] figcaption').innerText(), `${n} blood pressures recorded in this session.`);
        const weight = await page.getByLabel('Dosing weight (kg)').inputValue();
        if (weight === '') { // the session's plan is not on this server: the clinician enters it
            await page.getByLabel('Dosing weight (kg)').fill('62');
            await page.getByLabel('Age (years)').fill('45');
            await page.getByLabel('Dose (mg)').fill('31');
            await page.getByRole('button', { name: 'Predict' }).click();
        }
        await page.locator('[data-testid=pred-cp] canvas').waitFor();
        const w = Number(await page.getByLabel('Dosing weight (kg)').inputValue());
        const mg = Number(await page.getByLabel('Dose (mg)').inputValue());
        const age = Number(await page.getByLabel('Age (years)').inputValue());
        const sim = (await apiAs('nurse', 'POST', '/api/v1/pk/simulate', { model: 'domino1984', patient: { weight_kg: w, age_y: age },
            doses: [{ route: 'iv', amount_mg: mg, start_min: 0, duration_min: 40 }], times_min: Array.from({ length: 91 }, (_, i) => i * 2) })).body;
        assert.match(await page.locator('[data-testid=pred-cp] figcaption').innerText(),
            new RegExp(`^Model domino1984: peak ${Math.round(sim.summary.cmax_ng_per_ml)} ng/mL at ${Math.round(sim.summary.tmax_min)} min\\.`));
    });
});

test('the dose planner draws the engine\'s curves and names a refused value', async () => {
    await withPage('planner', { allow: [{ status: 422, path: /^\/api\/v1\/pk\/simulate$/ }, { status: 422, path: /^\/api\/v1\/pd\/acute$/ }] }, async ({ page }) => {
        await login(page, clinic, 'prescriber');
        await page.goto('/#/planner');
        await page.getByLabel('PK model').selectOption('domino1984');
        await page.getByLabel('Weight (kg)').fill('70');
        await page.getByLabel('Age (years)').fill('45');
        await page.locator('#A-route').selectOption('iv');
        await page.locator('#A-amount_mg').fill('35');
        await page.locator('#A-duration_min').fill('40');
        await page.locator('#B-route').selectOption('im');
        await page.locator('#B-amount_mg').fill('35');
        await page.getByRole('button', { name: 'Simulate both' }).click();
        const caption = await page.locator('[data-testid=planner-cp] figcaption').innerText();
        const req = (doses) => ({ model: 'domino1984', patient: { weight_kg: 70, age_y: 45 }, doses, times_min: Array.from({ length: 121 }, (_, i) => i * 2) });
        const a = (await apiAs('prescriber', 'POST', '/api/v1/pk/simulate', req([{ route: 'iv', amount_mg: 35, start_min: 0, duration_min: 40 }]))).body;
        const b = (await apiAs('prescriber', 'POST', '/api/v1/pk/simulate', req([{ route: 'im', amount_mg: 35, start_min: 0 }]))).body;
        assert.equal(caption, `A peaks at ${Math.round(a.summary.cmax_ng_per_ml)} ng/mL (${Math.round(a.summary.tmax_min)} min), B at ${Math.round(b.summary.cmax_ng_per_ml)} ng/mL (${Math.round(b.summary.tmax_min)} min).`);
        assert.equal(await page.locator('[data-testid=planner-cp] canvas').count(), 1);
        if (!has('POST', '/api/v1/pd/acute'))
            await page.getByText('Not available: this server has no POST /api/v1/pd/acute yet.').waitFor();
        else
            await page.getByRole('heading', { name: 'Predicted side effects' }).waitFor();
        // From a chart: the patient's age from the birth date (1981-03-14), no weight assumed.
        await page.goto('/#/planner?patient=1');
        await page.getByRole('heading', { level: 1, name: 'Dose planner for Alex Rivera' }).waitFor();
        const now = new Date();
        const age = now.getUTCFullYear() - 1981 - (now.getUTCMonth() < 2 || (now.getUTCMonth() === 2 && now.getUTCDate() < 14) ? 1 : 0);
        await page.waitForFunction((a) => document.getElementById('pl-age').value === String(a), age);
        assert.equal(await page.getByLabel('Weight (kg)').inputValue(), '');
        // A weight the engine refuses: the answer's message and field are shown.
        await page.getByLabel('Weight (kg)').fill('1000');
        await page.getByRole('button', { name: 'Simulate both' }).click();
        await page.getByRole('alert').filter({ hasText: /POST \/api\/v1\/pk\/simulate failed: 422 .*\(field \/patient\/weight_kg\)/ }).waitFor();
    });
});

test('the front desk cannot open integration notes; the therapist can', async () => {
    const secret = 'Browser test: integration insight 7f3a';
    const added = await apiAs('therapist', 'POST', '/api/v1/patients/1/integration-notes', { body: secret });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    await withPage('integration-notes-front-desk', {}, async ({ page, context }) => {
        await login(page, clinic, 'frontdesk');
        await page.goto('/#/patient/1');
        await page.getByRole('heading', { level: 1, name: 'Alex Rivera' }).waitFor();
        assert.equal(await page.getByRole('link', { name: 'Integration notes' }).count(), 0, 'the front desk is offered the link');
        await page.goto('/#/patient/1/integration-notes');
        await page.getByRole('alert').filter({ hasText: 'your role (front desk) may not open them' }).waitFor();
        assert.equal(await page.getByText(secret).count(), 0);
        const r = await context.request.get('/api/v1/patients/1/integration-notes'); // the same session cookie
        assert.equal(r.status(), 403, 'the server gives the front desk integration notes');
        assert.ok(!(await r.text()).includes(secret));
    });
    await withPage('integration-notes-therapist', {}, async ({ page }) => {
        await login(page, clinic, 'therapist');
        await page.goto('/#/patient/1');
        await page.getByRole('link', { name: 'Integration notes' }).click();
        await page.getByText(secret).waitFor();
    });
});

test('every screen of the demo, for every staff role, opens without a console error', async () => {
    const screens = ['#/today', '#/patients', '#/patient/1', '#/patient/3', '#/session/1', '#/session/3', '#/rems',
        '#/outcomes', '#/planner', '#/planner?patient=2', '#/admin', '#/patient/1/integration-notes', '#/session/1/rems'];
    for (const user of ['frontdesk', 'nurse', 'prescriber', 'therapist', 'admin']) {
        await withPage(`screens-${user}`, { allow: [{ status: 403, path: /^\/api\/v1\// }] }, async ({ page, shot }) => {
            await login(page, clinic, user);
            for (const s of screens) {
                await page.goto('/' + s);
                await page.locator('main h1').first().waitFor();
                // never a spinner forever: every block has its answer or says what went wrong
                await page.waitForFunction(() => !document.querySelector('.loading'), null, { timeout: 5000 })
                    .catch(() => assert.fail(`${user} ${s}: still loading after 5 s`));
                await shot(`screen-${user}-${s.slice(2).replace(/\//g, '-')}`);
            }
        });
    }
});

test('a patient who logs in sees only their own page, no staff screens', async () => {
    await withPage('patient-login', {}, async ({ page }) => {
        await login(page, clinic, 'patient');
        assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').count(), 0);
        await page.goto('/#/patient/2');
        await page.getByRole('heading', { level: 1, name: 'Your record' }).waitFor();
        assert.equal(await page.getByText('Sam').count(), 0, 'another patient shown to a patient');
    });
});

test('admin verifies the audit chain', async () => {
    await withPage('admin-audit', {}, async ({ page }) => {
        await login(page, clinic, 'admin');
        await page.goto('/#/admin');
        await page.getByRole('button', { name: 'Verify the audit log' }).click();
        const text = await page.getByRole('status').filter({ hasText: 'audit chain' }).innerText();
        const v = (await apiAs('admin', 'GET', '/api/v1/audit/verify')).body;
        assert.ok(v.intact);
        assert.match(text, /^The audit chain is intact: \d+ entries checked, 0 problems/);
    });
});

const policy = JSON.parse(execFileSync(process.env.KETA_BIN || join(source, 'build', 'keta'), ['policy', 'show', '--json'], { encoding: 'utf8' }));

test('a nurse records a blood pressure over the hold threshold, sees the rule, and cannot discharge',
    { skip: needs('GET /api/v1/schedule', 'GET /api/v1/sessions/{session_id}', 'POST /api/v1/sessions/{session_id}/start',
        'GET /api/v1/patients/{patient_id}/alerts', 'GET /api/v1/sessions/{session_id}/discharge') }, async () => {
    const hold = policy.policy.bp.hold_systolic_mmhg;
    // A session planned today is weighed (API) and started in the monitor with its lot number;
    // without one, today's session in progress. Discharge is refused (409) while dosing runs.
    const day = new Date().toISOString().slice(0, 10);
    const sched = (await apiAs('nurse', 'GET', `/api/v1/schedule?date=${day}`)).body.sessions || [];
    const planned = sched.find((x) => x.status === 'planned');
    const sid = planned ? planned.session_id : await inProgressSession();
    if (planned) {
        const w = await apiAs('nurse', 'POST', `/api/v1/patients/${planned.patient.id}/weights`, { weight_kg: 70 });
        assert.equal(w.status, 201, JSON.stringify(w.body));
    }
    await withPage('hold-no-discharge', { allow: [{ status: 409, path: /^\/api\/v1\/sessions\/\d+\/discharge$/ }] }, async ({ page }) => {
        await login(page, clinic, 'nurse');
        await page.goto('/#/today');
        await page.getByRole('link', { name: `session ${sid}`, exact: true }).click();
        await page.getByRole('heading', { level: 1, name: new RegExp(`^Session ${sid}\\b`) }).waitFor();
        const start = page.getByRole('button', { name: /^Start session/ });
        if (planned) {
            await page.getByLabel('Lot number').fill('BT-LOT-1');
            await start.focus();
            await page.keyboard.press('Enter');
            await page.getByText('Status').locator('xpath=following-sibling::dd[1]').filter({ hasText: 'in_progress' }).waitFor();
        }
        await page.locator('#v-systolic_mmhg').focus();
        for (const v of [String(hold + 6), '104', '80', '98', '14', '5', '4']) {
            await page.keyboard.type(v);
            await page.keyboard.press('Tab');
        }
        await page.keyboard.press('Enter');
        const banner = page.locator('.alert.level-hold').filter({ hasText: 'bp.hold_systolic_mmhg' }).first();
        await banner.waitFor();
        assert.match(await banner.innerText(), new RegExp(`HOLD rule bp.hold_systolic_mmhg: .*${hold + 6}`));
        const discharge = page.getByRole('button', { name: 'Discharge' });
        await discharge.waitFor();
        assert.ok(await discharge.isDisabled(), 'discharge offered with an open hold');
        await page.getByText('Discharge is not allowed yet').waitFor();
    });
});

test('a prescriber sees the score chart, the symptom-area trends and the forecast',
    { skip: needs('POST /api/v1/patients/{patient_id}/assessments', 'GET /api/v1/patients/{patient_id}/assessments',
        'GET /api/v1/patients/{patient_id}/outcomes') }, async () => {
    for (const items of [[2, 3, 3, 2, 2, 2, 2, 1, 0, 1], [1, 1, 2, 1, 1, 1, 1, 0, 0, 1]]) {
        const r = await apiAs('prescriber', 'POST', '/api/v1/patients/1/assessments', { instrument: 'phq9', items });
        assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r.body));
    }
    await withPage('chart-scores-forecast', {}, async ({ page }) => {
        await login(page, clinic, 'prescriber');
        await page.goto('/#/patient/1');
        await page.locator('[data-testid=score-phq9] canvas').waitFor();
        assert.match(await page.locator('[data-testid=score-phq9] figcaption').innerText(), /PHQ-9: \d+ scores, latest 8 /);
        await page.locator('[data-testid=areas] canvas').waitFor();
        await page.locator('[data-testid=sleep-appetite] canvas').waitFor();
        await page.locator('[data-testid=forecast] canvas').waitFor();
        assert.match(await page.locator('.relapse').innerText(), /relapse|threshold/);
    });
});

test('a patient answers PHQ-9 on a phone from a one-time link; item 9 shows the crisis text at once; the alert reaches the chart',
    { skip: needs('POST /api/v1/patients/{patient_id}/self-report-links', 'GET /api/v1/self-report/{token}',
        'POST /api/v1/self-report/{token}', 'GET /api/v1/patients/{patient_id}/alerts') }, async () => {
    let link;
    await withPage('self-report-link', {}, async ({ page }) => {
        await login(page, clinic, 'prescriber');
        await page.goto('/#/patient/1');
        await page.getByRole('button', { name: 'Create a PHQ-9 self-report link' }).click();
        link = await page.locator('a.self-report-link').getAttribute('href');
    });
    assert.match(link, /#\/self-report\/[A-Za-z0-9_-]+$/);
    await withPage('self-report-phone', { viewport: { width: 390, height: 844 } }, async ({ page }) => {
        await page.goto(link);
        await page.getByRole('heading', { level: 1, name: 'Your check-in' }).waitFor();
        for (let i = 0; i < 8; i++)
            await page.getByRole('group', { name: new RegExp(`^${i + 1}\\. `) }).getByLabel('Several days').check();
        assert.equal(await page.locator('[data-testid=crisis]').count(), 0, 'crisis text before item 9 was answered');
        await page.getByRole('group', { name: /^9\. / }).getByLabel('More than half the days').check();
        const crisis = page.locator('[data-testid=crisis]');
        await crisis.waitFor(); // at once, before anything is sent
        assert.match((await crisis.innerText()).trim(), /suicide.*crisis/);
        await page.getByRole('group', { name: /^10\. / }).getByLabel('Somewhat difficult').check();
        await page.getByRole('button', { name: 'Send my answers' }).click();
        await page.getByText('Your answers were sent').waitFor();
        // the clinic's own text (its policy, as the server has it) once the answers are in
        const pol = (await apiAs('prescriber', 'GET', '/api/v1/policy')).body;
        assert.equal((await crisis.innerText()).trim(), pol.policy.crisis.text);
    });
    await withPage('self-report-alert-on-chart', {}, async ({ page }) => {
        await login(page, clinic, 'prescriber');
        await page.goto('/#/patient/1');
        await page.locator('.alert').filter({ hasText: 'suicide.phq9_item9_min' }).first().waitFor();
    });
});

test('the phone self-report page shows the crisis text the moment PHQ-9 item 9 is above zero (form answer stubbed in the browser)',
    { skip: has('GET', '/api/v1/self-report/{token}') && 'the route is on this server: the unstubbed test above runs' }, async () => {
    // Until GET /api/v1/self-report/{token} is on this server, its answer is stubbed here; the
    // questions come from the real /api/v1/instruments, the text from the real policy.
    await withPage('self-report-crisis-stub', { viewport: { width: 390, height: 844 } }, async ({ page }) => {
        let posted = 0;
        await page.route('**/api/v1/self-report/**', (route) => {
            if (route.request().method() !== 'GET') { posted++; return route.abort(); }
            return route.fulfill({ status: 200, contentType: 'application/json',
                body: JSON.stringify({ instrument: 'phq9', crisis_text: policy.policy.crisis.text }) });
        });
        await page.goto('/#/self-report/stubtoken0123456789');
        await page.getByRole('heading', { level: 1, name: 'Your check-in' }).waitFor();
        assert.equal(await page.getByRole('group').count(), 10, 'PHQ-9 has ten questions');
        assert.equal(await page.getByRole('navigation').count(), 0, 'staff navigation on the patient page');
        const crisis = page.locator('[data-testid=crisis]');
        const g9 = page.getByRole('group', { name: /^9\. / });
        await g9.getByLabel('Not at all').check();
        assert.equal(await crisis.count(), 0, 'crisis text for item 9 = 0');
        await g9.getByLabel('Several days').check();
        await crisis.waitFor();
        assert.equal((await crisis.innerText()).trim(), policy.policy.crisis.text);
        assert.equal(posted, 0, 'something was sent before the patient pressed Send');
        const box = await crisis.boundingBox();
        assert.ok(box.width <= 390, 'the crisis text is wider than the phone');
        await g9.getByLabel('Not at all').check();
        assert.equal(await crisis.count(), 0, 'crisis text stays after item 9 went back to 0');
    });
});

test('the chart draws score charts with bands, the symptom areas and the forecast band (answers stubbed in the browser)',
    { skip: has('GET', '/api/v1/patients/{patient_id}/assessments') && 'the route is on this server: the unstubbed test above runs' }, async () => {
    // Until the assessment and outcome routes are on this server their answers are stubbed;
    // the forecast is the real `keta forecast` answer for these scores.
    const day = 86400000, t0 = Date.parse('2026-10-01T09:00:00Z');
    const phq = [[21, 0], [14, 2], [9, 7], [6, 14], [8, 28]];
    const assessments = phq.map(([total, d], i) => ({ id: i + 1, instrument: 'phq9', total, taken_at: new Date(t0 + d * day).toISOString(),
        domains: { low_mood: 3 - i * 0.5, anhedonia: 2, fatigue: 2, concentration: 1, hopelessness: 2, suicidal_thoughts: 0, sleep: 2, appetite: 1 } }));
    const forecast = JSON.parse(execFileSync(process.env.KETA_BIN || join(source, 'build', 'keta'), ['forecast'], {
        input: JSON.stringify({ model: 'domino1984', patient: { weight_kg: 62, age_y: 45 },
            doses: [0, 2, 4, 7, 9, 11].map((d) => ({ route: 'iv', amount_mg: 31, start_min: d * 1440, duration_min: 40 })),
            scores: phq.map(([score, d]) => ({ instrument: 'phq9', t_min: d * 1440 - 60, score })), origin_date: '2026-10-01', step_min: 1440 }),
        encoding: 'utf8' }));
    await withPage('chart-scores-stub', {}, async ({ page }) => {
        await page.route('**/api/v1/patients/1/assessments', (r) => r.fulfill({ json: { assessments } }));
        await page.route('**/api/v1/patients/1/outcomes', (r) => r.fulfill({ json: { flags: [], maintenance: null, forecast } }));
        await login(page, clinic, 'prescriber');
        await page.goto('/#/patient/1');
        await page.locator('[data-testid=score-phq9] canvas').waitFor();
        assert.match(await page.locator('[data-testid=score-phq9] figcaption').innerText(), /^PHQ-9: 5 scores, latest 8 on 2026-10-29 09:00 UTC/);
        await page.locator('[data-testid=areas] canvas').waitFor();
        await page.locator('[data-testid=sleep-appetite] canvas').waitFor();
        await page.locator('[data-testid=forecast] canvas').waitFor();
        const r = forecast.relapse;
        const text = await page.locator('.relapse').innerText();
        if (r.date) assert.ok(text.includes(`expected relapse ${r.date}`), text);
        else assert.match(text, /threshold now|no relapse expected/);
        // the severity bands are drawn behind the line: a pixel low on the plot has the "minimal" fill
        const shaded = await page.locator('[data-testid=score-phq9] canvas').evaluate((c) => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 4) if (d[i] === 0xe3 && d[i + 1] === 0xf2 && d[i + 2] === 0xe1) n++;
            return n;
        });
        assert.ok(shaded > 1000, `minimal band pixels: ${shaded}`);
    });
});
