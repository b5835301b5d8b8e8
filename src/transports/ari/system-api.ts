/** `/ari/asterisk`, `/ari/applications` and `/ari/endpoints` operations (system information and subscriptions). */
import {
  type Application,
  ApplicationSchema,
  type AsteriskInfo,
  AsteriskInfoSchema,
  type Endpoint,
  EndpointSchema,
  type Module,
  ModuleSchema,
} from '../../protocols/ari/index.js';
import { type AriHttp, type AriRequestOptions, opts, seg } from './ari-http.js';

export type AsteriskInfoSection = 'build' | 'system' | 'config' | 'status';

/** Asterisk system information and modules. */
export class AsteriskApi {
  readonly #http: AriHttp;

  constructor(http: AriHttp) {
    this.#http = http;
  }

  info(params: { readonly only?: readonly AsteriskInfoSection[] } & AriRequestOptions = {}): Promise<AsteriskInfo> {
    return this.#http.json(
      { ...opts(params), method: 'GET', path: '/asterisk/info', query: { only: params.only } },
      AsteriskInfoSchema,
    );
  }

  modules(options: AriRequestOptions = {}): Promise<Module[]> {
    return this.#http.json({ ...opts(options), method: 'GET', path: '/asterisk/modules' }, ModuleSchema.array());
  }

  module(name: string, options: AriRequestOptions = {}): Promise<Module> {
    return this.#http.json({ ...opts(options), method: 'GET', path: `/asterisk/modules/${seg(name)}` }, ModuleSchema);
  }
}

/** Stasis applications and what each one is subscribed to. */
export class ApplicationsApi {
  readonly #http: AriHttp;

  constructor(http: AriHttp) {
    this.#http = http;
  }

  list(options: AriRequestOptions = {}): Promise<Application[]> {
    return this.#http.json({ ...opts(options), method: 'GET', path: '/applications' }, ApplicationSchema.array());
  }

  get(name: string, options: AriRequestOptions = {}): Promise<Application> {
    return this.#http.json({ ...opts(options), method: 'GET', path: `/applications/${seg(name)}` }, ApplicationSchema);
  }
}

/** Configured endpoints (e.g. PJSIP endpoints) and their state. */
export class EndpointsApi {
  readonly #http: AriHttp;

  constructor(http: AriHttp) {
    this.#http = http;
  }

  list(options: AriRequestOptions = {}): Promise<Endpoint[]> {
    return this.#http.json({ ...opts(options), method: 'GET', path: '/endpoints' }, EndpointSchema.array());
  }
}
