// The JSON API client. Every failure becomes an ApiError whose message says what went wrong:
// the request, the status and the server's message (with the field it names), or "not
// available" when this server has no such route yet (404 "no such route", 405).
let csrfToken = sessionStorage.getItem('keta.csrf');
let onLoggedOut = () => {};

export class ApiError extends Error {
    constructor(message, { status = 0, code = '', field = null, unavailable = false } = {}) {
        super(message);
        this.status = status;
        this.code = code;
        this.field = field;
        this.unavailable = unavailable;
    }
}

export function setCsrf(token) {
    csrfToken = token;
    if (token) sessionStorage.setItem('keta.csrf', token);
    else sessionStorage.removeItem('keta.csrf');
}
export const hasSessionHint = () => csrfToken !== null;
export function onUnauthorized(fn) { onLoggedOut = fn; }

export async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
    }
    if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
    let res;
    try {
        res = await fetch(path, init);
    } catch (e) {
        throw new ApiError(`${method} ${path}: the server could not be reached (${e.message})`);
    }
    const text = await res.text();
    let data = null;
    if (text) {
        try { data = JSON.parse(text); } catch {
            throw new ApiError(`${method} ${path}: the answer (${res.status}) was not JSON`, { status: res.status });
        }
    }
    if (res.ok) return data;
    const e = (data && data.error) || {};
    const unavailable = res.status === 405 || (res.status === 404 && e.message === 'no such route');
    if (unavailable)
        throw new ApiError(`Not available: this server has no ${method} ${path} yet.`,
            { status: res.status, code: e.code, unavailable: true });
    if (res.status === 401 && path !== '/api/v1/login') {
        setCsrf(null);
        onLoggedOut();
    }
    const field = e.field ? ` (field ${e.field})` : '';
    throw new ApiError(`${method} ${path} failed: ${res.status} ${e.message || res.statusText}${field}`,
        { status: res.status, code: e.code, field: e.field });
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);

/* A list from an answer: {"<key>": [...]} as the API answers lists, or a bare array. */
export function listOf(data, key) {
    if (Array.isArray(data)) return data;
    if (data && Array.isArray(data[key])) return data[key];
    return [];
}
