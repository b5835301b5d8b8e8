import { randomUUID } from 'node:crypto';
import { openaiSipDialString, SIP_CALL_ID_HEADER } from '../../config/openai-sip-route.js';
import { AppError } from '../../errors/app-error.js';
import type { AriClient } from '../../transports/ari/ari-client.js';
import { ADD_CHANNEL_RETRY, addChannelWhenInStasis, whileLive } from '../ari-setup.js';
import { SIP_LEG_ID_PREFIX } from '../media-channels.js';
import type { MediaPathCall, MediaPathSetup } from '../media-path.js';
import type { MediaPathAri } from '../stasis-ari.js';

export interface SipDialMediaPathOptions {
  readonly ari: Pick<MediaPathAri, 'bridges'> & {
    readonly channels: Pick<AriClient['channels'], 'originate' | 'hangup'>;
  };
  readonly app: string;
}

/** Extra wait for the SIP leg's answer beyond the agent's accept timeout (the agent's timeout decides first). */
const ANSWER_GRACE_MS = 5000;

/**
 * The SIP path of `openai-sip` routes: the call's agent starts without media (it waits for the provider's
 * incoming-call webhook and accepts it), Asterisk dials the provider through the route's PJSIP endpoint with our
 * call id in an `X-Ava-Call-Id` header, and the answered leg joins the caller's bridge. Audio flows between the
 * two channels inside Asterisk (SRTP to the provider) and never reaches the adapter.
 */
export class SipDialMediaPath implements MediaPathSetup {
  readonly media = 'sip' as const;
  readonly #o: SipDialMediaPathOptions;

  constructor(options: SipDialMediaPathOptions) {
    this.#o = options;
  }

  async setUp({ session, bridgeId, telephony, adopt, stasisStarted }: MediaPathCall): Promise<void> {
    const agent = session.info.route.agent;
    if (agent.kind !== 'openai-sip')
      throw new AppError('the SIP path serves openai-sip routes only', {
        code: 'MEDIA_PATH_UNAVAILABLE',
        category: 'configuration',
      });
    const { ari } = this.#o;
    const legId = `${SIP_LEG_ID_PREFIX}${randomUUID()}`;
    const endpoint = openaiSipDialString(agent);
    // The agent registers the call for the webhook before anything is dialled; it fails the call on its own.
    let bridged!: () => void;
    const inBridge = new Promise<void>((resolve) => {
      bridged = resolve;
    });
    // The call goes active (the agent may greet) only once the provider's leg is in the caller's bridge.
    session.startWithoutMedia(inBridge).catch((err: unknown) => {
      session.log.error({ err }, 'the SIP-path agent could not start');
      void session.close('agent_failed');
    });
    session.record('media.requested', { bridge: bridgeId, mediaChannel: legId, format: 'sip' });
    session.log.info({ endpoint, channel: legId }, 'dialling the provider over SIP');
    let adopted = false;
    const live = whileLive(session);
    try {
      await ari.channels.originate({
        endpoint,
        app: this.#o.app,
        appArgs: ['openai-sip'],
        channelId: legId,
        timeout: Math.ceil((agent.acceptTimeoutMs + ANSWER_GRACE_MS) / 1000),
        variables: { [`PJSIP_HEADER(add,${SIP_CALL_ID_HEADER})`]: session.id },
      });
      const timeout = AbortSignal.timeout(agent.acceptTimeoutMs + ANSWER_GRACE_MS);
      try {
        await stasisStarted(legId, AbortSignal.any([live.signal, timeout]));
      } catch (err) {
        if (session.closing) return;
        session.record('agent.failed', {
          code: 'SIP_NOT_ANSWERED',
          message: 'the provider did not answer the SIP leg',
        });
        void session.close('agent_failed');
        throw err;
      }
      adopted = true;
      adopt(legId);
      if (session.closing) return void (await telephony.release());
      await addChannelWhenInStasis(ari, bridgeId, legId, { ...ADD_CHANNEL_RETRY, signal: live.signal });
      bridged();
      session.log.info({ channel: legId }, 'provider SIP leg answered and bridged with the caller');
    } finally {
      live.dispose();
      if (!adopted) await ari.channels.hangup(legId).catch(() => undefined);
    }
  }
}
