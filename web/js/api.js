// api.js — the HTTP JSON API (docs/api.md).  Every call resolves to the
// parsed body or throws an ApiError carrying the server's stable code.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code);
    this.status = status;
    this.code = code;
  }
}

export async function api(path, body) {
  let response;
  try {
    response = await fetch(`/api/v1/${path}`, body === undefined
      ? { credentials: 'same-origin' }
      : {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
  } catch (e) {
    throw new ApiError(0, 'network', e.message);
  }
  let data = null;
  try { data = await response.json(); } catch { /* empty or not JSON */ }
  if (!response.ok)
    throw new ApiError(response.status, data?.error?.code || 'internal', data?.error?.message);
  return data;
}
