// The example browser agent: takes a waiting call at the adapter's /v1/agent/webrtc endpoint, answers its WebRTC
// offer with the microphone, plays the caller, and measures what it hears. Plain browser JavaScript, no build step.
// Query parameters preset the form: ?token=…&route=…&autoAnswer=1&processing=off&endpoint=ws://…
// `window.agentState` exposes what happened (for automated checks and for curious people with devtools open).

(() => {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const state = {
    status: 'idle',
    events: [],
    calls: 0,
    codec: undefined,
    remote: { rmsDb: -120, peakHz: 0, frames: 0, loudFrames: 0, peaks: [] },
  };
  window.agentState = state;

  /** Plays the caller (not in the page markup: a live call has no captions track to offer). */
  const remoteAudio = new Audio();
  remoteAudio.autoplay = true;
  let ws;
  let pc;
  let mic;
  let audioCtx;
  let meterTimer;
  let pendingCandidates = [];

  const defaultEndpoint = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/agent/webrtc`;
  $('endpoint').value = params.get('endpoint') ?? defaultEndpoint;
  $('token').value = params.get('token') ?? '';
  $('route').value = params.get('route') ?? '';
  $('autoAnswer').checked = params.get('autoAnswer') === '1';
  $('processing').checked = params.get('processing') !== 'off';

  function log(...parts) {
    const line = `${new Date().toISOString().slice(11, 23)} ${parts.join(' ')}`;
    $('log').textContent += `${line}\n`;
    $('log').scrollTop = $('log').scrollHeight;
  }

  function setStatus(status) {
    state.status = status;
    $('status').textContent = status;
  }

  function send(message) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  function connect() {
    const url = new URL($('endpoint').value);
    if ($('token').value) url.searchParams.set('access_token', $('token').value);
    if ($('route').value) url.searchParams.set('route', $('route').value);
    ws = new WebSocket(url);
    $('connect').disabled = true;
    $('disconnect').disabled = false;
    setStatus('waiting for a call');
    ws.onmessage = (m) => onMessage(JSON.parse(m.data));
    ws.onclose = (e) => {
      log('connection closed', e.code, e.reason);
      endCall();
      ws = undefined;
      const again = $('stayAvailable').checked && state.status !== 'stopped' && e.code !== 4401;
      $('connect').disabled = again;
      $('disconnect').disabled = !again;
      if (again && state.calls > 0) setTimeout(connect, 500);
      else setStatus(e.code === 1006 && state.calls === 0 ? 'refused (check the token)' : 'not connected');
    };
  }

  async function onMessage(m) {
    state.events.push(m.event ?? m.command);
    if (m.event !== 'candidate') log('←', m.event, m.event === 'offer' ? '' : JSON.stringify(m).slice(0, 160));
    switch (m.event) {
      case 'incoming':
        state.calls += 1;
        $('caller').textContent = m.caller || 'unknown';
        $('callee').textContent = m.callee || '–';
        $('callRoute').textContent = m.route;
        $('call').style.display = 'block';
        $('answer').disabled = false;
        $('reject').disabled = false;
        setStatus('ringing');
        if ($('autoAnswer').checked) await answer();
        return;
      case 'offer':
        await onOffer(m.sdp);
        return;
      case 'candidate':
        if (!pc || !pc.remoteDescription) pendingCandidates.push(m);
        else await pc.addIceCandidate(m.candidate === '' ? null : m).catch((e) => log('candidate refused', e));
        return;
      case 'answer':
        setStatus('in call');
        $('hangup').disabled = false;
        return;
      case 'hangup':
        setStatus(`call ended (${m.reason})`);
        endCall();
        return;
      default:
        return;
    }
  }

  async function answer() {
    $('answer').disabled = true;
    $('reject').disabled = true;
    const processing = $('processing').checked;
    try {
      mic = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: processing, noiseSuppression: processing, autoGainControl: processing },
      });
    } catch (e) {
      log('no microphone:', e.message);
      send({ command: 'reject', reason: 'no microphone' });
      return;
    }
    send({ command: 'accept' });
    setStatus('connecting media');
  }

  async function onOffer(sdp) {
    pc = new RTCPeerConnection({ iceServers: [] });
    for (const track of mic.getAudioTracks()) pc.addTrack(track, mic);
    pc.onicecandidate = (e) => {
      const c = e.candidate ? e.candidate.toJSON() : { candidate: '', sdpMid: '0', sdpMLineIndex: 0 };
      send({ command: 'candidate', ...c });
    };
    pc.onconnectionstatechange = () => log('peer connection', pc?.connectionState);
    pc.ontrack = (e) => playAndMeasure(e.streams[0] ?? new MediaStream([e.track]));
    await pc.setRemoteDescription({ type: 'offer', sdp });
    for (const c of pendingCandidates.splice(0))
      await pc.addIceCandidate(c.candidate === '' ? null : c).catch(() => {});
    const answerDesc = await pc.createAnswer();
    await pc.setLocalDescription(answerDesc);
    const codec = /m=audio \d+ \S+ (\d+)/.exec(pc.localDescription.sdp)?.[1];
    const name = new RegExp(`a=rtpmap:${codec} ([^/\\r\\n]+)`).exec(pc.localDescription.sdp)?.[1];
    state.codec = name;
    $('codec').textContent = name ?? '?';
    send({ command: 'answer', sdp: pc.localDescription.sdp });
  }

  function playAndMeasure(stream) {
    // Chrome only feeds a remote WebRTC stream into WebAudio while a media element plays it.
    remoteAudio.srcObject = stream;
    audioCtx = new AudioContext();
    void audioCtx.resume();
    const analyser = audioCtx.createAnalyser();
    analyser.fftSize = 4096;
    audioCtx.createMediaStreamSource(stream).connect(analyser);
    const time = new Float32Array(analyser.fftSize);
    const freq = new Float32Array(analyser.frequencyBinCount);
    meterTimer = setInterval(() => {
      analyser.getFloatTimeDomainData(time);
      analyser.getFloatFrequencyData(freq);
      let sum = 0;
      for (const v of time) sum += v * v;
      const rmsDb = 10 * Math.log10(sum / time.length + 1e-12);
      let peak = 1;
      for (let i = 2; i < freq.length; i += 1) if (freq[i] > freq[peak]) peak = i;
      const peakHz = (peak * audioCtx.sampleRate) / analyser.fftSize;
      const r = state.remote;
      r.rmsDb = rmsDb;
      r.peakHz = peakHz;
      r.frames += 1;
      if (rmsDb > -50) {
        r.loudFrames += 1;
        r.peaks.push(Math.round(peakHz));
        if (r.peaks.length > 50) r.peaks.shift();
      }
      $('level').value = Math.max(-80, rmsDb);
      $('levelText').textContent = `${rmsDb.toFixed(1)} dBFS`;
      $('peak').textContent = rmsDb > -50 ? peakHz.toFixed(0) : '–';
    }, 100);
  }

  function endCall() {
    clearInterval(meterTimer);
    meterTimer = undefined;
    pc?.close();
    pc = undefined;
    for (const t of mic?.getTracks() ?? []) t.stop();
    mic = undefined;
    void audioCtx?.close();
    audioCtx = undefined;
    pendingCandidates = [];
    $('hangup').disabled = true;
    $('answer').disabled = true;
    $('reject').disabled = true;
  }

  $('connect').onclick = () => connect();
  $('disconnect').onclick = () => {
    setStatus('stopped');
    ws?.close(1000, 'agent left');
  };
  $('answer').onclick = () => void answer();
  $('reject').onclick = () => send({ command: 'reject', reason: 'declined' });
  $('hangup').onclick = () => send({ command: 'hangup', reason: 'agent hung up' });
  if (params.get('token') !== null) connect();
})();
