// Shared pieces of every screen: loading an API answer, showing its failure, labelled fields.
import { html, useState, useEffect, useCallback } from './lib.js';
import { get } from './api.js';

/* Loads path (GET) when it changes; {data, error, loading, reload}. path null: nothing. */
export function useApi(path) {
    const [state, setState] = useState({ data: null, error: null, loading: path !== null });
    const [n, setN] = useState(0);
    const reload = useCallback(() => setN((x) => x + 1), []);
    useEffect(() => {
        if (path === null) return undefined;
        let live = true;
        setState((s) => ({ data: s.data, error: null, loading: true }));
        get(path).then(
            (data) => live && setState({ data, error: null, loading: false }),
            (error) => live && setState({ data: null, error, loading: false }));
        return () => { live = false; };
    }, [path, n]);
    return { ...state, reload };
}

/* What went wrong, said plainly; a missing route is a notice, not an alarm. */
export function Problem({ error }) {
    if (!error) return null;
    if (error.unavailable)
        return html`<p class="unavailable" role="status">${error.message}</p>`;
    return html`<p class="error" role="alert">${error.message}</p>`;
}

/* Renders children(data) once loaded; a loading line meanwhile; the failure otherwise. */
export function Loaded({ state, what, children }) {
    if (state.error) return html`<${Problem} error=${state.error} />`;
    if (state.loading || state.data === null)
        return html`<p class="loading" aria-live="polite">Loading ${what}…</p>`;
    return children(state.data);
}

let fieldSeq = 0;
/* A labelled input. */
export function Field({ label, id, hint, invalid, inputRef, ...rest }) {
    const fid = id || `f${++fieldSeq}`;
    const hid = hint ? `${fid}-hint` : undefined;
    return html`<div class=${'field' + (invalid ? ' invalid' : '')}>
        <label for=${fid}>${label}</label>
        <input id=${fid} ref=${inputRef} aria-describedby=${hid} aria-invalid=${invalid ? 'true' : undefined} ...${rest} />
        ${hint && html`<small id=${hid}>${hint}</small>`}
    </div>`;
}

export function Section({ title, children, id }) {
    return html`<section aria-labelledby=${id}><h2 id=${id}>${title}</h2>${children}</section>`;
}

/* An alert from any answer in one shape: the stored alert {kind, rule, detail, acknowledged_at,
   resolved_at} or the one a recording answers {level, rule, message}. */
export function alertOf(a) {
    const level = a.level || (a.kind === 'dosing_hold' ? 'hold' : a.kind === 'suicidal_ideation' ? 'urgent' : 'warning');
    const status = a.status || (a.resolved_at ? 'resolved' : a.acknowledged_at ? 'acknowledged' : a.raised_at ? 'open' : '');
    return { ...a, level, status, message: a.message || a.detail || (a.kind || '').replace(/_/g, ' ') };
}
export const isOpen = (a) => alertOf(a).status !== 'resolved';
export const hasRole = (me, ...roles) => roles.includes(me && me.role);

/* Alerts as banners: level, the policy rule that fired, and what to do. */
export function AlertBanners({ alerts: raw }) {
    if (!raw || raw.length === 0) return html`<p>No open alerts.</p>`;
    const alerts = raw.map(alertOf);
    return html`<ul class="alerts">${alerts.map((a, i) => html`
        <li key=${a.id || i} class=${'alert level-' + (a.level || 'info')} role="alert">
            <strong>${(a.level || 'alert').toUpperCase()}</strong>
            ${' '}<span class="rule">rule ${a.rule || a.rule_id || '(not named)'}</span>:
            ${' '}${a.message || a.kind || ''}
            ${a.status && html` <em>(${a.status})</em>`}
        </li>`)}</ul>`;
}

export const fmtTime = (iso) => (iso ? iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC') : '—');
export const today = () => new Date().toISOString().slice(0, 10);
export const roleName = (r) => (r || '').replace('_', ' ');
