/**
 * The plain-text control form of chan_websocket: a NAME, then space-separated `key:value` tokens. A bare token
 * fills the one positional field a message has (e.g. a correlation id); for ERROR the rest of the line is the text.
 */
export interface PlainTextMessage {
  readonly name: string;
  readonly fields: Record<string, string>;
}

export function parsePlainText(
  text: string,
  positional: Readonly<Record<string, string>>,
): PlainTextMessage | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const space = trimmed.indexOf(' ');
  const name = space < 0 ? trimmed : trimmed.slice(0, space);
  const rest = space < 0 ? '' : trimmed.slice(space + 1).trim();
  const fields: Record<string, string> = {};
  const field = positional[name];
  if (name === 'ERROR' && field) {
    const m = /^error_text:(.*)$/s.exec(rest);
    if (rest !== '') fields[field] = m ? (m[1] ?? '') : rest;
    return { name, fields };
  }
  for (const token of rest.split(/\s+/)) {
    if (token === '') continue;
    const colon = token.indexOf(':');
    if (colon > 0) fields[token.slice(0, colon)] = token.slice(colon + 1);
    else if (field && fields[field] === undefined) fields[field] = token;
  }
  return { name, fields };
}
