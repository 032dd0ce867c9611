/** The service's event bus: what core reports, pushed to every subscribed client. */
import { EventEmitter } from 'node:events';
import type { ApiClient, EventName, EventPayload } from '../contract.js';

export type Emit = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

export type EventBus = { emit: Emit; on: ApiClient['on'] };

/** A bus for the contract's events; `on` returns the unsubscribe function. */
export function createEventBus(): EventBus {
  const events = new EventEmitter();
  // Every connected window and socket subscribes to every event.
  events.setMaxListeners(100);
  return {
    emit: (event, payload) => void events.emit(event, payload),
    on: (event, listener) => {
      events.on(event, listener as (payload: unknown) => void);
      return () => events.off(event, listener as (payload: unknown) => void);
    },
  };
}
