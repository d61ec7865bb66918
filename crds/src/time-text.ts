// Time as text on hot paths (access lines, API Gateway events, trace ids, function logs): the
// part up to the second is formatted once a second, since formatting a Date costs about a
// microsecond and these run on every request.

/**
 * `format(second)` for the epoch second of `epochMs`, computed again only when the second changes.
 * Each call of oncePerSecond has its own cache.
 */
export function oncePerSecond(format: (epochSecond: number) => string): (epochMs: number) => string {
  let cachedSecond = Number.NaN;
  let cachedText = '';
  return (epochMs) => {
    const second = Math.floor(epochMs / 1000);
    if (second !== cachedSecond) {
      cachedText = format(second);
      cachedSecond = second;
    }
    return cachedText;
  };
}

/** The milliseconds within the second of `epochMs`, as three digits (`007`). */
export function millisText(epochMs: number): string {
  const ms = Math.floor(epochMs - Math.floor(epochMs / 1000) * 1000);
  return ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : String(ms);
}
