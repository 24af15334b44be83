// booking.js — "my booking": what the secret link (#t=…) is booked for.
import { t, errorText } from './i18n.js';
import { api } from './api.js';
import { startPage, showState, describeBooking } from './page.js';

const kontor = { state: 'loading', booking: null, error: null };
window.kontor = kontor;

function setState(state) {
  kontor.state = state;
  showState(state, { focus: false });
}

function render() {
  const b = kontor.booking;
  if (!b) return;
  const dl = document.getElementById('booking');
  describeBooking(dl, b);
  const dt = document.createElement('dt');
  dt.textContent = t('common.status');
  const dd = document.createElement('dd');
  dd.textContent = t(`status.${b.status}`);
  dl.append(dt, dd);
}

async function main() {
  startPage();
  window.addEventListener('hashchange', () => location.reload());
  document.addEventListener('kontor:language', render);
  const token = new URLSearchParams(location.hash.slice(1)).get('t');
  if (!token) {
    kontor.error = { code: 'no_token' };
    document.getElementById('problem').textContent = errorText('no_token');
    setState('refused');
    return;
  }
  document.getElementById('join-link').href = `join.html#t=${encodeURIComponent(token)}`;
  try {
    const { booking } = await api('booking', { token });
    kontor.booking = booking;
    render();
    setState('booking');
  } catch (e) {
    kontor.error = { code: e.code };
    document.getElementById('problem').textContent = errorText(e.code);
    setState('refused');
  }
}

main();
