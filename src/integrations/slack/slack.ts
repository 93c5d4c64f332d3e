// Slack, wired in two steps because the engine needs its notifier before it exists: first the notifier
// (given the store and the runbooks), then, once firebreak and the decision path exist, the Bolt app with
// its receiver, its listeners and the outbox deliverer.
import { App } from '@slack/bolt';
import { type Clock, systemClock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { Redactor } from '../../core/redact.ts';
import type { Firebreak } from '../../firebreak.ts';
import type { Ingestor } from '../../ingest/ingest.ts';
import type { RunbookRegistry } from '../../runbooks/registry.ts';
import type { Approvals } from '../../services/approvals/decide.ts';
import { databaseOf, incidentStoreOf } from '../../store/database.ts';
import type { Store } from '../../store/store.ts';
import type { AlertmanagerSettings } from '../alertmanager/settings.ts';
import { approvalActions } from './approval-actions.ts';
import { firebreakCommand } from './command.ts';
import { SlackCounters } from './counters.ts';
import { SlackDeliverer } from './deliverer.ts';
import { SlackNotifier } from './notifier.ts';
import { SlackOutbox } from './outbox.ts';
import { FetchReceiver } from './receiver.ts';
import type { SlackSettings } from './settings.ts';
import { silenceAction } from './silence-action.ts';
import { boltLogger, webClient, webClientOptions } from './web-client.ts';

export { type SlackSettings, slackSettings } from './settings.ts';

export interface SlackIntegration {
  /** Answers POST /slack/events. */
  receiver: FetchReceiver;
  notifier: SlackNotifier;
  outbox: SlackOutbox;
  counters: SlackCounters;
  /** Stop the engine first: this waits for listeners, queues what is left, then stops delivering. */
  close(): Promise<void>;
}

export interface SlackWiring {
  /** For createFirebreak's `notifier`: built once the store and the runbooks exist. */
  notifier(deps: { store: Store; registry: RunbookRegistry }): SlackNotifier;
  start(deps: {
    fb: Firebreak;
    approvals: Approvals;
    ingestor: Ingestor;
    /** Silences from the incident message's button; null: no button. */
    alertmanager?: AlertmanagerSettings | null;
  }): Promise<SlackIntegration>;
}

export function slackWiring(
  settings: SlackSettings,
  opts: { logger: Logger; redact: Redactor; clock?: Clock },
): SlackWiring {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger.child({ component: 'slack' });
  let built: { outbox: SlackOutbox; notifier: SlackNotifier; store: Store } | null = null;
  return {
    notifier({ store, registry }) {
      const outbox = new SlackOutbox(databaseOf(store), clock, opts.redact);
      const incidents = incidentStoreOf(store);
      const notifier = new SlackNotifier({
        outbox,
        store,
        registry,
        incidents,
        channels: settings.channels,
        logger,
      });
      built = { outbox, notifier, store };
      return notifier;
    },
    async start({ fb, approvals, ingestor, alertmanager = null }) {
      if (!built) throw new Error('slack: pass the wiring’s notifier to createFirebreak first');
      const { outbox, notifier, store } = built;
      const counters = new SlackCounters();
      const receiver = new FetchReceiver({
        signingSecret: settings.signingSecret,
        clock,
        logger,
        bodyLimitBytes: settings.bodyLimitBytes,
      });
      const app = new App({
        receiver,
        // One workspace, one bot token: no auth.test round trip, no OAuth.
        authorize: async () => ({ botToken: settings.botToken }),
        clientOptions: webClientOptions(settings.apiUrl, logger),
        logger: boltLogger(logger),
      });
      app.error(async (err) => logger.error('slack listener failed', { error: err.stack ?? err.message }));
      const deps = { approvals, store, outbox, logger };
      approvalActions(app, deps);
      firebreakCommand(app, { ...deps, fb, operators: settings.operators });
      silenceAction(app, {
        ...deps,
        fb,
        incidents: incidentStoreOf(store),
        alertmanager,
        operators: settings.operators,
      });

      approvals.onDecision((approval, _req, outcome) => {
        if (outcome === 'recorded') notifier.decided(approval, approval.decisions.at(-1));
      });
      ingestor.onAccepted((r) => notifier.incidentChanged(r.incidentId, r.outcome));
      const unfollow = notifier.follow(fb.engine.events);

      const deliverer = new SlackDeliverer({
        outbox,
        client: webClient(settings.botToken, settings.apiUrl, logger),
        store,
        clock,
        logger,
        counters,
        retry: settings.retry,
        pollMs: settings.pollMs,
      });
      outbox.onEnqueued(() => deliverer.poke());
      deliverer.start();
      await app.start();

      return {
        receiver,
        notifier,
        outbox,
        counters,
        async close() {
          await app.stop();
          unfollow();
          await notifier.close();
          await deliverer.stop();
        },
      };
    },
  };
}
