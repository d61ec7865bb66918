import { describe, expect, it } from 'vitest';
import { millisText, oncePerSecond } from './time-text.js';

describe('time as text', () => {
  it('oncePerSecond formats each second once and serves it for every millisecond in it', () => {
    const seconds: number[] = [];
    const text = oncePerSecond((s) => (seconds.push(s), `s${s}`));
    expect([text(5_000), text(5_999), text(6_000), text(6_500), text(5_100)]).toEqual(['s5', 's5', 's6', 's6', 's5']);
    expect(seconds).toEqual([5, 6, 5]);
  });

  it('millisText gives the milliseconds as three digits, fractions dropped', () => {
    expect([millisText(1_000), millisText(1_007.9), millisText(1_042), millisText(1_999), millisText(Date.UTC(2026, 0, 1, 0, 0, 0, 5))]).toEqual(['000', '007', '042', '999', '005']);
  });
});
