// Find a patient: search by name or MRN (GET /api/v1/patients?q=), or open one by number.
import { html, useState } from './lib.js';
import { listOf } from './api.js';
import { useApi, Loaded, Field } from './ui.js';

function Results({ q }) {
    const state = useApi(q ? `/api/v1/patients?q=${encodeURIComponent(q)}` : null);
    if (!q) return null;
    return html`<${Loaded} state=${state} what="patients">${(d) => {
        const ps = listOf(d, 'patients');
        if (ps.length === 0) return html`<p>No patient matches “${q}”.</p>`;
        return html`<ul class="results">${ps.map((p) => html`<li key=${p.id}>
            <a href=${'#/patient/' + p.id}>${p.family_name}, ${p.given_name}</a> (${p.mrn}, born ${p.birth_date})</li>`)}</ul>`;
    }}<//>`;
}

export function Patients() {
    const [text, setText] = useState('');
    const [q, setQ] = useState('');
    const [pid, setPid] = useState('');
    return html`<h1 tabindex="-1">Patients</h1>
        <form class="inline" role="search" onSubmit=${(e) => { e.preventDefault(); setQ(text.trim()); }}>
            <${Field} label="Name or MRN" id="patient-q" value=${text} onInput=${(e) => setText(e.target.value)} />
            <button type="submit">Search</button>
        </form>
        <${Results} q=${q} />
        <form class="inline" onSubmit=${(e) => { e.preventDefault(); if (/^\d+$/.test(pid)) location.hash = '#/patient/' + pid; }}>
            <${Field} label="Open patient number" id="patient-id" inputmode="numeric" pattern="[0-9]+"
                value=${pid} onInput=${(e) => setPid(e.target.value.trim())} />
            <button type="submit">Open chart</button>
        </form>`;
}
