/**
 * Forwarding core events to a transport: every name of `EVENT_NAMES` (the contract's event
 * table), so an event added to the contract reaches every client with no edit here.
 */
import { EVENT_NAMES, type ApiClient, type EventName } from '../api/contract.js';

/** One event as every transport sends it. */
export type EventMessage = { event: EventName; payload: unknown };

/**
 * Subscribes once to every core event and hands each to `sink` as `{ event, payload }`.
 * Returns the function that unsubscribes all of them.
 */
export function forwardEvents(service: Pick<ApiClient, 'on'>, sink: (message: EventMessage) => void): () => void {
  const unsubscribers = EVENT_NAMES.map((event) => service.on(event, (payload) => sink({ event, payload })));
  return () => unsubscribers.forEach((off) => off());
}
