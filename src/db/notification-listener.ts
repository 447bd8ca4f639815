import { Client } from 'pg';

export interface ListenerLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface NotificationListenerOptions {
  /**
   * A direct session with PostgreSQL: LISTEN belongs to a session, which a transaction-pooling
   * proxy (PgBouncer) does not keep (`DATABASE_DIRECT_URL`).
   */
  readonly url: string;
  readonly channel: string;
  readonly onNotification: (payload: string) => void;
  readonly log: ListenerLog;
  /** Told each time the session was lost and is listening again. */
  readonly onReconnect?: () => void;
  readonly applicationName?: string;
}

const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 5000;

/**
 * One session that LISTENs on a channel for the whole life of the instance. When the session is
 * lost (the server restarted, the backend was terminated, the network went), it connects again
 * with a growing pause, up to 5 s, and listens again; what was notified meanwhile is not heard.
 * It logs once when the session goes and once when it is back.
 */
export class NotificationListener {
  private client: Client | undefined;
  private stopped = false;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private lost = false;
  private listening: Promise<void> | undefined;

  constructor(private readonly options: NotificationListenerOptions) {}

  /** Resolves once the first session listens; a first failure is retried like a lost session. */
  start(): Promise<void> {
    this.listening ??= new Promise((resolve) => this.connect(resolve));
    return this.listening;
  }

  /** Whether a session is listening now. */
  get isListening(): boolean {
    return this.client !== undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private connect(onListening: () => void): void {
    if (this.stopped) return;
    const client = new Client({
      connectionString: this.options.url,
      application_name: this.options.applicationName ?? 'hubs-gateway-listener',
      // A dead network shows as a dead socket within seconds instead of never.
      keepAlive: true,
      keepAliveInitialDelayMillis: 5000,
    });
    let gone = false;
    const lose = (error?: Error) => {
      if (gone) return;
      gone = true;
      if (this.client === client) this.client = undefined;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (this.stopped) return;
      if (!this.lost) {
        this.lost = true;
        this.options.log.warn({ err: error }, 'the change listener lost its database session; reconnecting');
      }
      this.retryTimer = setTimeout(() => this.connect(onListening), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
    };
    client.on('error', lose);
    client.on('end', () => lose());
    client.on('notification', (message) => {
      if (message.channel === this.options.channel && message.payload !== undefined) this.options.onNotification(message.payload);
    });
    client
      .connect()
      .then(() => client.query(`LISTEN "${this.options.channel.replace(/"/g, '""')}"`))
      .then(() => {
        if (gone || this.stopped) return;
        this.client = client;
        this.retryMs = FIRST_RETRY_MS;
        if (this.lost) {
          this.lost = false;
          this.options.log.info({}, 'the change listener is listening again');
          this.options.onReconnect?.();
        }
        onListening();
      })
      .catch(lose);
  }
}
