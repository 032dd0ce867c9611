/**
 * Moving focus somewhere sensible when what had it goes away (a button replaced, a view
 * changed): without this it drops to <body> and a keyboard or screen-reader user starts over.
 */
import { tick } from 'svelte';

/**
 * After the pending DOM update, focuses the first element matching `selector` (made
 * focusable with tabindex=-1 where it is not, e.g. a heading). False when none matched.
 */
export async function focusAfterRender(selector: string): Promise<boolean> {
  await tick();
  const element = document.querySelector<HTMLElement>(selector);
  if (!element) return false;
  if (element.tabIndex < 0 && !element.hasAttribute('tabindex')) element.setAttribute('tabindex', '-1');
  element.focus();
  return document.activeElement === element;
}

/** True when nothing has focus (it fell back to <body>). */
export function focusIsLost(): boolean {
  return !document.activeElement || document.activeElement === document.body;
}
