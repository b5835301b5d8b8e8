/** A VAD worker entry that fails while loading, before it can report ready. */
export {};
throw new Error('worker entry failed to load');
