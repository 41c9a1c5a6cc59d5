// The shell: who is logged in, the navigation for their role, and the hash routes to screens.
import { html, render, useState, useEffect } from './lib.js';
import { get, post, setCsrf, hasSessionHint, onUnauthorized } from './api.js';
import { Problem, roleName } from './ui.js';
import { Login } from './login.js';
import { Today } from './today.js';
import { Patients } from './patients.js';
import { Chart } from './chart.js';
import { Monitor } from './monitor.js';
import { RemsForm, RemsList } from './rems.js';
import { IntegrationNotes } from './notes.js';
import { Outcomes } from './outcomes.js';
import { Planner } from './planner.js';
import { Admin } from './admin.js';
import { SelfReport } from './selfreport.js';

const STAFF = ['front_desk', 'nurse', 'prescriber', 'therapist', 'admin'];
const nav = [
    ['#/today', 'Today', STAFF],
    ['#/patients', 'Patients', ['front_desk', 'nurse', 'prescriber', 'therapist']],
    ['#/rems', 'REMS forms', ['nurse', 'prescriber']],
    ['#/outcomes', 'Outcomes', ['nurse', 'prescriber', 'therapist', 'admin']],
    ['#/planner', 'Dose planner', ['nurse', 'prescriber']],
    ['#/admin', 'Admin', ['admin']],
];

/* [pattern, screen]: the first match wins; :name captures a path segment. */
const CLIN = ['nurse', 'prescriber', 'therapist'];
const routes = [
    [/^#\/today$/, Today, STAFF],
    [/^#\/patients$/, Patients, STAFF],
    [/^#\/patient\/(\d+)$/, Chart, STAFF.concat('patient')],
    [/^#\/patient\/(\d+)\/integration-notes$/, IntegrationNotes, STAFF],
    [/^#\/session\/(\d+)$/, Monitor, ['nurse', 'prescriber']],
    [/^#\/session\/(\d+)\/rems$/, RemsForm, ['nurse', 'prescriber']],
    [/^#\/rems$/, RemsList, ['nurse', 'prescriber']],
    [/^#\/outcomes$/, Outcomes, CLIN.concat('admin')],
    [/^#\/planner(\?.*)?$/, Planner, ['nurse', 'prescriber']],
    [/^#\/admin$/, Admin, ['admin']],
];

function useHash() {
    const [hash, setHash] = useState(location.hash || '#/today');
    useEffect(() => {
        const on = () => setHash(location.hash || '#/today');
        addEventListener('hashchange', on);
        return () => removeEventListener('hashchange', on);
    }, []);
    return hash;
}

function App() {
    const hash = useHash();
    const [me, setMe] = useState(undefined); // undefined: checking; null: logged out
    const [problem, setProblem] = useState(null);
    useEffect(() => {
        onUnauthorized(() => setMe(null));
        if (!hasSessionHint()) { setMe(null); return; }
        get('/api/v1/me').then((m) => { setCsrf(m.csrf_token); setMe(m); },
            (e) => { if (e.status !== 401) setProblem(e); setMe(null); });
    }, []);
    useEffect(() => { // a new screen: move focus to its heading for keyboard and reader users
        const h1 = document.querySelector('main h1');
        const a = document.activeElement;
        if (h1 && !(a && a.matches('input, select, textarea'))) h1.focus(); // a screen may focus its first field
    }, [hash, me]);

    const token = hash.match(/^#\/self-report\/([A-Za-z0-9_-]{8,200})$/);
    if (token) return html`<main class="phone"><${SelfReport} token=${token[1]} /></main>`;
    if (me === undefined) return html`<main><p class="loading">Checking your session…</p></main>`;
    if (me === null)
        return html`<main><${Problem} error=${problem} /><${Login} onLogin=${(m) => { setProblem(null); setMe(m); }} /></main>`;

    const skip = (e) => { e.preventDefault(); document.getElementById('main').focus(); }; // hash routes: no #main jump
    const logout = () => post('/api/v1/logout').catch(() => {}).finally(() => { setCsrf(null); setMe(null); });
    let screen = html`<h1 tabindex="-1">Not found</h1><p>There is no screen at ${hash}. <a href="#/today">Today</a></p>`;
    for (const [re, Screen, roles] of routes) {
        const m = hash.match(re);
        if (!m) continue;
        screen = roles.includes(me.role) ? html`<${Screen} key=${hash} me=${me} id=${m[1] && Number(m[1])} />`
            : html`<h1 tabindex="-1">Not for your role</h1><p class="error" role="alert">Your role (${roleName(me.role)}) may not open this screen.</p>`;
        break;
    }
    if (me.role === 'patient' && !(me.patient_id && hash === '#/patient/' + me.patient_id))
        screen = html`<h1 tabindex="-1">Your record</h1>${me.patient_id ? html`<p><a href=${'#/patient/' + me.patient_id}>Open your record</a></p>`
            : html`<p class="unavailable" role="status">Not available: this server does not say which record is yours yet. Your clinic sends you check-in links.</p>`}`;
    return html`
        <header class="top">
            <a class="skip" href=${hash} onClick=${skip}>Skip to content</a>
            <span class="brand">keta</span>
            <nav aria-label="Main"><ul>${nav.filter(([, , roles]) => roles.includes(me.role)).map(([href, label]) =>
                html`<li><a href=${href} aria-current=${hash.startsWith(href) ? 'page' : undefined}>${label}</a></li>`)}</ul></nav>
            <span class="who">${me.username} (${roleName(me.role)})</span>
            <button type="button" onClick=${logout}>Log out</button>
        </header>
        <main id="main" tabindex="-1">${screen}</main>`;
}

render(html`<${App} />`, document.getElementById('app'));
