import type { FastifyInstance } from 'fastify';
import type { TokenVerifier } from '../auth/token-verifier';
import type { Database } from '../db/database';
import { NotificationListener, type ListenerLog } from '../db/notification-listener';
import type { GraphQLModule } from '../graphql/module';
import type { AccessHook } from '../http/access';
import type { UnreadableUrlProblem } from '../http/error-handler';
import type { OpenApiPart } from '../http/openapi';
import { IdempotencyRepository } from '../idempotency/idempotency.repository';
import { hubGraphQLModule } from './hub.graphql';
import { HUB_CHANGES_CHANNEL, HubRepository } from './hub.repository';
import { HUB_COLLECTION_PATH, hubRoutes } from './hub.routes';
import { problem } from './hub.rules';
import { HUB_OPENAPI } from './hub.schemas';
import { HubService } from './hub.service';

/** What the REST routes need of the app besides the service. */
export interface HubRestAccess {
  readonly verifier: TokenVerifier;
  readonly rateLimit: AccessHook;
}

/** Hubs, as the app plugs them into the kits: one service behind both views. */
export interface HubModule {
  readonly service: HubService;
  readonly idempotency: IdempotencyRepository;
  readonly graphql: GraphQLModule;
  readonly openApi: OpenApiPart;
  /** Under the collection, an unreadable URL is an unreadable hub id (305). */
  readonly unreadableUrls: readonly UnreadableUrlProblem[];
  registerRoutes(app: FastifyInstance, access: HubRestAccess): Promise<void>;
  /**
   * Hears the changes every instance commits (PostgreSQL's notifications, on a session of its own)
   * and hands them to this instance's subscriptions. `url` must reach PostgreSQL directly.
   */
  changeListener(options: { readonly url: string; readonly log: ListenerLog; readonly onReconnect: () => void }): NotificationListener;
}

export function hubModule(database: Database, options: { readonly requestTimeoutMs: number }): HubModule {
  const idempotency = new IdempotencyRepository(database, { timeoutMs: options.requestTimeoutMs });
  const repository = new HubRepository(database);
  const service = new HubService(repository, idempotency);
  return {
    service,
    idempotency,
    graphql: hubGraphQLModule(service),
    openApi: HUB_OPENAPI,
    unreadableUrls: [{ prefix: `${HUB_COLLECTION_PATH}/`, problem: problem('hubId', 'type') }],
    async registerRoutes(app, access) {
      await app.register(hubRoutes, { hubService: service, ...access });
    },
    changeListener({ url, log, onReconnect }) {
      const announcements = repository.announcements();
      return new NotificationListener({
        url,
        channel: HUB_CHANGES_CHANNEL,
        log,
        onReconnect,
        onNotification: (payload) => {
          try {
            const change = announcements.read(payload);
            if (change !== undefined) service.changes.publish(change);
          } catch (error) {
            // Not one of ours (someone else's NOTIFY on the channel): nothing to announce.
            log.warn({ err: error }, 'an unreadable hub change notification was ignored');
          }
        },
      });
    },
  };
}
