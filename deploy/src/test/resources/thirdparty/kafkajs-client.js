// A third-party Node client of CareTrail's topics, as the README's "Third-party clients" describes one:
// kafkajs with an LZ4 codec over the pure-JavaScript lz4js (CareTrail's records are LZ4-compressed by default) and
// @kafkajs/confluent-schema-registry against the registry's Confluent-compatible API.
//
// Run by ThirdPartyClientIT with these environment variables:
//   CARETRAIL_BROKERS    host:port of the (plaintext) broker
//   CARETRAIL_REGISTRY   the registry's Confluent-compatible URL (…/apis/ccompat/v7)
//   READ_PATIENT         an NHS number whose timeline change CareTrail has written: read and decoded
//   WRITE_PATIENT, WRITE_EVENT_ID       a valid admission to write
//   INVALID_PATIENT, INVALID_EVENT_ID   an admission with a wrong check digit, to be dead-lettered
// and, for a secured broker (SASL_SSL, SCRAM-SHA-512, CareTrail's CA):
//   CARETRAIL_CA_PEM     file of the CA certificate (PEM)
//   CARETRAIL_USER, CARETRAIL_PASSWORD  the client's own principal
//   CARETRAIL_GROUP      its consumer group (default third-party-node-<time>)
// Prints one JSON line per step ({"step": ...}); exits non-zero on any failure.
'use strict';
const { Kafka, CompressionTypes, CompressionCodecs, Partitioners, logLevel } = require('kafkajs');
const lz4js = require('lz4js');
const { SchemaRegistry } = require('@kafkajs/confluent-schema-registry');

// kafkajs has no LZ4 of its own: a codec is a function giving compress(encoder) and decompress(buffer). lz4js
// reads the LZ4 frame format Kafka writes, in plain JavaScript (kafkajs-lz4's native lz4 package ships a
// prebuilt binary for another platform and needs a compiler to rebuild it)
// This client only reads LZ4 (it writes gzip, which every client and broker knows: the broker keeps any codec)
CompressionCodecs[CompressionTypes.LZ4] = () => ({
  compress: async () => { throw new Error('this client writes gzip'); },
  decompress: async (buffer) => Buffer.from(lz4js.decompress(buffer)),
});

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const secured = process.env.CARETRAIL_CA_PEM
  ? {
      ssl: { ca: [require('fs').readFileSync(process.env.CARETRAIL_CA_PEM, 'utf8')] },
      sasl: { mechanism: 'scram-sha-512', username: env('CARETRAIL_USER'), password: env('CARETRAIL_PASSWORD') },
    }
  : {};
const kafka = new Kafka({ clientId: 'third-party-node', brokers: [env('CARETRAIL_BROKERS')], logLevel: logLevel.WARN,
  ...secured });
const registry = new SchemaRegistry({ host: env('CARETRAIL_REGISTRY') });
const print = (o) => process.stdout.write(JSON.stringify(o) + '\n');

async function readTimelineChange(nhsNumber) {
  const consumer = kafka.consumer({ groupId: process.env.CARETRAIL_GROUP || `third-party-node-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: 'care.timeline-changes', fromBeginning: true });
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no timeline change for ${nhsNumber} within 90 s`)), 90000);
      consumer.run({
        eachMessage: async ({ message }) => {
          if (message.key && message.key.toString() === nhsNumber) {
            // the writer's schema by the id in the record (never "latest")
            const schemaId = message.value.readInt32BE(1);
            const change = await registry.decode(message.value);
            clearTimeout(timer);
            resolve({ schemaId, change });
          }
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}

function admission(nhsNumber, eventId) {
  const now = Date.now();
  return {
    header: {
      eventId,
      action: 'NEW',
      subjectId: `spell-${eventId}`,
      version: 1,
      occurredAt: now - 3600000,
      recordedAt: now - 3500000,
      source: { odsCode: 'RJ1', name: 'Third-party PAS', kind: 'ACUTE', system: null },
      patient: { nhsNumber, localId: null },
      sensitivity: 'NORMAL',
      supersedes: null,
    },
    ward: 'AMU',
    admissionMethod: 'EMERGENCY',
  };
}

async function writeAdmissions() {
  // the id of the schema this client writes with (here: the subject's current one, read once at start)
  const schemaId = await registry.getLatestSchemaId('care.admissions-value');
  // kafkajs 2's default partitioner is the Java client's (murmur2 of the key): a patient's events from this
  // client land on the same partition as CareTrail's own, so they stay in order
  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    const valid = await registry.encode(schemaId, admission(env('WRITE_PATIENT'), env('WRITE_EVENT_ID')));
    const invalid = await registry.encode(schemaId, admission(env('INVALID_PATIENT'), env('INVALID_EVENT_ID')));
    await producer.send({
      topic: 'care.admissions',
      compression: CompressionTypes.GZIP,
      acks: -1,
      messages: [
        { key: env('WRITE_PATIENT'), value: valid },
        { key: env('INVALID_PATIENT'), value: invalid },
      ],
    });
    return { schemaId, magicByte: valid[0] };
  } finally {
    await producer.disconnect();
  }
}

(async () => {
  const read = await readTimelineChange(env('READ_PATIENT'));
  print({ step: 'read', schemaId: read.schemaId, nhsNumber: read.change.nhsNumber, kind: read.change.kind,
    eventId: read.change.entry && read.change.entry.eventId });
  const written = await writeAdmissions();
  print({ step: 'written', schemaId: written.schemaId, magicByte: written.magicByte });
})().catch((e) => {
  process.stderr.write(`third-party client failed: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
