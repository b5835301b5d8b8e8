/**
 * Where ARI lives and how to authenticate: the normalised `/ari` root URL, the Basic credentials, and the URLs
 * derived from them. Credentials never appear in a URL this module returns for display.
 */
import { AppError } from '../../errors/index.js';

export interface AriEndpointOptions {
  /**
   * Asterisk's HTTP server, e.g. `http://127.0.0.1:8088` or `https://pbx.example:8089`; a path prefix and a
   * trailing `/ari` are accepted. Must not carry credentials (pass `username`/`password`).
   * For a private CA with https, start node with NODE_EXTRA_CA_CERTS.
   */
  readonly baseUrl: string;
  readonly username: string;
  readonly password: string;
}

/** A validated ARI location plus credentials. */
export class AriEndpoint {
  /** e.g. `http://127.0.0.1:8088/ari` (no trailing slash, no credentials). */
  readonly root: string;
  readonly username: string;
  readonly #password: string;

  constructor(options: AriEndpointOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch (cause) {
      throw new AppError('ARI base URL is not a valid URL', { code: 'ARI_CONFIG', category: 'configuration', cause });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new AppError(`ARI base URL must use http or https, not ${url.protocol}`, {
        code: 'ARI_CONFIG',
        category: 'configuration',
      });
    }
    if (url.username !== '' || url.password !== '') {
      throw new AppError('ARI base URL must not contain credentials; pass username and password instead', {
        code: 'ARI_CONFIG',
        category: 'configuration',
      });
    }
    if (options.username === '') {
      throw new AppError('ARI username is empty', { code: 'ARI_CONFIG', category: 'configuration' });
    }
    let path = url.pathname.replace(/\/+$/, '');
    if (!path.endsWith('/ari')) path = `${path}/ari`;
    this.root = `${url.origin}${path}`;
    this.username = options.username;
    this.#password = options.password;
  }

  /** The value of the HTTP Authorization header. */
  authorizationHeader(): string {
    return `Basic ${Buffer.from(`${this.username}:${this.#password}`).toString('base64')}`;
  }

  /** The secrets to scrub from any text that leaves this layer. */
  secrets(): readonly string[] {
    return [this.#password, `${this.username}:${this.#password}`];
  }

  /** The `api_key` query value (`user:password`). */
  apiKey(): string {
    return `${this.username}:${this.#password}`;
  }

  /** The ws(s) URL of `/ari/events` for the given query, without credentials. */
  eventsUrl(query: URLSearchParams): URL {
    const url = new URL(`${this.root}/events`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.search = query.toString();
    return url;
  }

  toJSON(): Record<string, string> {
    return { root: this.root, username: this.username };
  }
}
