// The instance channel's frames: encode/decode round trip across arbitrary chunk boundaries,
// oversized bodies skipped (reported, not kept), corrupt lengths refused.
import { describe, expect, it } from 'vitest';
import { encodeFrame, type Frame, FrameDecoder, FRAME_EVENT, FRAME_RESPONSE } from './instance-channel.js';

const collect = (d: FrameDecoder, chunks: Buffer[]) => {
  const out: Frame[] = [];
  for (const c of chunks) d.push(c, (f) => out.push(f));
  return out;
};

describe('instance channel frames', () => {
  it('decodes frames split anywhere and several in one chunk', () => {
    const a = encodeFrame(FRAME_EVENT, 'id-1\u00001700000000000\u0000arn\u0000\u0000{"é":1}\u0000', Buffer.from('{"x":1}'));
    const b = encodeFrame(FRAME_RESPONSE, 'id-1', Buffer.from('"ok"'));
    const all = Buffer.concat([a, b]);
    for (let cut = 0; cut <= all.length; cut++) {
      const frames = collect(new FrameDecoder(1024), [all.subarray(0, cut), all.subarray(cut)]);
      expect(frames.map((f) => [f.kind, f.meta, f.body.toString(), f.tooLarge])).toEqual([
        [FRAME_EVENT, 'id-1\u00001700000000000\u0000arn\u0000\u0000{"é":1}\u0000', '{"x":1}', false],
        [FRAME_RESPONSE, 'id-1', '"ok"', false],
      ]);
    }
    const byteByByte = collect(new FrameDecoder(1024), [...all].map((x) => Buffer.from([x])));
    expect(byteByByte).toHaveLength(2);
  });

  it('skips a body over the limit without keeping it, then goes on', () => {
    const big = encodeFrame(FRAME_RESPONSE, 'id-2', Buffer.alloc(5000, 1));
    const next = encodeFrame(FRAME_RESPONSE, 'id-3', Buffer.from('"small"'));
    const all = Buffer.concat([big, next]);
    const frames = collect(new FrameDecoder(4096), [all.subarray(0, 100), all.subarray(100, 3000), all.subarray(3000)]);
    expect(frames.map((f) => [f.meta, f.body.length, f.tooLarge])).toEqual([
      ['id-2', 0, true],
      ['id-3', 7, false],
    ]);
  });

  it('refuses a frame whose lengths do not add up', () => {
    const bad = Buffer.alloc(9);
    bad.writeUInt32BE(5, 0);
    bad[4] = FRAME_RESPONSE;
    bad.writeUInt32BE(100, 5);
    const d = new FrameDecoder(1024);
    expect(collect(d, [bad])).toEqual([]);
    expect(d.failed).toMatch(/bad frame/);
  });
});
