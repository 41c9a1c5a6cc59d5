// Admin: staff accounts and roles, the clinic policy with its defaults and sources, and the
// audit log's hash chain verified.
import { html, useState } from './lib.js';
import { get, post, listOf } from './api.js';
import { useApi, Loaded, Section, Field, Problem, roleName } from './ui.js';

const ROLES = ['front_desk', 'nurse', 'prescriber', 'therapist', 'admin'];

function Staff() {
    const s = useApi('/api/v1/staff');
    const [u, setU] = useState({ username: '', display_name: '', role: 'nurse', password: '' });
    const [err, setErr] = useState(null);
    const add = (e) => { e.preventDefault(); post('/api/v1/staff', u).then(() => { setErr(null); setU({ ...u, username: '', display_name: '', password: '' }); s.reload(); }, setErr); };
    return html`<${Loaded} state=${s} what="staff">${(d) => html`<table><thead><tr><th scope="col">User</th><th scope="col">Name</th><th scope="col">Role</th></tr></thead>
        <tbody>${listOf(d, 'staff').map((x) => html`<tr key=${x.id || x.username}><td>${x.username}</td><td>${x.display_name || ''}</td><td>${roleName(x.role)}</td></tr>`)}</tbody></table>`}<//>
        <form class="inline" onSubmit=${add}>
            <${Field} id="st-user" label="Username" required value=${u.username} onInput=${(e) => setU({ ...u, username: e.target.value })} />
            <${Field} id="st-name" label="Full name" value=${u.display_name} onInput=${(e) => setU({ ...u, display_name: e.target.value })} />
            <div class="field"><label for="st-role">Role</label><select id="st-role" value=${u.role} onChange=${(e) => setU({ ...u, role: e.target.value })}>
                ${ROLES.map((r) => html`<option value=${r}>${roleName(r)}</option>`)}</select></div>
            <${Field} id="st-pw" label="First password" type="password" autocomplete="new-password" required value=${u.password} onInput=${(e) => setU({ ...u, password: e.target.value })} />
            <button type="submit">Add staff member</button></form><${Problem} error=${err} />`;
}

function Policy() {
    const s = useApi('/api/v1/policy');
    return html`<${Loaded} state=${s} what="the policy">${(d) => html`<p>Policy: ${d.name}</p>
        <table class="policy"><thead><tr><th scope="col">Rule</th><th scope="col">Value</th><th scope="col">Default</th>
            <th scope="col">Unit</th><th scope="col">Meaning</th><th scope="col">Source</th></tr></thead>
        <tbody>${listOf(d, 'rules').map((r) => html`<tr key=${r.id} class=${r.overridden ? 'overridden' : ''}><td>${r.id}</td>
            <td>${String(r.value)}</td><td>${String(r.default)}</td><td>${r.unit || ''}</td><td>${r.meaning}</td><td>${r.source}</td></tr>`)}</tbody></table>`}<//>`;
}

function Audit() {
    const [res, setRes] = useState(null);
    const [err, setErr] = useState(null);
    const verify = () => { setRes(null); get('/api/v1/audit/verify').then((r) => { setErr(null); setRes(r); }, setErr); };
    return html`<button type="button" onClick=${verify}>Verify the audit log</button><${Problem} error=${err} />
        ${res && html`<p role="status" class=${res.intact ? 'ok' : 'error'}>${res.intact ? 'The audit chain is intact' : 'The audit chain is BROKEN'}:${' '}${res.entries} entries checked, ${res.problems} problems, head ${res.head_seq}.</p>`}`;
}

export function Admin() {
    return html`<h1 tabindex="-1">Admin</h1>
        <${Section} title="Audit log" id="h-audit"><${Audit} /><//>
        <${Section} title="Staff" id="h-staff"><${Staff} /><//>
        <${Section} title="Clinic policy" id="h-policy"><${Policy} /><//>`;
}
