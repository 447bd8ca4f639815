import { connect, type Socket } from 'node:net';

/** One response read off a raw connection. */
export interface RawResponse {
  readonly status: number;
  /** Header lines, lower-cased. */
  readonly head: string;
  readonly body: string;
}

/** The responses that came back on one raw connection, in order. */
export function responsesOf(raw: string): RawResponse[] {
  return raw
    .split(/(?=HTTP\/1\.1 \d{3} )/)
    .filter(Boolean)
    .map((response) => {
      const [head = '', body = ''] = response.split('\r\n\r\n');
      return { status: Number(head.slice(9, 12)), head: head.toLowerCase(), body };
    });
}

/**
 * A raw TCP connection to a gateway, for what `fetch` cannot do: send a request in pieces, slowly,
 * or never finish it, and see when the server closes the connection.
 */
export class RawConnection {
  private readonly socket: Socket;
  private received = '';
  private readonly startedAt = performance.now();
  /** Milliseconds from opening to the server closing the connection; undefined while it is open. */
  closedAfterMs: number | undefined;
  readonly closed: Promise<void>;

  constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = connect(Number(port), hostname);
    this.socket.on('data', (chunk) => (this.received += chunk.toString()));
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      this.socket.on('close', () => {
        this.closedAfterMs = performance.now() - this.startedAt;
        resolve();
      }),
    );
  }

  write(text: string): void {
    if (!this.socket.destroyed) this.socket.write(text);
  }

  /** Writes `text` one byte every `intervalMs`, until it is all sent or the server closes. */
  async drip(text: string, intervalMs: number): Promise<void> {
    for (const byte of text) {
      if (this.closedAfterMs !== undefined) return;
      this.write(byte);
      await sleep(intervalMs);
    }
  }

  responses(): RawResponse[] {
    return responsesOf(this.received);
  }

  /** Waits for the server to close, but at most `ms`; true when it did close. */
  async closedWithin(ms: number): Promise<boolean> {
    await Promise.race([this.closed, sleep(ms)]);
    return this.closedAfterMs !== undefined;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The head of a request with a JSON body of `length` bytes, ready for the body to follow. */
export function requestHead(method: string, path: string, headers: Record<string, string>, length: number): string {
  const lines = Object.entries({ host: 'gateway', 'content-type': 'application/json', 'content-length': String(length), ...headers });
  return `${method} ${path} HTTP/1.1\r\n${lines.map(([name, value]) => `${name}: ${value}`).join('\r\n')}\r\n\r\n`;
}
