/**
 * Flink {@code SerializationSchema} / {@code DeserializationSchema} built on
 * {@link dev.ibq.schemas.codec.AvroCodec}. Flink and flink-avro are {@code provided}: the job brings them.
 */
package dev.ibq.schemas.flink;
