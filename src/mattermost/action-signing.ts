/**
 * Button clicks come with no authentication at all (server/channels/app/integration_action.go posts
 * the action request to our URL as is): anyone who knows the action URL can post one. So every
 * button carries, in its confidential `context` (the server strips `integration` from posts it sends
 * to clients, model/integration_action.go), an HMAC over the action, the user it was shown to, its
 * expiry and its value. A click is honoured only when the MAC holds, it has not expired, and the
 * request's `user_id` is that user.
 */
import { createHmac } from 'node:crypto';
import { sameSecret } from '../app/web/browser-cookie';
import * as z from 'zod/mini';
import '../core/zod-messages';

export interface SignedAction {
  /** What the button does, e.g. `oauth-connect`. */
  action: string;
  /** The Mattermost user the button was shown to. */
  userId: string;
  /** Epoch ms after which the click is refused. */
  expiresAt: number;
  /** The action's argument (the Connect link's URL). */
  value: string;
  /** The button's text, to name the link the click answers with. */
  label: string;
}

const contextSchema = z.object({
  a: z.string().check(z.maxLength(64)),
  u: z.string().check(z.maxLength(64)),
  e: z.number(),
  v: z.string().check(z.maxLength(2048)),
  l: z.string().check(z.maxLength(200)),
  s: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/)),
});

export type ActionRefusal = 'malformed' | 'forged' | 'expired' | 'other_user';

export class ActionSigner {
  private readonly key: Buffer;

  /** `key`: 32 bytes of its own (derived from the service's sealing key, never that key itself). */
  constructor(key: Uint8Array) {
    this.key = Buffer.from(key);
  }

  context(action: SignedAction): Record<string, unknown> {
    return { a: action.action, u: action.userId, e: action.expiresAt, v: action.value, l: action.label, s: this.mac(action) };
  }

  /** The signed action, when the click is genuine, in time and by the user it was meant for. */
  verify(context: unknown, clickedBy: string, now: number): { ok: true; action: SignedAction } | { ok: false; refusal: ActionRefusal } {
    const parsed = contextSchema.safeParse(context);
    if (!parsed.success) return { ok: false, refusal: 'malformed' };
    const { a, u, e, v, l, s } = parsed.data;
    const action: SignedAction = { action: a, userId: u, expiresAt: e, value: v, label: l };
    if (!sameSecret(s, this.mac(action))) return { ok: false, refusal: 'forged' };
    if (u !== clickedBy) return { ok: false, refusal: 'other_user' };
    if (now > e) return { ok: false, refusal: 'expired' };
    return { ok: true, action };
  }

  private mac(action: SignedAction): string {
    // JSON of an array: no separator in a value can make two different actions sign alike.
    const message = JSON.stringify(['v1', action.action, action.userId, action.expiresAt, action.value, action.label]);
    return createHmac('sha256', this.key).update(message).digest('base64url');
  }
}
