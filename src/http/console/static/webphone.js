// The console's web phone: sip.js (served by the adapter from node_modules) registers to a SIP-over-WebSocket
// registrar — Asterisk's transport-wss with the `webphone` endpoint (asterisk-conf/pjsip.conf) — and calls a route.
import { Inviter, Registerer, RegistererState, SessionState, UserAgent } from './vendor/sip.js/index.js';

const $ = (id) => document.getElementById(id);
const phone = { ua: undefined, registerer: undefined, session: undefined };
/** Plays the far end of a call (a live call has no captions track; the console's transcript is its text). */
const remoteAudio = new Audio();
remoteAudio.autoplay = true;

function status(text, isError = false) {
  const s = $('phone-status');
  s.textContent = text;
  s.classList.toggle('error', isError);
}

function buttons() {
  const registered = phone.registerer?.state === RegistererState.Registered;
  const inCall = phone.session !== undefined;
  $('phone-register').disabled = registered;
  $('phone-unregister').disabled = !registered;
  $('dial').disabled = !registered || inCall;
  $('phone-hangup').disabled = !inCall;
}

function targetUri(text, aor) {
  const t = text.trim();
  if (t.startsWith('sip:') || t.startsWith('sips:')) return UserAgent.makeURI(t);
  return UserAgent.makeURI(`sip:${t}@${aor.host}`);
}

function playRemote(session) {
  const pc = session.sessionDescriptionHandler?.peerConnection;
  if (!pc) return;
  const stream = new MediaStream();
  for (const r of pc.getReceivers()) if (r.track) stream.addTrack(r.track);
  remoteAudio.srcObject = stream;
  remoteAudio.play().catch(() => undefined);
}

async function register(form) {
  const aor = UserAgent.makeURI(form.get('aor').trim());
  if (!aor) return status('The SIP address is not a SIP URI (sip:user@host).', true);
  await stop();
  const user = form.get('user').trim();
  const ua = new UserAgent({
    uri: aor,
    transportOptions: { server: form.get('server').trim() },
    ...(user ? { authorizationUsername: user, authorizationPassword: form.get('password') } : {}),
    sessionDescriptionHandlerFactoryOptions: {
      peerConnectionConfiguration: { iceServers: [] },
      iceGatheringTimeout: 1000,
    },
    logBuiltinEnabled: false,
    delegate: {
      onDisconnect: (err) => {
        if (err) status(`SIP connection lost: ${err.message}`, true);
      },
    },
  });
  phone.ua = ua;
  status('Connecting…');
  try {
    await ua.start();
  } catch (err) {
    phone.ua = undefined;
    return status(`Could not reach the SIP server: ${err.message}`, true);
  }
  const registerer = new Registerer(ua, { expires: 300 });
  phone.registerer = registerer;
  registerer.stateChange.addListener((s) => {
    if (s === RegistererState.Registered) status(`Registered as ${aor.toString()}`);
    else if (s === RegistererState.Unregistered) status('Not registered');
    buttons();
  });
  status('Registering…');
  await registerer.register({
    requestDelegate: {
      onReject: (res) => status(`Registration refused: ${res.message.statusCode} ${res.message.reasonPhrase}`, true),
    },
  });
}

async function call(text) {
  const ua = phone.ua;
  if (!ua) return;
  const target = targetUri(text, ua.configuration.uri);
  if (!target) return status('Not a number or SIP URI.', true);
  const inviter = new Inviter(ua, target, {
    sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } },
  });
  phone.session = inviter;
  buttons();
  inviter.stateChange.addListener((s) => {
    if (s === SessionState.Establishing) status(`Calling ${target.toString()}…`);
    if (s === SessionState.Established) {
      status(`In call with ${target.toString()}`);
      playRemote(inviter);
    }
    if (s === SessionState.Terminated) {
      if (phone.session === inviter) phone.session = undefined;
      status('Call ended');
      buttons();
    }
  });
  try {
    await inviter.invite({
      requestDelegate: {
        onProgress: (res) => {
          if (res.message.statusCode === 180 || res.message.statusCode === 183) status(`Ringing ${target.toString()}…`);
        },
        onReject: (res) => status(`Call refused: ${res.message.statusCode} ${res.message.reasonPhrase}`, true),
      },
    });
  } catch (err) {
    status(`Call failed: ${err.message}`, true);
    phone.session = undefined;
    buttons();
  }
}

async function hangup() {
  const s = phone.session;
  if (!s) return;
  if (s.state === SessionState.Established) await s.bye();
  else if (s.state === SessionState.Establishing || s.state === SessionState.Initial) await s.cancel();
}

async function stop() {
  await hangup().catch(() => undefined);
  if (phone.registerer?.state === RegistererState.Registered)
    await phone.registerer.unregister().catch(() => undefined);
  await phone.ua?.stop().catch(() => undefined);
  phone.ua = undefined;
  phone.registerer = undefined;
  buttons();
}

document.addEventListener('DOMContentLoaded', () => {
  $('phone-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    register(new FormData(ev.target)).catch((err) => status(`Registration failed: ${err.message}`, true));
  });
  $('phone-unregister').addEventListener('click', () => {
    void stop().then(() => status('Not registered'));
  });
  $('dial-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void call($('dial-target').value);
  });
  $('phone-hangup').addEventListener('click', () => void hangup());
  window.addEventListener('pagehide', () => void stop());
  buttons();
});
