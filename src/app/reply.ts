/**
 * What the app says to a user in chat, before any platform renders it: paragraphs, a smaller note,
 * and link buttons. Every string in it is already translated. Each adapter renders it its own way
 * (Rocket.Chat: UI Kit blocks in an ephemeral message).
 */

export interface LinkButton {
  label: string;
  url: string;
  /** Stable name, so clients and tests can tell buttons apart. */
  actionId: string;
  style?: 'primary' | 'danger';
}

export interface Reply {
  /** Paragraphs, each in the platform's markdown. */
  sections: string[];
  /** A smaller line under the sections. */
  note?: string;
  buttons?: LinkButton[];
}

/** The plain-text form of a reply: notifications, and clients that render no blocks. */
export function textOf(reply: Reply): string {
  return [...reply.sections, ...(reply.note ? [reply.note] : [])].join('\n');
}
