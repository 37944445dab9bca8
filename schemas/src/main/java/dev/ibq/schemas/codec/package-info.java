/**
 * Avro single-object encoding without a registry: {@link dev.ibq.schemas.codec.AvroCodec} per
 * record class, {@link dev.ibq.schemas.codec.SchemaStore} of released writer schemas, typed
 * {@link dev.ibq.schemas.codec.RecordDecodingException}s and the non-throwing
 * {@link dev.ibq.schemas.codec.DecodeResult} for dead-letter routing.
 */
package dev.ibq.schemas.codec;
