import { ACCESS_CHANNEL } from '../db/access-triggers.js';
import type { NotificationHandler } from '../db/notification-listener.js';
import { parseAccessChange, type ServingFactsCache } from './serving-facts.js';

export { LISTENER_APPLICATION_NAME } from '../db/notification-listener.js';

/**
 * What links grant, kept right by every instance's access changes: the NOTIFYs on ACCESS_CHANNEL go to
 * the cache, and while they may be missed the cache is not trusted (every lookup reads the database).
 */
export function accessNotifications(cache: ServingFactsCache): NotificationHandler {
  return {
    channel: ACCESS_CHANNEL,
    notify(payload) {
      const change = parseAccessChange(payload);
      if (change) cache.forget(change);
    },
    setTrusted: (trusted) => cache.setTrusted(trusted),
  };
}
