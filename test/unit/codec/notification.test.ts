import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../../src/codec/message.js';
import { shutdownCommunicationBytes, shutdownNotification } from '../../../src/codec/notification.js';
import type { NotificationMsg } from '../../../src/codec/types.js';
import { ctx, hex, message } from './bytes.js';

describe('NOTIFICATION (RFC 4271 4.5)', () => {
  it('decodes code, subcode and data, and encodes them back', () => {
    const m = message(3, '0201 0004');
    const msg = decodeMessage(m, ctx());
    expect(msg).toEqual({ kind: 'notification', code: 2, subcode: 1, data: hex('0004') });
    expect(encodeMessage(msg, ctx()).equals(m)).toBe(true);
  });

  it('decodes a NOTIFICATION without data', () => {
    expect(decodeMessage(message(3, '0400'), ctx())).toEqual({ kind: 'notification', code: 4, subcode: 0, data: Buffer.alloc(0) });
  });

  it('copies the data so the frame can be reused', () => {
    const m = message(3, '0302 aabb');
    const msg = decodeMessage(m, ctx()) as NotificationMsg;
    m.fill(0);
    expect(msg.data.toString('hex')).toBe('aabb');
  });

  it('cuts data that would not fit the maximum message length', () => {
    const msg: NotificationMsg = { kind: 'notification', code: 7, subcode: 1, data: Buffer.alloc(5000) };
    expect(encodeMessage(msg, ctx()).length).toBe(4096);
  });
});

describe('shutdown communication (RFC 9003)', () => {
  it('decodes the text of an Administrative Shutdown', () => {
    const text = Buffer.from('maintenance, back at 14:00 UTC', 'utf8');
    const m = message(3, Buffer.concat([hex('0602'), Buffer.from([text.length]), text]));
    const msg = decodeMessage(m, ctx());
    expect(msg).toEqual({
      kind: 'notification',
      code: 6,
      subcode: 2,
      data: Buffer.concat([Buffer.from([text.length]), text]),
      shutdownCommunication: 'maintenance, back at 14:00 UTC',
    });
    expect(encodeMessage(msg, ctx()).equals(m)).toBe(true);
  });

  it('decodes UTF-8 text of an Administrative Reset', () => {
    const msg = decodeMessage(message(3, '0604 06 c3a9c3a9c3a9'), ctx()) as NotificationMsg;
    expect(msg.shutdownCommunication).toBe('ééé');
  });

  it('keeps data that is not a valid communication as data only', () => {
    for (const body of ['0602 05 6162', '0602 02 c328', '0604 00 00', '0602']) {
      const msg = decodeMessage(message(3, body), ctx()) as NotificationMsg;
      expect(msg.shutdownCommunication, body).toBeUndefined();
    }
  });

  it('reads no communication from other Cease subcodes', () => {
    const msg = decodeMessage(message(3, '0603 02 6869'), ctx()) as NotificationMsg;
    expect(msg.shutdownCommunication).toBeUndefined();
  });

  it('encodes the communication instead of the data when both are given', () => {
    const msg: NotificationMsg = { kind: 'notification', code: 6, subcode: 2, data: hex('ffff'), shutdownCommunication: 'bye' };
    expect(encodeMessage(msg, ctx()).subarray(19).toString('hex')).toBe('0602' + '03' + Buffer.from('bye').toString('hex'));
  });

  it('truncates a communication to 255 octets without splitting a character', () => {
    const text = 'é'.repeat(200); // 400 octets
    const b = shutdownCommunicationBytes(text);
    expect(b.length).toBe(254);
    expect(b.toString('utf8')).toBe('é'.repeat(127));
    const n = shutdownNotification(2, text);
    expect(n.data.readUInt8(0)).toBe(254);
    expect(n.shutdownCommunication).toBe('é'.repeat(127));
  });

  it('builds a Cease NOTIFICATION that decodes to the same message', () => {
    const n = shutdownNotification(4, 'rebooting');
    expect(decodeMessage(encodeMessage(n, ctx()), ctx())).toEqual(n);
  });
});
