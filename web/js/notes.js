// Integration notes: the restricted class. Only a therapist may read or write them; anyone
// else sees why not, and the server refuses them too (and audits the attempt).
import { html, useState } from './lib.js';
import { post, listOf } from './api.js';
import { useApi, Loaded, Problem, fmtTime, roleName } from './ui.js';

function Allowed({ pid }) {
    const s = useApi(`/api/v1/patients/${pid}/integration-notes`);
    const [body, setBody] = useState('');
    const [err, setErr] = useState(null);
    const add = (e) => {
        e.preventDefault();
        post(`/api/v1/patients/${pid}/integration-notes`, { body }).then(() => { setBody(''); setErr(null); s.reload(); }, setErr);
    };
    return html`<${Loaded} state=${s} what="integration notes">${(d) => {
        const ns = listOf(d, 'notes');
        return ns.length ? html`<ul class="notes">${ns.map((n) => html`<li key=${n.id}><span class="meta">${fmtTime(n.created_at)}</span> ${n.body}</li>`)}</ul>`
            : html`<p>No integration notes.</p>`;
    }}<//>
    <form onSubmit=${add}><label for="inote-body">New integration note</label>
        <textarea id="inote-body" rows="4" required value=${body} onInput=${(e) => setBody(e.target.value)}></textarea>
        <button type="submit">Add integration note</button><${Problem} error=${err} /></form>`;
}

export function IntegrationNotes({ id: pid, me }) {
    return html`<h1 tabindex="-1">Integration notes</h1>
        <p><a href=${'#/patient/' + pid}>Back to the chart</a></p>
        ${me.role === 'therapist' ? html`<${Allowed} pid=${pid} />`
        : html`<p class="error" role="alert">Integration notes are restricted: your role (${roleName(me.role)}) may not open them.</p>`}`;
}
