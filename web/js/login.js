// Login: username and password; the server's answer names what went wrong.
import { html, useState } from './lib.js';
import { post, setCsrf } from './api.js';
import { Field, Problem } from './ui.js';

export function Login({ onLogin }) {
    const [username, setUsername] = useState('');
    const [password, setPassword] = useState('');
    const [error, setError] = useState(null);
    const [busy, setBusy] = useState(false);
    const submit = (ev) => {
        ev.preventDefault();
        setBusy(true);
        setError(null);
        post('/api/v1/login', { username, password }).then((me) => {
            setCsrf(me.csrf_token);
            onLogin(me);
        }, (e) => { setError(e); setBusy(false); });
    };
    return html`<h1 tabindex="-1">Log in to keta</h1>
        <form class="login" onSubmit=${submit}>
            <${Field} label="Username" id="username" autocomplete="username" required value=${username}
                onInput=${(e) => setUsername(e.target.value)} />
            <${Field} label="Password" id="password" type="password" autocomplete="current-password" required
                value=${password} onInput=${(e) => setPassword(e.target.value)} />
            <button type="submit" disabled=${busy}>${busy ? 'Logging in…' : 'Log in'}</button>
            <${Problem} error=${error} />
        </form>`;
}
