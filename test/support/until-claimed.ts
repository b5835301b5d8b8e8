/**
 * Connects an agent that claims a call by id until the claim succeeds. A claim by id is refused (4404) while the
 * call does not wait yet: with media workers the call starts waiting in the primary only once its worker's agent
 * asked (`agent.wait`), a few milliseconds after the call's session is `connecting`; a real client retries as this
 * does (or claims by route, which waits).
 */
export async function untilClaimed<S, E>(
  connect: () => Promise<S>,
  incoming: (session: S) => Promise<E>,
  options: { tries?: number; pauseMs?: number; onSession?: (session: S) => void } = {},
): Promise<{ session: S; incoming: E }> {
  const tries = options.tries ?? 50;
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    const session = await connect();
    options.onSession?.(session);
    try {
      return { session, incoming: await incoming(session) };
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, options.pauseMs ?? 100));
    }
  }
  throw new Error(`no claim succeeded in ${tries} tries: ${String(last)}`);
}
