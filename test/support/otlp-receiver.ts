import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as a collector receives it, the same whichever OTLP encoding carried it. */
export interface ReceivedSpan {
  readonly scope: string;
  readonly traceId: string;
  readonly spanId: string;
  /** Absent on a root span. */
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message: string | undefined };
  /** The resource's attributes (service.name, ...). */
  readonly resource: Readonly<Record<string, string | number | boolean>>;
}

export interface ReceivedExport {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

/** A stand-in OTLP/HTTP collector on 127.0.0.1: it keeps every POST and answers 200 (or `status`), or never answers (`hang`). */
export interface OtlpReceiver {
  /** The base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` takes it. */
  readonly endpoint: string;
  readonly exports: readonly ReceivedExport[];
  /** Every span received so far, decoded from JSON or protobuf by the request's content type. */
  spans(): ReceivedSpan[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(options: { hang?: boolean; status?: number } = {}): Promise<OtlpReceiver> {
  const exports: ReceivedExport[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      exports.push({ path: request.url ?? '', contentType: request.headers['content-type'], body: Buffer.concat(chunks) });
      if (options.hang) return void held.push(response);
      response.writeHead(options.status ?? 200, { 'content-type': request.headers['content-type'] ?? 'application/json' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    exports,
    spans: () => exports.flatMap((received) => (received.contentType?.startsWith('application/x-protobuf') ? protobufSpans(received.body) : jsonSpans(received.body))),
    close: () =>
      new Promise((resolve) => {
        for (const response of held) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Attributes = Record<string, string | number | boolean>;

interface JsonValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: JsonValue[] };
}
interface JsonAttribute {
  key: string;
  value: JsonValue;
}
interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: JsonAttribute[];
  status?: { code?: number; message?: string };
}
interface JsonRequest {
  resourceSpans: { resource?: { attributes?: JsonAttribute[] }; scopeSpans: { scope?: { name?: string }; spans?: JsonSpan[] }[] }[];
}

/** An array attribute (db.postgresql.values would be one) reads as the JSON of its elements. */
function jsonValue(value: JsonValue): string | number | boolean {
  if (value.arrayValue !== undefined) return JSON.stringify((value.arrayValue.values ?? []).map(jsonValue));
  return value.stringValue ?? (value.intValue === undefined ? undefined : Number(value.intValue)) ?? value.doubleValue ?? value.boolValue ?? '';
}

const jsonAttributes = (attributes: JsonAttribute[] = []): Attributes => Object.fromEntries(attributes.map(({ key, value }) => [key, jsonValue(value)]));

function jsonSpans(body: Buffer): ReceivedSpan[] {
  const request = JSON.parse(body.toString('utf8')) as JsonRequest;
  return request.resourceSpans.flatMap((resourceSpans) =>
    resourceSpans.scopeSpans.flatMap((scopeSpans) =>
      (scopeSpans.spans ?? []).map((span) => ({
        scope: scopeSpans.scope?.name ?? '',
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId || undefined,
        name: span.name,
        kind: span.kind,
        attributes: jsonAttributes(span.attributes),
        status: { code: span.status?.code ?? 0, message: span.status?.message || undefined },
        resource: jsonAttributes(resourceSpans.resource?.attributes),
      })),
    ),
  );
}

/**
 * Just enough of the protobuf wire format for opentelemetry-proto's ExportTraceServiceRequest: the
 * fields of each message by number, as varints or length-delimited bytes.
 */
function fields(buffer: Buffer): Map<number, (bigint | Buffer)[]> {
  const found = new Map<number, (bigint | Buffer)[]>();
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buffer[offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (offset < buffer.length) {
    const tag = Number(varint());
    const [number, wireType] = [tag >>> 3, tag & 7];
    let value: bigint | Buffer;
    if (wireType === 0) value = varint();
    else if (wireType === 1) value = buffer.subarray(offset, (offset += 8));
    else if (wireType === 2) {
      const length = Number(varint());
      value = buffer.subarray(offset, (offset += length));
    } else if (wireType === 5) value = buffer.subarray(offset, (offset += 4));
    else throw new Error(`unexpected protobuf wire type ${wireType}`);
    found.set(number, [...(found.get(number) ?? []), value]);
  }
  return found;
}

const messages = (message: Map<number, (bigint | Buffer)[]>, number: number): Map<number, (bigint | Buffer)[]>[] =>
  (message.get(number) ?? []).map((value) => fields(value as Buffer));
const bytes = (message: Map<number, (bigint | Buffer)[]>, number: number): Buffer | undefined => message.get(number)?.[0] as Buffer | undefined;
const text = (message: Map<number, (bigint | Buffer)[]>, number: number): string | undefined => bytes(message, number)?.toString('utf8');
const integer = (message: Map<number, (bigint | Buffer)[]>, number: number): number => Number((message.get(number)?.[0] as bigint | undefined) ?? 0n);

/** AnyValue { string 1, bool 2, int 3, double 4, ArrayValue { AnyValue values = 1 } 5 }; arrays as in `jsonValue`. */
function protobufValue(value: Map<number, (bigint | Buffer)[]>): string | number | boolean {
  if (value.has(1)) return text(value, 1)!;
  if (value.has(2)) return integer(value, 2) === 1;
  if (value.has(3)) return integer(value, 3);
  if (value.has(4)) return bytes(value, 4)!.readDoubleLE(0);
  if (value.has(5)) return JSON.stringify(messages(messages(value, 5)[0]!, 1).map(protobufValue));
  return '';
}

/** KeyValue { key = 1; AnyValue value = 2 }. */
const protobufAttributes = (keyValues: Map<number, (bigint | Buffer)[]>[]): Attributes =>
  Object.fromEntries(keyValues.map((keyValue) => [text(keyValue, 1)!, protobufValue(messages(keyValue, 2)[0] ?? new Map())]));

/**
 * ExportTraceServiceRequest { ResourceSpans resource_spans = 1 }; ResourceSpans { Resource resource = 1;
 * ScopeSpans scope_spans = 2 }; ScopeSpans { scope = 1; Span spans = 2 }; Span { trace_id 1, span_id 2,
 * parent_span_id 4, name 5, kind 6, attributes 9, status 15 { message 2, code 3 } }.
 */
function protobufSpans(body: Buffer): ReceivedSpan[] {
  return messages(fields(body), 1).flatMap((resourceSpans) => {
    const resource = protobufAttributes(messages(messages(resourceSpans, 1)[0] ?? new Map(), 1));
    return messages(resourceSpans, 2).flatMap((scopeSpans) =>
      messages(scopeSpans, 2).map((span) => {
        const status = messages(span, 15)[0] ?? new Map();
        const parent = bytes(span, 4);
        return {
          scope: text(messages(scopeSpans, 1)[0] ?? new Map(), 1) ?? '',
          traceId: bytes(span, 1)!.toString('hex'),
          spanId: bytes(span, 2)!.toString('hex'),
          parentSpanId: parent === undefined || parent.length === 0 ? undefined : parent.toString('hex'),
          name: text(span, 5) ?? '',
          kind: integer(span, 6),
          attributes: protobufAttributes(messages(span, 9)),
          status: { code: integer(status, 3), message: text(status, 2) || undefined },
          resource,
        };
      }),
    );
  });
}
