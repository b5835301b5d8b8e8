// The console's web phone: sip.js (served by the adapter from node_modules) registers to a SIP-over-WebSocket
// registrar — Asterisk's transport-wss with the `webphone` endpoint (asterisk-conf/pjsip_webphone.conf) — and calls a
// route. When the adapter ends the call, the console's live feed says why (matched by the SIP Call-ID).
import { describeReason } from './call-reasons.js';
import { Inviter, Registerer, RegistererState, SessionState, UserAgent } from './vendor/sip.js/index.js';

const $ = (id) => document.getElementById(id);
const phone = { ua: undefined, registerer: undefined, session: undefined, lastCallId: undefined, lastEnded: false };
/** Why recent calls ended, by SIP Call-ID, from the console feed (at most `MAX_ENDS`, oldest dropped). */
const ends = new Map();
const MAX_ENDS = 50;

function endedStatus(callId) {
  const end = ends.get(callId);
  return end ? `Call ended: ${describeReason(end.reason)}` : 'Call ended';
}

document.addEventListener('ava:call-ended', (ev) => {
  const { sipCallId, reason, initiator } = ev.detail ?? {};
  if (!sipCallId) return;
  ends.set(sipCallId, { reason, initiator });
  if (ends.size > MAX_ENDS) ends.delete(ends.keys().next().value);
  // The feed may report the reason after the phone saw the BYE.
  if (phone.lastEnded && phone.lastCallId === sipCallId) status(endedStatus(sipCallId), reason !== 'caller_hangup');
});

/** Chromium says only "WebSocket closed … (code: 1006)" when it refuses the server's certificate. */
function connectHint(server) {
  try {
    const url = new URL(server);
    if (url.protocol !== 'wss:') return '';
    return ` If Asterisk uses a self-signed certificate, open https://${url.host}${url.pathname} in this browser once and accept it (or use a trusted certificate).`;
  } catch {
    return '';
  }
}
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
  const server = form.get('server').trim();
  const ua = new UserAgent({
    uri: aor,
    transportOptions: { server },
    ...(user ? { authorizationUsername: user, authorizationPassword: form.get('password') } : {}),
    sessionDescriptionHandlerFactoryOptions: {
      peerConnectionConfiguration: { iceServers: [] },
      iceGatheringTimeout: 1000,
    },
    logBuiltinEnabled: false,
    delegate: {
      onDisconnect: (err) => {
        if (err) status(`SIP connection lost: ${err.message}.${connectHint(server)}`, true);
      },
    },
  });
  phone.ua = ua;
  status('Connecting…');
  try {
    await ua.start();
  } catch (err) {
    phone.ua = undefined;
    return status(`Could not reach the SIP server: ${err.message}.${connectHint(server)}`, true);
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
  phone.lastCallId = inviter.request.callId;
  phone.lastEnded = false;
  buttons();
  inviter.stateChange.addListener((s) => {
    if (s === SessionState.Establishing) status(`Calling ${target.toString()}…`);
    if (s === SessionState.Established) {
      status(`In call with ${target.toString()}`);
      playRemote(inviter);
    }
    if (s === SessionState.Terminated) {
      if (phone.session === inviter) phone.session = undefined;
      phone.lastEnded = phone.lastCallId === inviter.request.callId;
      const end = ends.get(inviter.request.callId);
      status(endedStatus(inviter.request.callId), end !== undefined && end.reason !== 'caller_hangup');
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
